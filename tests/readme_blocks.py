"""The README's shell examples as steps, and what each step's ``# ->`` line promises.

A README block is a fenced ``bash`` block. Its lines form steps: the commands up to a line
that ends in, or is followed by, ``# -> EXPECTED`` (continued on the next lines that start
with ``#`` and spaces). Commands after the last ``# ->`` form a last step that must simply
succeed.

``EXPECTED`` is an optional HTTP status (``202``) and then either a JSON value written the way
the README abbreviates it, with anything after it read as a comment, or a sentence (which the
test must know how to check). In the abbreviated JSON:

- ``...`` as a value stands for any value; as an object member, for more members; as a list
  item, for more items, and ``...15`` / ``...3 titles`` for "15 (3) items in all";
- ``"text..."`` is a string that starts with ``text`` (``...`` may stand anywhere in one);
- ``"<title>"`` as a key stands for any key;
- integers, strings, booleans and ``null`` are compared exactly, the keys of an object
  without ``...`` too; a number with a fraction (a score, a probability) only as a number,
  since it shows what one model gave.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

FENCE = re.compile(r"^```(\w*)\s*$")
ARROW = "# ->"
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_MORE = re.compile(r"\.\.\.\s*(\d+)?[^,\]}]*")


@dataclass(frozen=True)
class Block:
    """One fenced ``bash`` block: the README section it is in, its first line number, its text."""

    section: str
    line: int
    text: str


@dataclass
class Step:
    """Commands and what the README says they answer (``None``: they must succeed)."""

    commands: str
    expected: str | None = None


@dataclass(frozen=True)
class Wild:
    """``...`` standing for one value."""


@dataclass(frozen=True)
class More:
    """``...`` standing for more members or items; ``count``: the items in all, when shown."""

    count: int | None = None


@dataclass
class Expectation:
    """A parsed ``# ->`` text: status, the abbreviated value (or ``prose``) and any comment."""

    status: int | None
    value: Any = None
    prose: str = ""
    comment: str = ""
    has_value: bool = False


def bash_blocks(readme: str) -> list[Block]:
    """Every fenced ``bash`` block, with the heading of the section it sits in."""
    blocks: list[Block] = []
    section = ""
    inside: list[str] | None = None
    start = 0
    for number, line in enumerate(readme.splitlines(), 1):
        fence = FENCE.match(line)
        if inside is None:
            if line.startswith("#") and not line.startswith("#!"):
                section = line.lstrip("#").strip()
            elif fence and fence.group(1) == "bash":
                inside, start = [], number + 1
        elif fence:
            blocks.append(Block(section, start, "\n".join(inside)))
            inside = None
        else:
            inside.append(line)
    return blocks


def steps(block: str) -> list[Step]:
    """The steps of a block, in order."""
    found: list[Step] = []
    pending: list[str] = []
    lines = block.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        code, arrow, promised = line.partition(ARROW)
        index += 1
        if not arrow:
            pending.append(line)
            continue
        if code.strip():
            pending.append(code.rstrip())
        expected = [promised.strip()]
        # Continuation: comment lines indented past the "#" (e.g. "#     "interests": ...).
        while index < len(lines) and re.match(r"^#\s{2,}\S", lines[index]):
            expected.append(lines[index][1:].strip())
            index += 1
        found.append(Step("\n".join(pending), " ".join(expected)))
        pending = []
    if any(line.strip() and not line.lstrip().startswith("#") for line in pending):
        found.append(Step("\n".join(pending)))
    return found


def parse_expected(text: str) -> Expectation:
    """Status, abbreviated JSON value or sentence, and trailing comment of a ``# ->`` text."""
    status = None
    head = re.match(r"^(\d{3})\s+(?=[{\[\"])", text)
    if head:
        status = int(head.group(1))
        text = text[head.end():]
    if not text or not (text[0] in "{[\"-." or text[0].isdigit() or
                        text.startswith(("true", "false", "null"))):
        return Expectation(status, prose=text)
    value, end = _Parser(text).value(0)
    return Expectation(status, value, comment=text[end:].strip(), has_value=True)


