"""Reading and writing alumni CSV files, as alumni offices actually have them.

French Excel writes ``;``-separated files, often with a BOM; others use
``,``. Every row is validated before anything is written: the first problem
stops the import with its line number and the database stays unchanged.
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

from veille.csvsafe import write_rows
from veille.errors import ImportFileError
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
_FORMULA_ESCAPED = re.compile(r"^'[=+\-@\t\r]")


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
            raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        d, mo, y = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date: {exc}") from None


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
    value = value.strip()
    # Undo our own export's formula neutralisation so files round-trip.
    return value[1:] if _FORMULA_ESCAPED.match(value) else value


def _convert(column: str, value: str) -> Any:
    if column == "birth_date":
        return parse_date(value)
    if column == "graduation_year":
        if not re.fullmatch(r"\d{4}", value) or not 1900 <= int(value) <= 2100:
            raise ValueError(f"graduation_year {value!r} is not a year")
        return int(value)
    if column == "email":
        emails = [e.strip() for e in re.split(r"[|\s]+", value) if e.strip()]
        for e in emails:
            if not _EMAIL.match(e):
                raise ValueError(f"{e!r} is not an email address")
        return emails
    if column == "orcid":
        value = value.removeprefix("https://orcid.org/").removeprefix("http://orcid.org/")
        if not orcid_is_valid(value):
            raise ValueError(f"{value!r} is not a valid ORCID iD (checksum or format)")
        return value
    if column == "linkedin_url" and not re.match(r"^https?://", value):
        raise ValueError(f"linkedin_url {value!r} must start with http:// or https://")
    return value


def read_alumni_csv(path: Path) -> list[AlumnusRow]:
    """Parse and validate the whole file; raise :class:`ImportFileError` on the first problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            "the file is not UTF-8; in Excel choose 'CSV UTF-8 (délimité par des virgules)'",
            line=line,
        ) from exc
    return list(parse_alumni_rows(io.StringIO(text, newline="")))


def parse_alumni_rows(stream: IO[str]) -> Iterator[AlumnusRow]:
    first = stream.readline()
    if not first.strip():
        raise ImportFileError("the file is empty: expected a header line", line=1)
    delimiter = _sniff_delimiter(first)
    stream.seek(0)
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    try:
        header = [_header_key(h) for h in next(reader)]
    except csv.Error as exc:
        raise ImportFileError(f"unreadable header: {exc}", line=1) from exc
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"unknown column(s) {', '.join(unknown)}; known columns: {', '.join(COLUMNS)}",
            line=1,
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ImportFileError(f"column(s) repeated: {', '.join(dupes)}", line=1)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(f"missing required column(s): {', '.join(missing)}", line=1)

    seen: dict[str, int] = {}
    line = 1
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ImportFileError(
                    f"expected {len(header)} fields separated by {delimiter!r}, found {len(cells)}",
                    line=line,
                )
            values: dict[str, Any] = {}
            for column, raw in zip(header, cells, strict=True):
                if not column:
                    continue
                cell = _clean(raw)
                if not cell:
                    continue
                try:
                    values[column] = _convert(column, cell)
                except ValueError as exc:
                    raise ImportFileError(f"{column}: {exc}", line=line) from None
            for column in REQUIRED:
                if column not in values:
                    raise ImportFileError(f"{column} is empty", line=line)
            ident = str(values["id"])
            if ident in seen:
                raise ImportFileError(f"id {ident!r} already used on line {seen[ident]}", line=line)
            seen[ident] = line
            yield AlumnusRow(line=line, values=values)
    except csv.Error as exc:
        raise ImportFileError(f"malformed CSV: {exc}", line=reader.line_num or line) from exc


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
