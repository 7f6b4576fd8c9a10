"""LinkedIn "Connections.csv" export -> ProfileSnapshot (method ``linkedin_export``).

Alumni officers download this file from LinkedIn (Settings > Data privacy >
Get a copy of your data > Connections). The real export starts with a few
"Notes:" lines before the header ``First Name,Last Name,URL,Email Address,
Company,Position,Connected On``; it is UTF-8, with or without a BOM. The import
is all-or-nothing: any malformed row stops it with its line number and nothing
is stored. Every cell is checked at the door (NUL and control characters,
length, see :data:`MAX_LENGTHS`); error messages name the line and the
column, never a value (they are other people's personal data).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from crawlers.profile_common import make_snapshot, normalise_person
from store.models import ProfileSnapshot
from veille.errors import ImportFileError
from veille.i18n import _
from veille.inputcheck import decode_utf8, describe_header, problem

METHOD = "linkedin_export"
HEADER = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On")
REQUIRED = ("First Name", "Last Name", "Company", "Position")
#: Longest accepted cell per column (the URL also becomes a 512-character key).
MAX_LENGTHS = {
    "First Name": 200,
    "Last Name": 200,
    "URL": 480,
    "Email Address": 254,
    "Company": 300,
    "Position": 300,
    "Connected On": 40,
}


def _find_header(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        cells = [c.strip().strip('"') for c in line.split(",")]
        if cells[:2] == ["First Name", "Last Name"]:
            return i
    raise ImportFileError(
        _(
            "no header line starting with 'First Name,Last Name' found: is this LinkedIn's "
            "Connections.csv export?"
        )
    )


def _connected_on(value: str, line: int) -> str | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%d %b %Y", "%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise ImportFileError(_("'Connected On' is not a date like '12 Jan 2024'"), line=line)


def parse_connections(
    data: bytes | str, *, fetched_at: datetime | None = None, source_name: str = "Connections.csv"
) -> list[ProfileSnapshot]:
    """All rows of an export as snapshots; raises :class:`ImportFileError` on the first bad row."""
    if isinstance(data, bytes):
        text = decode_utf8(data, what=source_name)
    else:
        text = data.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    header_idx = _find_header(lines)
    reader = csv.reader(io.StringIO("".join(lines[header_idx:])), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise ImportFileError(
            _("unreadable header: %(error)s") % {"error": exc}, line=header_idx + 1
        ) from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(
            _("missing column(s) %(columns)s") % {"columns": ", ".join(missing)},
            line=header_idx + 1,
        )
    col = {name: i for i, name in enumerate(header)}
    fetched_at = fetched_at or datetime.now(UTC)
    snaps: list[ProfileSnapshot] = []
    seen: set[str] = set()
    previous = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(
                _("malformed CSV: %(error)s") % {"error": exc}, line=header_idx + reader.line_num
            ) from None
        # the line the record starts on (a quoted cell may span several lines)
        line, previous = header_idx + previous + 1, reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise ImportFileError(
                _(
                    "expected %(expected)s columns, found %(found)s "
                    "(a comma inside an unquoted field?)"
                )
                % {"expected": len(header), "found": len(row)},
                line=line,
            )
        for name, cell in zip(header, row, strict=True):
            trouble = problem(cell, max_length=MAX_LENGTHS.get(name, 300))
            if trouble:
                raise ImportFileError(f"{describe_header(name)} {trouble}", line=line)

        def get(name: str, row: list[str] = row) -> str:
            return row[col[name]].strip() if name in col else ""

        first, last = get("First Name"), get("Last Name")
        if not first and not last:
            raise ImportFileError(_("row has neither First Name nor Last Name"), line=line)
        url = get("URL")
        if url and not url.startswith(("https://", "http://")):
            raise ImportFileError(_("URL is not a web address (http:// or https://)"), line=line)
        connected = _connected_on(get("Connected On"), line)
        person = normalise_person(
            given_name=first,
            family_name=last,
            job_title=get("Position"),
            employer=get("Company"),
            email=get("Email Address"),
            same_as=[url] if url else [],
        )
        key = url.rstrip("/").lower() if url else f"name:{(first + ' ' + last).casefold()}"
        if key in seen:
            raise ImportFileError(_("the same connection appears twice"), line=line)
        seen.add(key)
        snaps.append(
            make_snapshot(
                profile_key=f"linkedin:{key}",
                source_kind="linkedin_export",
                person=person,
                url=url,
                method=METHOD,
                raw={"connected_on": connected, "file": source_name, "line": line},
                fetched_at=fetched_at,
            )
        )
    return snaps


def read_connections(path: Path) -> list[ProfileSnapshot]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(
            _("cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    return parse_connections(data, source_name=path.name)
