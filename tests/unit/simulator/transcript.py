"""Read a transcript of real exchanges (tests/data/real-server/*.txt; its README.md has the format) into steps.

A transcript is a list of sections; a section is a list of steps, in order: an `Exchange` (one curl request and the
answer), a `Table` (the database rows printed after an exchange), a `CountLine` (the rate-limit headers of request #N of
a run of identical requests) or a `Note` (any other line: a setting, a directory listing). Nothing is dropped: a line
the reader does not understand becomes a Note, and the replay must account for every Note.
"""

import ast
import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qsl

SECTION = re.compile(r"^======== (?P<name>.+)$")
LABEL = re.compile(r"^### (?P<label>.+)$")
STATUS = re.compile(r"^(?:< )?HTTP/\d\.\d (?P<status>\d{3})\b")
HEADER = re.compile(r"^(?:< )?(?P<name>Content-Type|X-RateLimit-[A-Za-z]+|Retry-After): (?P<value>.*)$", re.IGNORECASE)
COUNT_LINE = re.compile(r"^request #(?P<number>\d+): (?P<headers>.*?)\s*$")
BODY = re.compile(r"^< body(?: \((?P<size>\d+) bytes\))?: ?(?P<text>.*)$")
ANSI_C_QUOTED = re.compile(r"\$'((?:[^'\\]|\\.)*)'")
ANSI_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


@dataclass
class Request:
    """A curl request: method, path (with its raw query string) and the curl arguments, as the transcript shows them.

    `truncated` is true when the transcript cut the line (its complete lines end with a blank): the last argument is
    then only a prefix of what was sent.
    """

    method: str
    path: str
    args: list
    truncated: bool

    def form(self):
        """The form fields the server received, in order: `-d` data is sent as is (so it is URL-decoded by the server),
        `--data-urlencode name=value` sends value literally."""
        fields = []
        for option, value in self.options():
            if option in ("-d", "--data"):
                fields += parse_qsl(value, keep_blank_values=True)
            elif option == "--data-urlencode":
                name, _sign, text = value.partition("=")
                fields.append((name, text))
        return fields

    def raw_body(self):
        """The body of `--data` sent with an explicit Content-Type (the JSON-body exchange), else None."""
        if self.header("content-type") is None:
            return None
        return "&".join(value for option, value in self.options() if option in ("-d", "--data"))

    def header(self, name):
        for option, value in self.options():
            if option == "-H":
                header_name, _colon, header_value = value.partition(":")
                if header_name.strip().lower() == name:
                    return header_value.strip()
        return None

    def headers(self):
        """The `-H` headers, name -> value, as sent."""
        found = {}
        for option, value in self.options():
            if option == "-H":
                header_name, _colon, header_value = value.partition(":")
                found[header_name.strip()] = header_value.strip()
        return found

    def options(self):
        pairs = []
        args = [arg for arg in self.args if arg != ""]  # curl's '' is an empty argument: nothing sent
        index = 0
        while index < len(args):
            option = args[index]
            if option not in ("-d", "--data", "--data-urlencode", "-H"):
                raise ValueError("unknown curl argument %r in %s %s" % (option, self.method, self.path))
            pairs.append((option, args[index + 1] if index + 1 < len(args) else ""))
            index += 2
        return pairs


@dataclass
class Exchange:
    section: str
    label: str
    line: int
    request: Optional[Request] = None
    status: Optional[int] = None
    headers: dict = field(default_factory=dict)  # lower-case name -> value, the headers of interest only
    body: Optional[str] = None  # the raw body (JSON text, "" for an empty one)
    html_head: Optional[str] = None  # the first lines of an HTML body, which the transcript shows cut
    list_rows: Optional[list] = None  # "id:type:name:is_enabled" per handler of a list answer
    meta: Optional[dict] = None
    links: Optional[dict] = None


@dataclass
class Table:
    """Rows the database held, printed by the MySQL client (tab-separated, `\\\\` `\\n` `\\t` escaped, NULL for null)."""

    section: str
    line: int
    columns: list
    rows: list


@dataclass
class CountLine:
    section: str
    line: int
    number: int
    headers: dict


@dataclass
class Note:
    section: str
    line: int
    text: str


@dataclass
class Section:
    name: str
    steps: list = field(default_factory=list)

    def exchanges(self):
        return [step for step in self.steps if isinstance(step, Exchange)]


