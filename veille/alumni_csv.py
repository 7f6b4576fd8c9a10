"""Reading and writing alumni CSV files, as alumni offices actually have them.

French Excel writes ``;``-separated files, often with a BOM; others use
``,``. Every row is validated before anything is written: the first problem
stops the import with its line number and the database stays unchanged.
Every cell is checked at the door (NUL and control characters, length
against its column, see :data:`MAX_LENGTHS`), and error messages name the
line and the column but never quote a value: the values are personal data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from veille.csvsafe import unneutralise, write_rows
from veille.errors import ImportFileError
from veille.i18n import _
from veille.inputcheck import decode_utf8, describe_header, problem
from veille.query import strip_accents

#: The documented columns, in export order.
COLUMNS: tuple[str, ...] = (
    "id",
    "first_name",
    "last_name",
    "birth_name",
    "birth_date",
    "email",
    "city",
    "postcode",
    "address",
    "graduation_year",
    "program",
    "employer",
    "job_title",
    "linkedin_url",
    "orcid",
)
REQUIRED: tuple[str, ...] = ("id", "last_name")
#: Longest accepted cell per column (``id`` is the database key, 64 characters).
MAX_LENGTHS: dict[str, int] = {
    "id": 64,
    "first_name": 200,
    "last_name": 200,
    "birth_name": 200,
    "birth_date": 20,
    "email": 1000,
    "city": 200,
    "postcode": 20,
    "address": 500,
    "graduation_year": 10,
    "program": 200,
    "employer": 300,
    "job_title": 300,
    "linkedin_url": 500,
    "orcid": 60,
}
#: The only column where a line break is part of the value.
MULTILINE = frozenset({"address"})

#: Header spellings met in French exports, mapped to the documented names.
ALIASES: dict[str, str] = {
    "identifiant": "id",
    "prenom": "first_name",
    "firstname": "first_name",
    "nom": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "nom_de_naissance": "birth_name",
    "nom_naissance": "birth_name",
    "date_de_naissance": "birth_date",
    "date_naissance": "birth_date",
    "dob": "birth_date",
    "courriel": "email",
    "e_mail": "email",
    "mail": "email",
    "ville": "city",
    "code_postal": "postcode",
    "adresse": "address",
    "annee_diplome": "graduation_year",
    "promotion": "graduation_year",
    "promo": "graduation_year",
    "programme": "program",
    "formation": "program",
    "employeur": "employer",
    "entreprise": "employer",
    "poste": "job_title",
    "fonction": "job_title",
    "linkedin": "linkedin_url",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ORCID = re.compile(r"^(\d{4})-(\d{4})-(\d{4})-(\d{3}[\dX])$")


@dataclass(frozen=True)
class AlumnusRow:
    """One validated row; only the columns present in the file are in ``values``."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)


def _header_key(raw: str) -> str:
    key = strip_accents(raw.strip().lstrip("\ufeff"))
    key = re.sub(r"[^a-z0-9]+", "_", key).strip("_")
    return ALIASES.get(key, key)


def _sniff_delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse_date(value: str) -> date:
    """ISO ``2001-05-31`` or French ``31/05/2001`` (``31-05-2001``, ``31.05.2001``)."""
    value = value.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", value)
        if not m:
            raise ValueError(_("is not a date (use YYYY-MM-DD or DD/MM/YYYY)"))
        d, mo, y = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError as exc:
        raise ValueError(_("is not a valid date (%(detail)s)") % {"detail": exc}) from None


def orcid_is_valid(value: str) -> bool:
    """ISO 7064 11,2 checksum, as ORCID specifies."""
    m = _ORCID.match(value)
    if not m:
        return False
    digits = "".join(m.groups())
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def _clean(value: str) -> str:
    # Undo our own export's formula neutralisation so files round-trip.
    return unneutralise(value.strip())


def _convert(column: str, value: str) -> Any:
    if column == "birth_date":
        return parse_date(value)
    if column == "graduation_year":
        if not re.fullmatch(r"\d{4}", value) or not 1900 <= int(value) <= 2100:
            raise ValueError(_("is not a year between 1900 and 2100"))
        return int(value)
    if column == "email":
        emails = [e.strip() for e in re.split(r"[|\s]+", value) if e.strip()]
        for n, e in enumerate(emails, 1):
            if not _EMAIL.match(e) or len(e) > 254:
                raise ValueError(_("address %(n)s of the cell is not an e-mail address") % {"n": n})
        return emails
    if column == "orcid":
        value = value.removeprefix("https://orcid.org/").removeprefix("http://orcid.org/")
        if not orcid_is_valid(value):
            raise ValueError(_("is not a valid ORCID iD (checksum or format)"))
        return value
    if column == "linkedin_url" and not re.match(r"^https?://", value):
        raise ValueError(_("must start with http:// or https://"))
    return value


