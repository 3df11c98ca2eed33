"""Open the built docsite (tools/docsite.py) in a real headless Chromium and check what a reader sees.

    python tools/check_docsite.py [--site build/docsite] [--collections build/collections]
    python tools/check_docsite.py --browser            # only whether Chromium and its driver are there
    python tools/check_docsite.py --install-browser    # print the apt-get commands that install them, and run them

Per page: it loads with no console error and every same-site link resolves to a file (and its anchor). The module
pages show every option: the settings fields of the table in plugins/module_utils/_handler_types.py (imported here,
so a new type is checked in the browser as soon as it is in the table), the connection options and the module's own
options, each type name among the choices of its type option; the lookup's page shows the connection options and its
terms; the role page shows every variable of roles/notification_handlers/meta/argument_specs.yml. Both guides are in
the site. The site's search finds telegram_chat_id. Screenshots of the list module's page and of the guide go to
SITE/screenshots/.

Chromium and its driver come from the system's packages (bindep.txt, profile test). They are installed only when asked:
`make docsite-deps`, or `make docsite DOCSITE_INSTALL=1` (CI's .ci/run sets it); otherwise a missing one stops the check
with the command to run.

The browser is driven with Selenium (pinned in requirements-dev.txt): the WebDriver standard's own Python client,
kept by the browser vendors' project, which gives page loads, waits, the console log and screenshots without a
hand-written DevTools client. It talks to Debian's chromedriver at a fixed path, so Selenium Manager fetches nothing.
"""

import argparse
import functools
import html.parser
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent

BIN = pathlib.Path(sys.executable).parent
COLLECTION_PAGES = "collections/dmpilot/cloud/"
LIST_MODULE = "dmpilot_notification_handlers"
MODULES = ("dmpilot_notification_handler", "dmpilot_notification_handler_info", LIST_MODULE)
LOOKUP = "notification_handler"
ROLE = "notification_handlers"
ROLE_SPECS = "roles/%s/meta/argument_specs.yml" % ROLE
GUIDE_PAGE = COLLECTION_PAGES + "docsite/notification_handlers_guide.html"
GUIDE_PAGES = (GUIDE_PAGE, COLLECTION_PAGES + "docsite/awx_guide.html")
SEARCHED = "telegram_chat_id"
# Where the table's settings fields sit in each page's option table (None: the module has none, its type option does).
FIELDS_UNDER = {"dmpilot_notification_handler": "", "dmpilot_notification_handler_info": None, LIST_MODULE: "handlers/"}
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 30

# The options of a page's option table, as the reader sees them: the anchor's path, the title shown, whether it is
# displayed, and the choices shown for it. antsibull-docs gives each option a "parameter-PATH" anchor.
READ_OPTIONS = """
return Array.from(document.querySelectorAll('div.ansibleOptionAnchor[id^="parameter-"]')).map(function (anchor) {
  var row = anchor.closest('tr');
  var title = row.querySelector('.ansible-option-title');
  return {path: anchor.id.slice('parameter-'.length), title: title ? title.innerText.trim() : '',
          shown: !!(title && title.offsetParent !== null && title.getClientRects().length),
          choices: Array.from(row.querySelectorAll('.ansible-option-choices-entry')).map(function (c) { return c.innerText.trim(); })};
});
"""
READ_LINKS = "return Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; });"


def fail(message):
    sys.exit("check_docsite: %s" % message)


def browser_packages():
    """The Debian packages of bindep.txt's profile test: Chromium and its driver."""
    entries = re.findall(r"^([\w.+-]+) \[([^\]]*)\]", (REPO / "bindep.txt").read_text(), re.MULTILINE)
    return [name for name, selectors in entries if {"test", "platform:dpkg"} <= set(selectors.split())]


