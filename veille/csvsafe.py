"""CSV output that spreadsheets cannot be tricked into executing.

Excel and LibreOffice evaluate a cell starting with ``= + - @`` (or tab and
carriage return) as a formula; untrusted text (mention text, names) must not
reach a spreadsheet that way. OWASP's neutralisation is a leading apostrophe.

The first character is not enough: a file written with ``,`` is often
opened with ``;`` (the French Excel default) or tab, and then a cell such as
``ok;=HYPERLINK(...)`` splits into ``ok`` and a formula. So every place where
*any* of those delimiters could start a cell (the start of the value, and
after each ``,`` ``;`` tab or line break in it), possibly behind blanks or a
double quote, gets an apostrophe before a formula character. The
transformation is reversible (:func:`unneutralise`), so an export re-imports
to the same data: apostrophes already there before a formula character get
one more, and reading removes exactly one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = "=+-@"
#: Characters a spreadsheet may split cells or rows on, whatever the file's own delimiter.
CELL_STARTERS = ",;\t\r\n"
#: Position: start of the value or after a cell starter, then blanks/quotes, then
#: apostrophes already there, then a formula character. Also the OWASP leading
#: tab / carriage return.
_DANGER = re.compile(
    r"(?P<lead>(?:^|(?<=[,;\t\r\n]))[ \"]*)(?P<quotes>'*)(?=[=+\-@])|^(?P<q0>'*)(?=[\t\r])"
)
_ESCAPED = re.compile(
    r"(?P<lead>(?:^|(?<=[,;\t\r\n]))[ \"]*)'(?P<quotes>'*)(?=[=+\-@])|^'(?P<q0>'*)(?=[\t\r])"
)


def _add(match: re.Match[str]) -> str:
    if match.group("q0") is not None:
        return "'" + match.group("q0")
    return match.group("lead") + match.group("quotes") + "'"


def _remove(match: re.Match[str]) -> str:
    if match.group("q0") is not None:
        return match.group("q0")
    return match.group("lead") + match.group("quotes")


def neutralise(value: Any) -> Any:
    """``value`` safe for a CSV cell under any delimiter (non-strings pass through)."""
    if not isinstance(value, str):
        return value
    return _DANGER.sub(_add, value)


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise` exactly (used when our own exports are re-imported)."""
    return _ESCAPED.sub(_remove, value)


def write_rows(
    stream: IO[str],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ",",
) -> int:
    """Write a header and rows with every text cell neutralised; returns the row count."""
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")  # RFC 4180
    writer.writerow([neutralise(h) for h in header])
    n = 0
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
        n += 1
    return n


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV as a string (downloads, API responses)."""
    buf = io.StringIO()
    write_rows(buf, header, rows)
    return buf.getvalue()