class _Parser:
    """A recursive-descent reader of the README's abbreviated JSON."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _skip(self, at: int) -> int:
        while at < len(self.text) and self.text[at].isspace():
            at += 1
        return at

    def _fail(self, at: int, wanted: str) -> ValueError:
        return ValueError(f"expected {wanted} at {at} in: {self.text}")

    def value(self, at: int) -> tuple[Any, int]:
        at = self._skip(at)
        text = self.text
        if text.startswith("...", at):
            more = _MORE.match(text, at)
            assert more is not None
            return (More(int(more.group(1))) if more.group(1) else Wild()), more.end()
        char = text[at:at + 1]
        if char == "{":
            return self._object(at + 1)
        if char == "[":
            return self._list(at + 1)
        if char == '"':
            return self._string(at)
        for word, meaning in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, at):
                return meaning, at + len(word)
        number = _NUMBER.match(text, at)
        if number is None:
            raise self._fail(at, "a value")
        return json.loads(number.group(0)), number.end()

    def _string(self, at: int) -> tuple[str, int]:
        end = at + 1
        while self.text[end] != '"':
            end += 2 if self.text[end] == "\\" else 1
        return json.loads(self.text[at:end + 1]), end + 1

    def _object(self, at: int) -> tuple[dict[Any, Any], int]:
        members: dict[Any, Any] = {}
        while True:
            at = self._skip(at)
            if self.text.startswith("}", at):
                return members, at + 1
            if self.text.startswith("...", at):
                _, at = self.value(at)
                members[More()] = None
            else:
                key, at = self._string(at)
                at = self._skip(at)
                if not self.text.startswith(":", at):
                    raise self._fail(at, "':'")
                members[key], at = self.value(at + 1)
            at = self._skip(at)
            if self.text.startswith(",", at):
                at += 1
            elif not self.text.startswith("}", at):
                raise self._fail(at, "',' or '}'")

    def _list(self, at: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        while True:
            at = self._skip(at)
            if self.text.startswith("]", at):
                return items, at + 1
            item, at = self.value(at)
            # A bare "..." in a list is "more items", not "one item of any value".
            items.append(More() if isinstance(item, Wild) else item)
            at = self._skip(at)
            if self.text.startswith(",", at):
                at += 1
            elif not self.text.startswith("]", at):
                raise self._fail(at, "',' or ']'")


def mismatches(expected: Any, actual: Any, where: str = "$",
               loose: frozenset[str] = frozenset()) -> list[str]:
    """How ``actual`` differs from the abbreviated ``expected``; empty when it matches.

    ``loose``: keys whose values the test compares by type only (they depend on data or a
    model that differs between the test's server and ``make run``'s).
    """
    if isinstance(expected, Wild):
        return []
    if isinstance(expected, dict):
        return _object_mismatches(expected, actual, where, loose)
    if isinstance(expected, list):
        return _list_mismatches(expected, actual, where, loose)
    if isinstance(expected, bool) or expected is None:
        return [] if actual is expected else [f"{where}: {actual!r} is not {expected!r}"]
    if isinstance(expected, float):
        number = isinstance(actual, int | float) and not isinstance(actual, bool)
        return [] if number else [f"{where}: {actual!r} is not a number"]
    if isinstance(expected, int):
        if not isinstance(actual, int) or isinstance(actual, bool):
            return [f"{where}: {actual!r} is not an integer"]
        return [] if actual == expected else [f"{where}: {actual!r} is not {expected!r}"]
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return [f"{where}: {actual!r} is not a string"]
        pattern = ".*".join(re.escape(part) for part in expected.split("..."))
        if re.fullmatch(pattern, actual, re.DOTALL):
            return []
        return [f"{where}: {actual!r} is not {expected!r}"]
    raise TypeError(f"cannot compare with {expected!r}")


def _same_kind(expected: Any, actual: Any, where: str) -> list[str]:
    if isinstance(expected, Wild | More):
        return []
    numbers = (int, float)
    if isinstance(expected, numbers) and not isinstance(expected, bool):
        ok = isinstance(actual, numbers) and not isinstance(actual, bool)
    else:
        ok = isinstance(actual, type(expected))
    return [] if ok else [f"{where}: {actual!r} is not a {type(expected).__name__}"]


def _object_mismatches(expected: dict[Any, Any], actual: Any, where: str,
                       loose: frozenset[str]) -> list[str]:
    if not isinstance(actual, dict):
        return [f"{where}: {json.dumps(actual)[:80]} is not an object"]
    problems: list[str] = []
    named = {k: v for k, v in expected.items() if isinstance(k, str) and not _placeholder(k)}
    for key, value in named.items():
        if key not in actual:
            problems.append(f"{where}: no key {key!r} (keys: {sorted(actual)})")
        elif key in loose:
            problems += _same_kind(value, actual[key], f"{where}.{key}")
        else:
            problems += mismatches(value, actual[key], f"{where}.{key}", loose)
    rest = [k for k in actual if k not in named]
    for key, value in expected.items():
        if isinstance(key, str) and _placeholder(key):
            if not rest:
                problems.append(f"{where}: no key for {key}")
            else:
                problems += mismatches(value, actual[rest[0]], f"{where}.{rest[0]}", loose)
    if not any(isinstance(k, More) for k in expected) and not any(
            isinstance(k, str) and _placeholder(k) for k in expected) and rest:
        problems.append(f"{where}: keys the README does not show: {rest}")
    return problems


def _placeholder(key: str) -> bool:
    return key.startswith("<") and key.endswith(">")


def _list_mismatches(expected: list[Any], actual: Any, where: str,
                     loose: frozenset[str]) -> list[str]:
    if not isinstance(actual, list):
        return [f"{where}: {json.dumps(actual)[:80]} is not a list"]
    marks = [i for i, item in enumerate(expected) if isinstance(item, More)]
    if not marks:
        if len(actual) != len(expected):
            return [f"{where}: {len(actual)} items, the README shows {len(expected)}"]
        head, tail, count = expected, [], len(expected)
    else:
        head, tail = expected[:marks[0]], expected[marks[0] + 1:]
        count = expected[marks[0]].count
    problems: list[str] = []
    if count is not None and len(actual) != count:
        problems.append(f"{where}: {len(actual)} items, the README says {count}")
    if len(actual) < len(head) + len(tail):
        return [*problems, f"{where}: {len(actual)} items, fewer than the README shows"]
    for i, item in enumerate(head):
        problems += mismatches(item, actual[i], f"{where}[{i}]", loose)
    for i, item in enumerate(tail, len(actual) - len(tail)):
        problems += mismatches(item, actual[i], f"{where}[{i}]", loose)
    return problems