def mysql_unescape(text):
    """A value as the MySQL client prints it in batch mode, back to the stored value."""
    if text == "NULL":
        return None
    return re.sub(r"\\(.)", lambda match: {"n": "\n", "t": "\t", "0": "\0"}.get(match.group(1), match.group(1)), text)


def _decode_ansi_c(match):
    text = re.sub(r"\\(.)", lambda escape: ANSI_C_ESCAPES.get(escape.group(1), "\\" + escape.group(1)), match.group(1))
    return shlex.quote(text)


def parse_request(text):
    """`METHOD path args...` as the transcript prints it (bash quoting, `$'...'` included)."""
    truncated = not text.endswith(" ")
    words = text.split(" ", 2)
    method, path = words[0], words[1]
    rest = ANSI_C_QUOTED.sub(_decode_ansi_c, words[2]) if len(words) > 2 else ""
    try:
        args = shlex.split(rest)
    except ValueError:  # a truncated line may end inside quotes
        if not truncated:
            raise
        args = shlex.split(rest + "'")
    return Request(method, path, args, truncated)


def _headers(text):
    return {name.lower(): value for name, value in re.findall(r"(X-RateLimit-[A-Za-z]+): (\S+)", text)}


class _Reader:
    def __init__(self, lines):
        self.lines = lines
        self.index = 0
        self.sections = []

    def section(self):
        return self.sections[-1].name if self.sections else ""

    def add(self, step):
        if not self.sections:
            raise ValueError("line %d: a step before the first section" % step.line)
        self.sections[-1].steps.append(step)

    def read(self):
        while self.index < len(self.lines):
            number, line = self.index + 1, self.lines[self.index]
            self.index += 1
            if not line.strip():
                continue
            section = SECTION.match(line)
            if section:
                self.sections.append(Section(section.group("name")))
            elif LABEL.match(line):
                self.add(self.exchange(LABEL.match(line).group("label"), number))
            elif "\t" in line:
                self.add(self.table(line, number))
            elif COUNT_LINE.match(line):
                count = COUNT_LINE.match(line)
                self.add(CountLine(self.section(), number, int(count.group("number")), _headers(count.group("headers"))))
            else:
                self.add(Note(self.section(), number, line))
        return self.sections

    def table(self, header, number):
        columns = header.split("\t")
        rows = []
        while self.index < len(self.lines) and self.lines[self.index].count("\t") == len(columns) - 1 and "\t" in self.lines[self.index]:
            rows.append([mysql_unescape(cell) for cell in self.lines[self.index].split("\t")])
            self.index += 1
        return Table(self.section(), number, columns, rows)

    def exchange(self, label, number):
        exchange = Exchange(self.section(), label, number)
        while self.index < len(self.lines):
            line = self.lines[self.index]
            if not line.strip() or SECTION.match(line) or LABEL.match(line) or "\t" in line:
                break
            self.index += 1
            if line.startswith("> "):
                exchange.request = parse_request(line[2:])
            elif STATUS.match(line):
                exchange.status = int(STATUS.match(line).group("status"))
            elif HEADER.match(line):
                header = HEADER.match(line)
                exchange.headers[header.group("name").lower()] = header.group("value").strip()
            elif BODY.match(line):
                self.body(exchange, BODY.match(line))
            elif line.startswith("< list ids:type:name:is_enabled = "):
                exchange.list_rows = ast.literal_eval(line.split(" = ", 1)[1])
            elif line.startswith("< meta: "):
                exchange.meta = json.loads(line[len("< meta: "):])
            elif line.startswith("< links: "):
                exchange.links = json.loads(line[len("< links: "):])
            else:
                raise ValueError("line %d: not part of an exchange: %r" % (self.index, line))
        return exchange

    def body(self, exchange, match):
        text = match.group("text")
        if text.startswith("<"):  # an HTML page: the transcript shows its first lines, up to the next exchange or section
            head = [text]
            while self.index < len(self.lines) and not (SECTION.match(self.lines[self.index]) or LABEL.match(self.lines[self.index])):
                head.append(self.lines[self.index])
                self.index += 1
            exchange.html_head = "\n".join(head).rstrip("\n")
        else:
            exchange.body = text


def read_transcript(path):
    with open(path, encoding="utf-8") as handle:
        return _Reader(handle.read().split("\n")).read()
