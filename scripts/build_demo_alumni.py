"""Write ``veille/demo/data/alumni.csv``: the demo's generated alumni file.

Why generated: an alumni file holds personal data, so the demo never ships a
copy of real people. Every record's birth date, e-mail, city, programme,
graduation year and earlier job title comes from a seeded generator (Faker's
``fr_FR`` provider, seed below), so the file is the same on every run.

Why some records carry real names: matching needs something real to find.
The demo's recorded feed of the university (``rss/univ-paris3.rss``) announces
thesis defences with the jury written as "Mme <name>" then "<title> - <university>".
For each such jury member the generator writes one record with that name,
that university as employer and an *earlier* generated title, so the
announcement matches the record on first name, last name and employer, and
the new title becomes a suggestion in the review inbox. Nothing else in such
a record is about the real person.

Run: ``python scripts/build_demo_alumni.py`` (needs the ``demo-data`` extra: Faker).
"""

from __future__ import annotations

import csv
import html
import itertools
import random
import re
import sys
from datetime import date
from pathlib import Path

import feedparser
from faker import Faker

SEED = 16
GENERATED = 240
DATA = Path(__file__).resolve().parent.parent / "veille" / "demo" / "data"
COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "birth_name",
    "birth_date",
    "email",
    "city",
    "postcode",
    "graduation_year",
    "program",
    "employer",
    "job_title",
    "linkedin_url",
)
#: Degrees of the kind Sorbonne Nouvelle awards (labels, not people).
PROGRAMMES = (
    "Licence Lettres modernes",
    "Licence Langues étrangères appliquées",
    "Licence Cinéma et audiovisuel",
    "Licence Études théâtrales",
    "Licence Information et communication",
    "Licence Sciences du langage",
    "Master Cinéma et audiovisuel",
    "Master Études théâtrales",
    "Master Didactique des langues",
    "Master Traduction et interprétation",
    "Master Information et communication",
    "Master Études européennes et internationales",
    "Master Littérature générale et comparée",
    "Master Études lusophones",
    "Doctorat Sciences du langage",
    "Doctorat Études cinématographiques",
    "Doctorat Littérature comparée",
)
JOBS = (
    "Chargée de communication",
    "Chargé de production",
    "Traductrice",
    "Professeur de lettres",
    "Professeure des écoles",
    "Journaliste",
    "Chargée de mission culturelle",
    "Attaché de presse",
    "Documentaliste",
    "Responsable pédagogique",
)
#: The title a jury member plausibly held before the announced one.
EARLIER = {
    "professeur emerite": "Professeur des universités",
    "professeur des universites": "Maître de conférences",
    "maitre de conference": "Attaché temporaire d'enseignement et de recherche",
}
_PERSON = re.compile(r"^(?:M\.|Mme|Madame|Monsieur)\s+(.+)$")
_POSITION = re.compile(r"^(Professeur[^-]*|Ma[iî]tre de conf[^-]*?)\s*-\s*(.+)$")


def _fold(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def jury_members(feed: Path) -> list[tuple[str, str, str, str]]:
    """(first name, last name, title, university) of every "name / title - university" pair."""
    out: list[tuple[str, str, str, str]] = []
    for entry in feedparser.parse(feed.read_bytes()).entries:
        text = html.unescape(re.sub(r"<br\s*/?>", "\n", entry.get("summary", "")))
        lines = [" ".join(re.sub(r"<[^>]+>", " ", x).split()) for x in text.split("\n")]
        lines = [x for x in lines if x]
        for here, after in itertools.pairwise(lines):
            person, position = _PERSON.match(here), _POSITION.match(after)
            if not (person and position):
                continue
            words = person.group(1).split()
            first = [w for w in words if not w.isupper()]
            last = [w.title() for w in words if w.isupper()]
            if not first or not last:
                continue
            row = (" ".join(first), " ".join(last), position.group(1).strip(), position.group(2))
            if row[:2] not in {r[:2] for r in out}:
                out.append(row)
    return out


def main() -> int:
    fake = Faker("fr_FR")
    Faker.seed(SEED)
    rng = random.Random(SEED)

    def record(n: int, first: str, last: str, *, doctor: bool = False) -> dict[str, str]:
        year = rng.randint(1985, 2013)
        age = (26 if doctor else 22) + rng.randint(0, 5)
        born = fake.date_between_dates(date(year - age, 1, 1), date(year - age, 12, 31))
        place = fake.postcode()
        programme = rng.choice([p for p in PROGRAMMES if p.startswith("Doctorat") == doctor])
        slug = _fold(f"{first}.{last}").replace(" ", "-")
        return {
            "id": f"P3-{n:04d}",
            "first_name": first,
            "last_name": last,
            "birth_name": "",
            "birth_date": born.strftime("%d/%m/%Y"),
            "email": f"{slug}@example.org",
            "city": fake.city(),
            "postcode": place,
            "graduation_year": str(year),
            "program": programme,
            "employer": "",
            "job_title": "",
            "linkedin_url": "",
        }

    rows = []
    for n in range(1, GENERATED + 1):
        row = record(n, fake.first_name(), fake.last_name())
        if rng.random() < 0.6:
            row["employer"] = fake.company()
            row["job_title"] = rng.choice(JOBS)
        rows.append(row)
    for k, (first, last, title, university) in enumerate(
        jury_members(DATA / "rss" / "univ-paris3.rss")
    ):
        row = record(GENERATED + 1 + k, first, last, doctor=True)
        earlier = next((v for key, v in EARLIER.items() if _fold(title).startswith(key)), "")
        row["employer"] = university.replace(" - ", " ")
        row["job_title"] = earlier or "Attaché temporaire d'enseignement et de recherche"
        rows.append(row)
    rng.shuffle(rows)
    with (DATA / "alumni.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} alumni written, {len(rows) - GENERATED} named in the demo's announcements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
