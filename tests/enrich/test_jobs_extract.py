"""Job-change extraction on FR/EN sentences, with negatives sharing the trigger words.

These sentences are written for the tests (invented people); the benchmark
(benchmarks/jobs_eval.py) scores real public sentences.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrich.jobs import (
    detect_lang,
    extract_job_changes,
    normalise_inclusive,
    parse_start_date,
)
from tests.enrich.spent_parts import spent_row

POSITIVES = [
    # (text, person, organization, title, start_date)
    (
        "Marie Dupont a été nommée directrice générale de la SNCF à compter du 1er mars 2024.",
        "Marie Dupont",
        "SNCF",
        "directrice générale",
        "2024-03-01",
    ),
    (
        "Après dix ans chez Renault, Jean Martin rejoint Stellantis en tant que directeur "
        "financier.",
        "Jean Martin",
        "Stellantis",
        "directeur financier",
        None,
    ),
    (
        "Sophie Durand est nommée présidente de l'université de Strasbourg.",
        "Sophie Durand",
        "université de Strasbourg",
        "présidente",
        None,
    ),
    (
        "Alex Moreau a été nommé(e) directeur·rice de l'Institut Pasteur le 3 janvier 2023.",
        "Alex Moreau",
        "Institut Pasteur",
        "directeur·rice",
        "2023-01-03",
    ),
    (
        "L'Université de Lille nomme Pierre Leroy directeur de la communication.",
        "Pierre Leroy",
        "Université de Lille",
        "directeur de la communication",
        None,
    ),
    (
        "Claire Lemaire prend la tête de l'Agence nationale de la recherche.",
        "Claire Lemaire",
        "Agence nationale de la recherche",
        None,
        None,
    ),
    (
        "Lucie Bernard succède à Marc Petit au poste de directrice des ressources humaines "
        "d'Airbus.",
        "Lucie Bernard",
        "Airbus",
        "directrice des ressources humaines",
        None,
    ),
    (
        "Je suis ravie de vous annoncer que je rejoins BNP Paribas en tant que responsable de "
        "la conformité.",
        None,
        "BNP Paribas",
        "responsable de la conformité",
        None,
    ),
    (
        "I'm happy to share that I'm starting a new position as Senior Data Scientist at Doctolib!",
        None,
        "Doctolib",
        "Senior Data Scientist",
        None,
    ),
    (
        "Jane Smith joins Acme Corp as Chief Technology Officer.",
        "Jane Smith",
        "Acme Corp",
        "Chief Technology Officer",
        None,
    ),
    (
        "Google appoints John Doe as Head of Marketing.",
        "John Doe",
        "Google",
        "Head of Marketing",
        None,
    ),
    (
        "Dr. Alice Brown has been appointed Professor of Economics at Harvard University, "
        "effective July 1, 2024.",
        "Alice Brown",
        "Harvard University",
        "Professor of Economics",
        "2024-07-01",
    ),
    (
        "Paul Durand devient directeur de Sciences Po.",
        "Paul Durand",
        "Sciences Po",
        "directeur",
        None,
    ),
]

POSITIVES += [
    (
        "J'ai le plaisir de vous annoncer ma nomination en tant que directrice adjointe de "
        "l'ESSEC.",
        None,
        "ESSEC",
        "directrice adjointe",
        None,
    ),
    (
        "Manchester United have confirmed the appointment of Ruben Amorim as head coach.",
        "Ruben Amorim",
        "Manchester United",
        "head coach",
        None,
    ),
    (
        "Rachida Dati a été nommée ministre de la Culture.",
        "Rachida Dati",
        None,
        "ministre de la Culture",
        None,
    ),
    (
        "Professor Jane Roe has been appointed Dean of the Faculty of Law at the University of "
        "Edinburgh.",
        "Jane Roe",
        "University of Edinburgh",
        "Dean of the Faculty of Law",
        None,
    ),
    (
        "Today is my first day as Chief Marketing Officer at Nike.",
        None,
        "Nike",
        "Chief Marketing Officer",
        None,
    ),
]

POSITIVES += [
    ("John Doe named CEO of Acme Corp", "John Doe", "Acme Corp", "CEO", None),
    ("Amazon hires John Doe from Google.", "John Doe", "Amazon", None, None),
    (
        "Anne Dubois (promo 2012) a été nommée directrice marketing de L'Oréal France.",
        "Anne Dubois",
        "L'Oréal France",
        "directrice marketing",
        None,
    ),
    (
        "Félicitations à Paul Martin pour sa nomination au poste de directeur général de Michelin.",
        "Paul Martin",
        "Michelin",
        "directeur général",
        None,
    ),
    (
        "Marie Dupont succède à Jean Martin à la présidence de l'Université de Lyon.",
        "Marie Dupont",
        "Université de Lyon",
        None,
        None,
    ),
]

NEGATIVES = [
    "She was named in the indictment.",
    "Elle a rejoint son domicile après l'audience.",
    "Il a été nommé dans l'affaire des assistants parlementaires.",
    "L'ancien international a été nommé coach de l’année dans le championnat italien.",
    "Le film a été nommé aux Oscars dans la catégorie meilleur film.",
    "Elle a été nommée aux César pour son premier rôle.",
    "Des milliers de manifestants ont rejoint le cortège place de la République.",
    "Thousands joined the protest outside parliament on Sunday.",
    "The two companies joined forces to build a new plant.",
    "He was named best player of the tournament.",
    "Une petite rue nommée Victor Hugo traverse le quartier.",
    "The CEO resigned from his position effective today.",
    "Rejoignez-nous pour la soirée des anciens le 12 mars !",
]


@pytest.mark.slow
def test_positives_and_negatives_in_one_batch() -> None:
    texts = [p[0] for p in POSITIVES] + NEGATIVES
    results = extract_job_changes(texts)
    assert len(results) == len(texts)
    for (text, person, org, title, start), found in zip(POSITIVES, results, strict=False):
        assert len(found) == 1, (text, found)
        jc = found[0]
        assert jc.contract() == {
            "person": person,
            "organization": org,
            "title": title,
            "start_date": start,
        }, text
        # The reading is named: a rule, the tagger, or the tagger completed by a rule.
        assert jc.rule.startswith(("jobs-rules-", "job-tagger-")) and jc.sentence
    for text, found in zip(NEGATIVES, results[len(POSITIVES) :], strict=True):
        assert found == [], (text, found)


@pytest.mark.slow
def test_decomposed_accents_read_as_composed_ones() -> None:
    """Some feeds and files send "nomme\u0301e": the same change is read as in "nommée"."""
    import unicodedata

    text = "Anne Dubois (promo 2012) a été nommée directrice marketing de L'Oréal France."
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    composed, decomposed = extract_job_changes([text, nfd])
    assert [jc.contract() for jc in decomposed] == [jc.contract() for jc in composed]
    assert composed and composed[0].title == "directrice marketing"


@pytest.mark.slow
def test_forced_language_and_empty_text() -> None:
    results = extract_job_changes(["", "   "], lang="fr")
    assert results == [[], []]
    (found,) = extract_job_changes(["Jane Smith joins Acme Corp as CFO."], lang="en")
    assert found[0].organization == "Acme Corp"
    assert found[0].title == "CFO"


def test_detect_lang() -> None:
    assert detect_lang("Marie Dupont a été nommée directrice de la SNCF.") == "fr"
    assert detect_lang("Jane Smith has joined Acme Corp as its new CFO.") == "en"


def test_inclusive_normalisation_keeps_offsets() -> None:
    text = "nommé(e) directeur(trice) et chargé(e)s"
    out = normalise_inclusive(text)
    assert len(out) == len(text)
    assert "(" not in out


FR_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)))
def test_start_date_french_and_english(d: date) -> None:
    day_fr = "1er" if d.day == 1 else str(d.day)
    fr = f"Elle prendra ses fonctions à compter du {day_fr} {FR_MONTHS[d.month - 1]} {d.year}."
    en = f"He joins the board effective {EN_MONTHS[d.month - 1]} {d.day}, {d.year}."
    assert parse_start_date(fr) == d.isoformat()
    assert parse_start_date(en) == d.isoformat()


@settings(max_examples=30, deadline=None)
@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2005, 12, 31)))
def test_birth_dates_are_not_start_dates(d: date) -> None:
    text = f"Née le {d.day} {FR_MONTHS[d.month - 1]} {d.year}, elle dirige le laboratoire."
    assert parse_start_date(text) is None


def test_month_without_year_uses_publication_year() -> None:
    base = datetime(2025, 6, 10, tzinfo=UTC)
    assert (
        parse_start_date("Il rejoint le groupe en septembre.", base) is None
    )  # no day: needs year
    assert parse_start_date("Il prendra ses fonctions le 1er septembre.", base) == "2025-09-01"


PIECES = [
    *"aeiouéènmrt ()·.,!?'’-\n",
    "nommée ",
    "rejoint ",
    "joins ",
    " as ",
    " at ",
    "Google",
    "SNCF",
    "I'm ",
    "directrice ",
    "de la ",
    "CEO",
    "1er mars 2024",
    "🎉",
]


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=30).map("".join), max_size=5))
def test_any_text_gives_well_formed_output(texts: list[str]) -> None:
    results = extract_job_changes(texts)
    assert len(results) == len(texts)
    for found in results:
        for jc in found:
            c = jc.contract()
            assert set(c) == {"person", "organization", "title", "start_date"}
            assert c["organization"] or c["title"]
            if c["start_date"]:
                date.fromisoformat(c["start_date"])


if TYPE_CHECKING:
    from enrich.job_tagger import Tagged


class _DecidingTagger:
    """A tagger that finds no span and gives every text the same yes/no (the policy's input).

    ``apart``: the yes/no comes from a second model (what ships), so it can be read alone;
    ``spanned`` keeps the texts the span pass was asked to read.
    """

    decides = True

    def __init__(self, change: float, *, apart: bool) -> None:
        self.change = change
        self.decides_apart = apart
        self.spanned: list[str] = []

    def decisions(self, texts: list[str]) -> list[float]:
        return [self.change for _ in texts]

    def tag(self, texts: list[str], *, decide: bool = True) -> list[Tagged]:
        from enrich.job_tagger import Tagged

        self.spanned += texts
        said = self.change if decide or not self.decides_apart else None
        return [Tagged([], said) for _ in texts]


@pytest.mark.parametrize("apart", [True, False])
@pytest.mark.parametrize(("said", "kept"), [(0.2, False), (0.8, True)])
def test_the_taggers_no_drops_even_a_complete_rule_change(monkeypatch, said, kept, apart) -> None:
    """A tagger trained to decide reads every text the rules read, and its "no" (below
    CHANGE_MIN) stops their changes too; its "yes" leaves a complete rule change as it is.
    A separate decider is read first, and the span pass then skips the texts it says no
    to and those whose rule changes are complete; a tagger that decides itself reads all."""
    import enrich.job_tagger as jt
    from enrich.jobs import rule_changes
    from enrich.jobs.merge import CHANGE_MIN, with_tagger

    assert 0.2 < CHANGE_MIN < 0.8
    text = "Marie Dupont a été nommée directrice générale de la SNCF."
    other = "Bonjour à toutes et à tous."
    by_rules = rule_changes([text], ["fr"])
    assert by_rules[0] and all(c.person and c.organization and c.title for c in by_rules[0])
    tagger = _DecidingTagger(said, apart=apart)
    monkeypatch.setattr(jt, "load_tagger", lambda *a, **k: tagger)
    monkeypatch.setattr(jt, "load_title_tagger", lambda *a, **k: None)
    out = with_tagger([text, other], ["fr", "fr"], [*by_rules, []], None)
    assert out == ([*by_rules, []] if kept else [[], []])
    if apart:
        assert tagger.spanned == ([other] if kept else [])
    else:
        assert tagger.spanned == [text, other]


@pytest.mark.parametrize(
    ("text", "org", "plausible"),
    [
        # first-person posts of the spent parts 12 and 13 (p12c-fr-011, p13c-fr-027)
        (
            "Je suis très fière de vous annoncer que j'ai intégré le réseau des bibliothèques "
            "de Québec!",
            "réseau des bibliothèques de Québec",
            True,
        ),
        (
            "A cette date, la direction de FAIRCO m’a été confiée.",
            "FAIRCO",
            True,
        ),
        # an organisation alone, told of someone else, is not enough
        ("Un supporter du Paris Saint-Germain depuis toujours.", "Paris Saint-Germain", False),
        ("We joined the Leeds United supporters' club.", "Leeds United", False),
        # a fan's club, even told in the first person (test_jobs_families.py's trap)
        ("I have become a fan of Paris Saint-Germain.", "Paris Saint-Germain", False),
    ],
)
def test_an_organisation_alone_counts_only_in_a_first_person_post(
    text: str, org: str, plausible: bool
) -> None:
    from enrich.jobs.merge import _plausible_alone

    change: dict[str, str | None] = {"person": None, "organization": org, "title": None}
    assert _plausible_alone(text, change) is plausible


@pytest.mark.parametrize(
    ("text", "change", "plausible"),
    [
        # spent positives (p79-en-043, p69-en-067, p92-en-001) that the prize check dropped
        (
            "Donegal woman Ruth McGowan has been announced as the new Festival Director of the "
            "Dublin Fringe Festival.",
            ("Ruth McGowan", "Dublin Fringe Festival", "Festival Director"),
            True,
        ),
        (
            "David Duggan will return to Hattiesburg as the defensive coordinator for the Golden "
            "Eagles.",
            ("David Duggan", "Golden Eagles", "defensive coordinator"),
            True,
        ),
        (
            "The NEC has henceforth appointed James Nandwa with immediate effect as the interim "
            "head coach till the end of the season to be assisted by Micky Weche.",
            ("James Nandwa", "NEC", "interim head coach"),
            True,
        ),
        # prizes: the award words or the period follow the title itself
        (
            "8 of those wins came when Dalton was named Coach of the Year by the AP.",
            ("Dalton", None, "Coach"),
            False,
        ),
        (
            "Elle a été nommée joueuse du mois de janvier par la Ligue.",
            (None, "Ligue", "joueuse"),
            False,
        ),
        ("He was named goalkeeper at the Golden Globes.", ("Smith", None, "goalkeeper"), False),
    ],
)
def test_the_prize_check_reads_the_title_not_its_organisation(
    text: str, change: tuple[str | None, str | None, str], plausible: bool
) -> None:
    """Round 85: prize words inside the change's own organisation ("Dublin Fringe Festival",
    "Golden Eagles") and a period that ends a later clause ("till the end of the season")
    are no prize; right after the title they are."""
    from enrich.jobs.merge import _plausible_alone

    person, org, title = change
    found = {"person": person, "organization": org, "title": title}
    assert _plausible_alone(text, found) is plausible


@pytest.mark.parametrize(
    ("part", "row_id", "title"),
    [
        # "J'ai décroché un poste de"
        ("jobs_test15.jsonl", "p15C-fr-028", "journaliste territorial"),
        ("jobs_test15.jsonl", "p15C-en-025", "pastor"),  # "I am your new pastor"
        ("jobs_test14.jsonl", "p14C-en-034", "librarian"),  # "got my first job as a librarian"
    ],
)
def test_round18_first_person_posts_and_clergy_offices_are_read(
    part: str, row_id: str, title: str
) -> None:
    """Round 18: real first-person job news of the spent parts 14-15 that nothing read before
    (the phrasing lines of ``triggers_*.jsonl`` and ``jobs_triggers.txt``; clergy offices as
    title heads of ``words.txt``)."""
    row = spent_row(part, row_id)
    assert row["job_changes"]
    found = extract_job_changes([row["text"]], row["lang"])[0]
    assert title in [c.title for c in found]


@pytest.mark.parametrize(
    ("row_id", "person", "org"),
    [
        # a signing "à Brest": the city names the club (the trip guard does not apply)
        ("p17-fr-001", "Coralie Lassource", "Brest"),
        # "had re-signed veteran ... X": a club re-signs a player
        ("p17-en-103", "Natalie Medhurst", "West Coast Fever"),
    ],
)
def test_round19_sports_signings_name_their_club(row_id: str, person: str, org: str) -> None:
    """Round 19: real signings of the spent part 17 whose club was lost (``[sign_verbs]`` of
    ``words.txt``, the "re-signed" lines of ``triggers_en.jsonl`` and ``jobs_triggers.txt``);
    a trip to a city is still no job ("Il a rejoint Bruxelles mardi")."""
    row = spent_row("jobs_test17.jsonl", row_id)
    assert row["job_changes"]
    found = extract_job_changes([row["text"]], row["lang"])[0]
    assert (person, org) in [(c.person, c.organization) for c in found]
    assert extract_job_changes(["Il a rejoint Bruxelles mardi."], "fr") == [[]]


def test_round47_a_seat_on_a_board_is_no_job_change() -> None:
    """Round 47: "appointed CONSOLATA ROP to be a member of the National Standards Council"
    (p10-en-039, labelled before the conventions named board seats) was read with the title
    "member"; a seat on a board or a committee is dropped with the vetoes."""
    row = spent_row("jobs_test10.jsonl", "p10-en-039")
    assert extract_job_changes([row["text"]], row["lang"]) == [[]]


def test_round21_a_nationality_adjective_is_no_organisation() -> None:
    """Round 21: "signed by English county Northamptonshire" (p17-en-068) read the adjective
    as the club; it is emptied, the signing kept."""
    row = spent_row("jobs_test17.jsonl", "p17-en-068")
    found = extract_job_changes([row["text"]], row["lang"])[0]
    assert [c.person for c in found] == ["Chris Lynn"]
    assert all(c.organization != "English" for c in found)


@pytest.mark.parametrize(
    ("part", "row_id", "title", "org"),
    [
        # "X, now postdoc at Y" (the NEW_TITLE line of triggers_en.jsonl, "now" in the
        # pre-filter's weak expressions)
        ("jobs_test20.jsonl", "p20-en-024", "postdoc", "Wolfson Institute of Preventive Medicine"),
        # "festival director": a festival beside a title head is an organisation, no prize
        # ([award_venues] of words.txt)
        ("jobs_test19.jsonl", "p19-en-081", "festival director", None),
        # "le nouvel évêque du diocèse de Saint-Denis" (bishops as title heads)
        ("jobs_test20.jsonl", "p20-fr-009", "évêque du diocèse", None),
    ],
)
def test_round28_phrasings_of_the_spent_parts_are_read(
    part: str, row_id: str, title: str, org: str | None
) -> None:
    """Round 28: real job news of the spent parts 19-20 that neither the rules nor the tagger
    read before."""
    row = spent_row(part, row_id)
    assert row["job_changes"]
    found = extract_job_changes([row["text"]], row["lang"])[0]
    assert title in [c.title for c in found]
    if org is not None:
        assert org in [c.organization for c in found]


def test_round28_a_titled_person_who_appoints_is_no_organisation() -> None:
    """Round 28: "President Akufo-Addo has appointed Mr. X as the new Acting Head of ..."
    (p20-en-042) read the president as the appointing organisation."""
    row = spent_row("jobs_test20.jsonl", "p20-en-042")
    found = extract_job_changes([row["text"]], row["lang"])[0]
    assert [c.person for c in found] == ["Sulley Sambian"]
    assert all(c.organization != "President Akufo-Addo" for c in found)


def test_round28_a_festival_is_a_prize_only_away_from_a_title() -> None:
    """Round 28: "festival" and "cannes" stay award words ("nommé au Festival de Cannes"),
    except beside a title head, where they name what the post heads."""
    from enrich.jobs.lexicon import is_award_word

    def award(words: str, i: int) -> bool:
        return is_award_word(words.split(), i)

    assert award("nomme au festival de cannes", 2)
    assert award("nomme au festival de cannes", 4)
    assert not award("appointed festival director of", 1)
    assert not award("nomme delegue general du festival de cannes", 4)
    assert not award("nomme delegue general du festival de cannes", 6)
    assert not award("appointed director of the festival", 4)
    assert award("nomme aux cesar", 2)  # not a venue: always a prize
    row = spent_row("jobs_test19.jsonl", "p19-en-081")
    assert "festival director" in row["text"]


def test_round30_a_person_after_a_title_who_appoints_is_no_organisation() -> None:
    """Round 30: "Oklahoma athletics director Joe Castiglione named Mark Carr as the new head
    coach ..." (the spent part 23, p23-en-060) read the director as the organisation."""
    row = spent_row("jobs_test23.jsonl", "p23-en-060")
    found = extract_job_changes([row["text"]], row["lang"])[0]
    assert [c.person for c in found] == ["Mark Carr"]
    assert all(c.organization != "Joe Castiglione" for c in found)