APT_COMMANDS = (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q"] + browser_packages())


def have_chromium():
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def ensure_chromium():
    """Chromium and chromedriver from the system's packages, or a failure that says how to install them."""
    if not have_chromium():
        fail("the browser check needs Chromium and its driver at %s and %s, which are not installed. Run `make docsite-deps` "
             "(as root; it runs `%s`), or `make docsite DOCSITE_INSTALL=1`; on a system without apt-get, install the packages that "
             "`bindep test` lists (bindep.txt)." % (CHROMIUM, CHROMEDRIVER, " && ".join(" ".join(command) for command in APT_COMMANDS)))


def install_chromium():
    """Install Chromium and chromedriver with apt-get, saying which packages and commands first; nothing if they are there."""
    if have_chromium():
        print("check_docsite: Chromium and its driver are installed (%s, %s)" % (CHROMIUM, CHROMEDRIVER))
        return
    if not shutil.which("apt-get"):
        fail("no apt-get here: install Chromium and its driver from the packages that `bindep test` lists (bindep.txt)")
    if os.geteuid() != 0:
        fail("installing system packages needs root: run `sudo %s`" % " && sudo ".join(" ".join(command) for command in APT_COMMANDS))
    print("check_docsite: installing the system packages %s (bindep.txt, profile test):" % ", ".join(browser_packages()), flush=True)
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in APT_COMMANDS:
        print("  " + " ".join(command), flush=True)
        subprocess.run(command, check=True, env=environment)


def option_paths(options, prefix=""):
    """Every option path of an argument spec or a plugin's docs: suboptions as parent/child, as antsibull-docs anchors them."""
    paths = []
    for name, spec in options.items():
        paths.append(prefix + name)
        paths.extend(option_paths((spec or {}).get("suboptions") or (spec or {}).get("options") or {}, prefix + name + "/"))
    return paths


def the_table(collections):
    """The table of types and fields, and the connection options' docs, of the collection that was documented."""
    sys.path.insert(0, str(collections))
    from ansible_collections.dmpilot.cloud.plugins.doc_fragments.connection import ModuleDocFragment as Connection
    from ansible_collections.dmpilot.cloud.plugins.module_utils import _handler_types

    return _handler_types, yaml.safe_load(Connection.DOCUMENTATION)["options"]


def plugin_docs(collections, plugin_type, names):
    """ansible-doc's JSON of the collection's plugins of a type, by full name."""
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1")
    return json.loads(subprocess.run([str(BIN / "ansible-doc"), "-t", plugin_type, "--json"] + ["dmpilot.cloud.%s" % name for name in names],
                                     stdout=subprocess.PIPE, check=True, universal_newlines=True, env=environment).stdout)


def expected_module_options(collections, table, connection_docs):
    """For each module, each option path the page must show, with where it comes from (for the failure message)."""
    docs = plugin_docs(collections, "module", MODULES)
    connection = option_paths(connection_docs)
    expected = {}
    for module in MODULES:
        wanted = dict((path, "its own docs (ansible-doc)") for path in option_paths(docs["dmpilot.cloud.%s" % module]["doc"]["options"]))
        wanted.update((path, "the connection options (doc_fragments/connection.py)") for path in connection)
        if FIELDS_UNDER[module] is not None:
            wanted.update((FIELDS_UNDER[module] + name, "the table in _handler_types.py") for name in table.FIELDS)
        expected[module] = wanted
    return expected


def shown_title(path):
    """The title an option's row shows: its name, but a lookup's positional terms, which antsibull-docs titles Terms."""
    name = path.split("--")[-1].split("/")[-1]
    return "Terms" if name == "_terms" else name


def expected_lookup_options(collections, connection_docs):
    docs = plugin_docs(collections, "lookup", [LOOKUP])["dmpilot.cloud.%s" % LOOKUP]["doc"]
    wanted = dict((path, "its own docs (ansible-doc)") for path in option_paths(docs["options"]))
    wanted.update((path, "the connection options (doc_fragments/connection.py)") for path in option_paths(connection_docs))
    return wanted


def expected_role_options(collections, table):
    specs = collections / "ansible_collections" / "dmpilot" / "cloud" / ROLE_SPECS
    main = yaml.safe_load(specs.read_text())["argument_specs"]["main"]["options"]
    wanted = dict(("main--" + path, "argument_specs.yml") for path in option_paths(main))
    wanted.update(("main--dmpilot_notification_handlers/" + name, "the table in _handler_types.py") for name in table.FIELDS)
    return wanted


class Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)


@functools.lru_cache(maxsize=None)
def anchors_of(path):
    parser = Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids


class Site:
    """The built site served on 127.0.0.1, as a reader's browser gets it, and a headless Chromium to read it with."""

    def __init__(self, root):
        self.root = root
        handler = functools.partial(Quiet, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = "http://127.0.0.1:%d/" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(WAIT)

    def close(self):
        self.driver.quit()
        self.server.shutdown()

    def open(self, page):
        """Loads a page; returns the console errors it logged."""
        self.driver.get(self.base + page)
        return ["%s: %s" % (entry["level"], entry["message"]) for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def broken_links(self, page):
        broken = []
        for href in self.driver.execute_script(READ_LINKS):
            url = urllib.parse.urlsplit(href)
            if not href.startswith(self.base):
                continue
            target = self.root / urllib.parse.unquote(url.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            anchor = urllib.parse.unquote(url.fragment)
            if not target.is_file():
                broken.append("%s (no file %s)" % (href[len(self.base):], target.relative_to(self.root)))
            elif anchor and target.suffix == ".html" and anchor not in anchors_of(target):
                broken.append("%s (no anchor #%s in %s)" % (href[len(self.base):], anchor, target.relative_to(self.root)))
        return sorted(set(broken))

    def missing_options(self, expected):
        shown = dict((option["path"], option) for option in self.driver.execute_script(READ_OPTIONS))
        problems = []
        for path, source in sorted(expected.items()):
            option = shown.get(path)
            if option is None:
                problems.append("option %s (from %s) is not in the page's option table" % (path, source))
            elif not option["shown"] or option["title"] != shown_title(path):
                problems.append("option %s (from %s) is in the table but not shown by name (title %r)" % (path, source, option["title"]))
        return problems, shown

    def screenshot(self, page, name):
        self.open(page)
        # The whole page, not only the window: Chromium captures beyond the viewport over the DevTools protocol.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(height, 4000))
        target = self.root / "screenshots" / name
        target.parent.mkdir(exist_ok=True)
        self.driver.save_screenshot(str(target))
        self.driver.set_window_size(1280, 1600)
        return target

    def search(self, word):
        """The result pages of the site's own search (search.html?q=WORD), once its JavaScript has run."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        errors = self.open("search.html?q=" + urllib.parse.quote(word))
        read = "return Array.from(document.querySelectorAll('#search-results ul.search li a')).map(function (a) { return a.href; });"
        try:
            WebDriverWait(self.driver, WAIT).until(lambda driver: driver.execute_script(read))
        except TimeoutException:
            summary = self.driver.execute_script("var s = document.getElementById('search-results'); return s ? s.innerText : '';")
            return errors, [], summary
        return errors, [href[len(self.base):] for href in self.driver.execute_script(read)], ""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *arguments):
        pass


def check(site, collections):
    problems = []
    table, connection_docs = the_table(collections)
    module_options = expected_module_options(collections, table, connection_docs)
    # Each page with an option table: the options it must show, and the option whose choices are the type names (the
    # lookup has none).
    option_pages = dict((COLLECTION_PAGES + module + "_module.html", (module_options[module], (FIELDS_UNDER[module] or "") + "type")) for module in MODULES)
    option_pages[COLLECTION_PAGES + ROLE + "_role.html"] = (expected_role_options(collections, table), "main--dmpilot_notification_handlers/type")
    option_pages[COLLECTION_PAGES + LOOKUP + "_lookup.html"] = (expected_lookup_options(collections, connection_docs), None)
    pages = sorted(str(path.relative_to(site.root)) for path in site.root.rglob("*.html"))
    for page in pages:
        for error in site.open(page):
            problems.append("%s: console error: %s" % (page, error))
        for link in site.broken_links(page):
            problems.append("%s: broken internal link %s" % (page, link))
        if page not in option_pages:
            continue
        expected, type_option = option_pages[page]
        missing, shown = site.missing_options(expected)
        problems.extend("%s: %s" % (page, problem) for problem in missing)
        choices = [choice.strip('"') for choice in shown.get(type_option, {}).get("choices", [])]
        problems.extend("%s: type %s (from the table in _handler_types.py) is not among the choices of %s" % (page, name, type_option)
                        for name in table.TYPE_NAMES if type_option is not None and name not in choices)
        print("check_docsite: %s shows %d options" % (page, len(shown)), flush=True)
    for page in sorted(option_pages) + list(GUIDE_PAGES):
        if page not in pages:
            problems.append("%s is not in the site" % page)
    # Before the search: Sphinx keeps the searched word and highlights it on the pages opened after.
    for page, name in ((COLLECTION_PAGES + LIST_MODULE + "_module.html", "list-module.png"), (GUIDE_PAGE, "guide.png")):
        print("check_docsite: screenshot %s" % site.screenshot(page, name), flush=True)
    errors, results, summary = site.search(SEARCHED)
    problems.extend("search.html?q=%s: console error: %s" % (SEARCHED, error) for error in errors)
    if not any(result.startswith(COLLECTION_PAGES + LIST_MODULE + "_module.html") for result in results):
        problems.append("the site's search for %s does not find the list module's page: results %s %s" % (SEARCHED, results, summary.strip()))
    return pages, results, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=pathlib.Path, default=REPO / "build" / "docsite", help="the built site (default: build/docsite)")
    parser.add_argument("--collections", type=pathlib.Path, default=REPO / "build" / "collections",
                        help="the collections path the site was built from (default: build/collections): the expected options come from it")
    browser = parser.add_mutually_exclusive_group()
    browser.add_argument("--browser", action="store_true", help="only check that Chromium and its driver are installed")
    browser.add_argument("--install-browser", action="store_true", help="install Chromium and its driver with apt-get, printing the commands")
    arguments = parser.parse_args()
    if arguments.install_browser:
        install_chromium()
        return
    if arguments.browser:
        ensure_chromium()
        return
    root = arguments.site.resolve()
    if not (root / "index.html").is_file():
        fail("%s/index.html is missing; build the site first: make docsite" % root)
    ensure_chromium()
    site = Site(root)
    try:
        pages, results, problems = check(site, arguments.collections.resolve())
    finally:
        site.close()
    if problems:
        fail("%d problems in the docsite:\n  %s" % (len(problems), "\n  ".join(problems)))
    print("check_docsite: %d pages load with no console error and no broken internal link; the module and role pages show every option; "
          "the search for %s finds %d pages" % (len(pages), SEARCHED, len(results)))


if __name__ == "__main__":
    main()
