"""The layout of plugins/module_utils as docs/dev/architecture.md draws it: the page lists every file, no file is over
450 lines, and each file imports only the files listed above it, so that a task's flow goes one way."""

import re

from tests.paths import COLLECTION_ROOT as REPO

MODULE_UTILS = REPO / "plugins" / "module_utils"
PAGE = REPO / "docs" / "dev" / "architecture.md"
MAX_LINES = 450
IMPORTED = re.compile(r"plugins\.module_utils(?:\.(_\w+) import| import (_\w+))")


def listed():
    """The files of the page's table, in its order, without .py."""
    return re.findall(r"^\| `(_\w+)\.py` \|", PAGE.read_text(encoding="utf-8"), re.MULTILINE)


def test_the_page_lists_every_file_once():
    assert sorted(listed()) == sorted(path.stem for path in MODULE_UTILS.glob("*.py"))


def test_no_file_is_over_450_lines():
    lengths = dict((path.name, len(path.read_text(encoding="utf-8").splitlines())) for path in MODULE_UTILS.glob("*.py"))
    assert dict((name, length) for name, length in lengths.items() if length > MAX_LINES) == {}


def test_each_file_imports_only_the_files_above_it():
    order = listed()
    upward = []
    for index, name in enumerate(order):
        text = (MODULE_UTILS / (name + ".py")).read_text(encoding="utf-8")
        imported = set(first or second for first, second in IMPORTED.findall(text))
        upward.extend((name, other) for other in sorted(imported - set(order[:index])))
    assert upward == []