@pytest.mark.parametrize(
    ("row_id", "person", "org"),
    [
        # "a également nommé X comme président du Conseil de surveillance de Y": an adverb
        # between the auxiliary and the verb (the ORG_APPOINTS line of triggers_fr.jsonl)
        ("p24-fr-033", "Fouad Brini", "Agence spéciale Tanger"),
        ("p24-fr-066", "Kanfory Lappé", "Féguifoot"),  # "a illico nommé"
        # "prend les rênes du Web Summit après la démission de son prédécesseur": taking the
        # reins is an appointment, which the resignation veto must let through
        ("p24-fr-048", "Katherine Maher", "Web Summit"),
    ],
)
def test_round31_french_appointments_of_the_spent_part_24_are_read(
    row_id: str, person: str, org: str
) -> None:
    """Round 31: real French appointments of the spent part 24 that nothing read before."""
    row = spent_row("jobs_test24.jsonl", row_id)
    assert row["job_changes"]
    found = extract_job_changes([row["text"]], row["lang"])[0]
    assert (person, org) in [(c.person, c.organization) for c in found]


def test_round51_a_tagger_change_keeps_its_whole_sentence_past_an_initial() -> None:
    """Round 51: "North Andover Historical Society announced Sheila K. Hoffman as the
    organization's next executive director" (the spent part 49, p49-en-044) formed no change:
    its quote was cut at "K.", the trigger fell outside it, and the change was dropped. The
    quote now runs to the sentence's end, by the one splitter."""
    from enrich.jobs import extract_job_changes
    from enrich.jobs.merge import _sentence_of

    row = spent_row("jobs_test49.jsonl", "p49-en-044")
    gold = row["job_changes"][0]
    assert "K. Hoffman" in row["text"]
    quote = _sentence_of(row["text"], {"person": gold["person"]})
    assert quote.startswith("North Andover") and "executive director" in quote
    (found,) = extract_job_changes([row["text"]], "en")
    assert [(jc.organization, jc.title) for jc in found] == [(gold["organization"], gold["title"])]
    assert "announced" in found[0].sentence


def test_warm_up_loads_the_tables_read_at_first_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """``warm_up`` loads langdetect's profiles and dateparser's patterns before any text:
    the benchmark's rate "after loading" timed them inside its first batch (round 60)."""
    from langdetect import detector_factory

    from enrich.jobs.extract import warm_up

    monkeypatch.setattr(detector_factory, "_factory", None)
    warm_up()
    assert detector_factory._factory is not None
    assert {"fr", "en"} <= set(detector_factory._factory.get_lang_list())