def read_alumni_csv(path: Path) -> list[AlumnusRow]:
    """Parse and validate the whole file; raise :class:`ImportFileError` on the first problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(
            _("cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    text = decode_utf8(data, what=_("the file"))
    return list(parse_alumni_rows(io.StringIO(text, newline="")))


def parse_alumni_rows(stream: IO[str]) -> Iterator[AlumnusRow]:
    first = stream.readline()
    if not first.strip():
        raise ImportFileError(_("the file is empty: expected a header line"), line=1)
    delimiter = _sniff_delimiter(first)
    stream.seek(0)
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise ImportFileError(_("unreadable header: %(error)s") % {"error": exc}, line=1) from None
    for n, name in enumerate(raw_header, 1):
        trouble = problem(name, max_length=100)
        if trouble:
            raise ImportFileError(
                _("header cell %(n)s %(problem)s") % {"n": n, "problem": trouble}, line=1
            )
    header = [_header_key(h) for h in raw_header]
    unknown = [describe_header(h) for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportFileError(
            _("unknown column(s) %(unknown)s; known columns: %(known)s")
            % {"unknown": ", ".join(unknown), "known": ", ".join(COLUMNS)},
            line=1,
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ImportFileError(
            _("column(s) repeated: %(columns)s") % {"columns": ", ".join(dupes)}, line=1
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(
            _("missing required column(s): %(columns)s") % {"columns": ", ".join(missing)},
            line=1,
        )

    seen: dict[str, int] = {}
    line = 1
    previous = reader.line_num
    try:
        for cells in reader:
            # the line the record starts on (a quoted cell may span several lines)
            line, previous = previous + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ImportFileError(
                    _("expected %(expected)s fields separated by %(delimiter)s, found %(found)s")
                    % {
                        "expected": len(header),
                        "delimiter": repr(delimiter),
                        "found": len(cells),
                    },
                    line=line,
                )
            values: dict[str, Any] = {}
            for column, raw in zip(header, cells, strict=True):
                trouble = problem(
                    raw, max_length=MAX_LENGTHS.get(column, 500), multiline=column in MULTILINE
                )
                if trouble:
                    named = column or _("an unnamed column")
                    raise ImportFileError(f"{named} {trouble}", line=line)
                if not column:
                    continue
                cell = _clean(raw)
                if not cell:
                    continue
                try:
                    values[column] = _convert(column, cell)
                except ValueError as exc:
                    raise ImportFileError(f"{column} {exc}", line=line) from None
            for column in REQUIRED:
                if column not in values:
                    raise ImportFileError(_("%(column)s is empty") % {"column": column}, line=line)
            ident = str(values["id"])
            if ident in seen:
                raise ImportFileError(
                    _("id already used on line %(line)s") % {"line": seen[ident]}, line=line
                )
            seen[ident] = line
            yield AlumnusRow(line=line, values=values)
    except csv.Error as exc:
        raise ImportFileError(
            _("malformed CSV: %(error)s") % {"error": exc}, line=reader.line_num or line
        ) from None


def alumnus_to_row(alumnus: Any) -> list[Any]:
    """The export row of one :class:`store.models.Alumnus`, in :data:`COLUMNS` order."""
    out: list[Any] = []
    for column in COLUMNS:
        if column == "email":
            out.append(" | ".join(alumnus.emails or []))
        elif column == "birth_date":
            out.append(alumnus.birth_date.isoformat() if alumnus.birth_date else "")
        else:
            value = getattr(alumnus, column)
            out.append("" if value is None else value)
    return out


def write_alumni_csv(stream: IO[str], alumni: Iterable[Any], *, delimiter: str = ",") -> int:
    """Export in the import format (so an export re-imports to the same rows)."""
    return write_rows(stream, COLUMNS, (alumnus_to_row(a) for a in alumni), delimiter=delimiter)
