"""CSV output that spreadsheets cannot be tricked into executing.

Excel and LibreOffice evaluate cells starting with ``= + - @`` (and tab or
carriage return) as formulas; untrusted text (mention text, names) must not
reach a spreadsheet that way. Each such cell gets a leading apostrophe,
OWASP's recommended neutralisation; numbers are left alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return ``value`` safe for a CSV cell (non-strings pass through)."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


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
