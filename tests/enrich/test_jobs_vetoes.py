"""Vetoes: real sentences that reuse job-change words for something else lose their change.

The sentences are read by id from the labelled data (dev splits and training files), never
written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enrich.job_tagger_train import TRAIN_DIR
from enrich.jobs_vetoes import veto
from tests.enrich.spent_parts import spent_row

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def _rows() -> dict[str, dict]:
    out: dict[str, dict] = {}
    dev_dir = TRAIN_DIR.parent / "jobs_dev"
    files = [*sorted(TRAIN_DIR.glob("*.jsonl")), *sorted(dev_dir.glob("*.jsonl"))]
    for path in [*files, BENCH / "jobs_eval.jsonl"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[row["id"]] = row
    return out


ROWS = _rows()


@pytest.mark.parametrize(
    ("row_id", "why"),
    [
        ("fr-042", "nommees au cesar"),  # a prize
        ("d3-fr-030", "nommes pour le trophee"),
        ("en-018", "joined others across the country who have protested"),  # a protest
        ("d3-en-044", "fired"),  # a firing
        ("d4-en-052", "in the hunt for"),  # a vacancy
        ("d4-fr-055", "candidat"),  # a candidacy
        ("d3-fr-038", "ete cite"),  # a rumour
        ("pol-fr-058", "socialiste ?"),  # a question
        ("spc3-fr-023", "aout ?"),
        ("aca-en-023", "elected an honorary"),  # an honour
        ("aca-fr-028", "honoris causa"),
        ("fp3-fr-035", "j'occupe"),  # a role merely held
        ("adm3-en-032", "currently serving"),
        # round 5, fresh websites (enrich/data/jobs_train/fresh_sites.jsonl)
        ("ne-en-036", "become a dad"),  # a family role
        ("ne-en-007", "is joined in the"),  # a sports list
        ("nf-fr-086", "deviendra conductor laureate"),  # an honorary title
        ("np-en-023", "year into my new job"),  # a job already held
        ("ne-en-065", "offered to be"),  # an offer not taken up
        ("nf-fr-094", "me propose d'etre"),
        ("ne-en-044", "pressure from"),  # a call to appoint
        ("ne-en-066", "need someone"),  # a vacancy
        ("np-en-006", "my last day"),  # a departure
        ("r6-fr-125", "terminera son mandat"),  # a term ending (fresh_sites2.jsonl)
        # round 6 (fresh_sites4.jsonl): "élu" as a noun ("mandat d'élu", "les élus
        # municipaux") no longer lifts a resignation's veto
        ("r8-fr-003", "demissionne"),
        ("r8-fr-095", "demissionnera"),
        ("r8-fr-037", "annulee"),  # an election annulled
        ("r8-fr-085", "citent plusieurs noms"),  # names cited for a post
        ("r8-fr-062", "occupees par benoit potier depuis"),  # a role held since
        # round 7 (fresh_sites6.jsonl, the development half of part 7)
        ("r10b-fr-093", "revocation"),  # a dismissal
        ("r10b-fr-119", "releve de son poste"),
        ("r10b-fr-052", "contrat de disques"),  # a record deal
        ("r10a-en-034", "15 years since i"),  # a role taken long ago
        ("r10b-fr-142", "elu, ce 12 decembre 2013, a l'academie"),  # an academy seat
    ],
)
def test_negatives_sharing_trigger_words_are_vetoed(row_id: str, why: str) -> None:
    row = ROWS[row_id]
    assert row["job_changes"] == []
    assert veto(row["text"]) == why


@pytest.mark.parametrize(
    "row_id",
    [
        "pol-en-009",
        "pol-en-035",
        "spc3-fr-059",
        "fr-033",
        "ne-en-115",
        "nf-fr-082",
        "r8-en-014",
        "r8-en-156",
        "r8-en-090",
        "r9b-en-037",
        "r9b-en-080",
        "r9a-fr-025",
        "r9a-fr-060",
        "r9a-fr-076",
        "r9a-fr-143",
        "r9a-fr-157",
        "r9a-fr-178",
    ],
)
def test_an_appointment_beside_a_departure_or_candidacy_stays(row_id: str) -> None:
    """ "re-appointed ... after she resigned", "seul candidat ... a été réélu", "voted
    Wednesday to hire ... while it conducts a national search", "arrache la mairie",
    "Retired figure skater ... will serve as ambassador", "resigned ... to rejoin Ryanair",
    "voted Saturday to install ... as the school's next president"; round 7 (fresh_sites5):
    "is appointing X after Y tendered his resignation", "to fill the vacancy", "quitte ... au
    profit de", "le « bâton », manifestation symbolique", "portera le maillot de", "étant parti
    diriger", "prend des fonctions de", "cède la place à"."""
    row = ROWS[row_id]
    assert row["job_changes"]
    assert veto(row["text"]) is None


def _spent_part_row(row_id: str) -> dict:
    part = {"p14": 14, "p15": 15, "p16": 16}[row_id[:3]]
    lines = (BENCH / f"jobs_test{part}.jsonl").read_text(encoding="utf-8").splitlines()
    return next(r for r in map(json.loads, lines) if r["id"] == row_id)


@pytest.mark.parametrize(
    ("row_id", "why"),
    [
        ("p16-fr-001", "deviendrait"),  # hearsay in the conditional
        ("p15C-en-019", "goal of becoming"),  # an ambition
        ("p14B-en-022", "the recruitment process for"),  # a vacancy opened
        ("p16-fr-079", "cela fait deux ans que je suis"),  # a post held for years
    ],
)
def test_round17_negatives_of_the_spent_parts_are_vetoed(row_id: str, why: str) -> None:
    """Round 17: real negatives of the spent parts 14-16 (scored once each, then development)
    that produced a change; an interim chair "until a permanent chair can be appointed
    following an open recruitment process" still counts."""
    row = _spent_part_row(row_id)
    assert row["job_changes"] == []
    assert veto(row["text"]) == why
    interim = ROWS["spo-en-038"]
    assert interim["job_changes"] and veto(interim["text"]) is None


def test_the_roles_of_a_sitting_are_vetoed() -> None:
    """Round 27: a meeting's chair and secretary, named by a general assembly, are not posts.
    The real sentence of the spent part 20 (scored once in round 26, then development)."""
    lines = (BENCH / "jobs_test20.jsonl").read_text(encoding="utf-8").splitlines()
    row = next(r for r in map(json.loads, lines) if r["id"] == "p20-fr-020")
    assert row["job_changes"] == [] and "secrétaire de séance" in row["text"]
    assert veto(row["text"]) == "president de seance"
    from enrich.jobs import extract_job_changes

    assert extract_job_changes([row["text"]], "fr") == [[]]


def test_labelled_job_changes_are_almost_never_vetoed() -> None:
    positives = [r["text"] for r in ROWS.values() if r["job_changes"]]
    vetoed = [t for t in positives if veto(t)]
    assert len(positives) > 900
    assert len(vetoed) <= 2, vetoed


def test_a_post_kind_named_outside_the_trigger_sentences_still_vetoes() -> None:
    """A long post is cut to its trigger sentences before it is read; the [text] vetoes
    (a thesis defence) must still see the whole post. Real post of the ordinary-posts set."""
    from enrich.jobs import extract_job_changes

    posts = (BENCH / "ordinary_posts.jsonl").read_text(encoding="utf-8").splitlines()
    text = next(json.loads(x)["text"] for x in posts if "Soutenance de thèse de Madame Filipa" in x)
    assert veto("", text) == "soutenance"
    assert extract_job_changes([text], "fr") == [[]]


def test_round28_a_terminated_appointment_is_no_change() -> None:
    """Round 28: "The appointment of X as the Chief Executive of Y has been terminated by
    President Z" (the spent part 20, p20-en-041) fired as a change."""
    lines = (BENCH / "jobs_test20.jsonl").read_text(encoding="utf-8").splitlines()
    row = next(r for r in map(json.loads, lines) if r["id"] == "p20-en-041")
    assert row["job_changes"] == [] and "terminated" in row["text"]
    assert veto(row["text"])
    from enrich.jobs import extract_job_changes

    assert extract_job_changes([row["text"]], "en") == [[]]


def test_round32_an_honour_is_no_post() -> None:
    """Round 32: an honour read as a post (the spent part 25); every labelled sentence the
    honours lines match is a negative (12 of 12 in the labelled data)."""
    lines = (BENCH / "jobs_test25.jsonl").read_text(encoding="utf-8").splitlines()
    # "se voit nommé officier de l'instruction Publique"
    row = next(r for r in map(json.loads, lines) if r["id"] == "p25-fr-052")
    assert row["job_changes"] == [] and row["negative_kind"] == "award"
    assert veto(row["text"])
    from enrich.jobs import extract_job_changes

    assert extract_job_changes([row["text"]], row["lang"]) == [[]]
    part7 = (BENCH / "jobs_test7.jsonl").read_text(encoding="utf-8").splitlines()
    # "a été nommée chevalier de la Légion d'honneur", a negative of the spent part 7
    knight = next(r for r in map(json.loads, part7) if r["id"] == "r10b-fr-055")
    assert knight["job_changes"] == [] and veto(knight["text"])


def test_round50_an_arrival_beside_a_departure_lifts_the_departure_veto() -> None:
    """Round 50: "has announced the hiring on a new general manager, X, following an
    extensive search including candidates" (the spent part 50, p50-en-019) was dropped by
    the candidacy veto; the arrival in the same sentence now lifts it. A departure alone, and
    the French "chose" (a thing), still veto."""
    row = spent_row(50, "p50-en-019")
    assert row["job_changes"] and "candidates" in row["text"]
    assert veto(row["text"]) is None
    from enrich.jobs import extract_job_changes

    (found,) = extract_job_changes([row["text"]], "en")
    assert [(jc.organization, jc.title) for jc in found] == [
        (c["organization"], c["title"]) for c in row["job_changes"]
    ]
    assert veto("Laurie Corbelli resigned after the 2017 season.") == "resigned"
    assert veto("Il a démissionné du club : c'est une autre chose pour lui.") == "demissionne"


def test_round57_an_internship_or_new_students_is_no_post() -> None:
    """Round 57: "joins the lab as a research intern" (p31-en-039), "welcome three new PhD
    students" (p25-en-046) and "un stage en tant que Responsable communication" (p47-fr-053)
    are negatives by the gold conventions (internship, study); they formed a change."""
    for part, row_id, expression in (
        (31, "p31-en-039", "as a research intern"),
        (25, "p25-en-046", "new phd students"),
        (47, "p47-fr-053", "un stage en tant que"),
    ):
        row = spent_row(part, row_id)
        assert row["job_changes"] == []
        assert veto(row["text"]) == expression
    # An intern hired as a post's holder is not caught ("as an Intern Coordinator" is a post).
    assert veto("She joins as an Intern Coordinator at the lab.") is None


def test_round57_a_job_offer_accepted_is_a_change() -> None:
    """Round 57: "I accepted a job offer from Liferay" (p46-en-057) and "I recently accepted
    a job offer for a postdoctoral research position at Princeton University" (p52-en-048)
    were vetoed whole by the job-offer expression; an offer accepted tells a change, an
    offer published still vetoes the post."""
    from enrich.jobs import extract_job_changes

    for part, row_id in ((46, "p46-en-057"), (52, "p52-en-048")):
        row = spent_row(part, row_id)
        assert row["job_changes"]
        assert veto(row["text"], row["text"]) is None
        (found,) = extract_job_changes([row["text"]], "en")
        gold = {c["organization"] for c in row["job_changes"]}
        assert gold & {jc.organization for jc in found}
    assert veto("We have a job offer for a data engineer.", "We have a job offer.") == "job offer"


def test_round62_a_padded_text_meets_the_single_spaced_data_lines() -> None:
    """Round 62 (a mend): "M.  Laurent  ROULLET  a  été  nommé  secrétaire  de  séance."
    (p41-fr-001, a negative: a meeting's secretary is no post) pads every word with two
    spaces, so the veto line written with single spaces missed it and a change was formed.
    ``fold`` reads a run of white space as one space."""
    from enrich.jobs import extract_job_changes
    from enrich.jobs_prefilter import fold

    row = spent_row(41, "p41-fr-001")
    assert row["job_changes"] == [] and "  " in row["text"]
    assert fold("a  été\tnommé\n secrétaire") == "a ete nomme secretaire"
    assert veto(row["text"]) == "secretaire de seance"
    assert extract_job_changes([row["text"]], "fr") == [[]]


def test_round63_a_hire_to_come_is_a_vacancy() -> None:
    """Round 63: real spent negatives that announce a hire to come formed a change; a sentence
    that also names the hire keeps it (the line is lifted by an [appointed] expression)."""
    for part, row_id, expression in (
        (21, "p21-en-038", "hopes to hire"),
        (36, "p36-en-036", "will hire"),
        (44, "p44-en-044", "looking at hiring"),
        (50, "p50-en-031", "created an opening"),
    ):
        row = spent_row(part, row_id)
        assert row["job_changes"] == []
        assert veto(row["text"], row["text"]) == expression
    text = "The board hopes to hire a deputy soon; it named Ann Lee director of the library."
    assert veto(text, text) is None


def test_round73_a_board_seat_or_an_intended_appointment_is_no_change() -> None:
    """Round 73: "was appointed to the board of ... as an independent director" (p86-en-033),
    "the election of X to the Netball WA Board" (p84-en-005), "re-appointed as World
    Netball's Independent Director" (p84-en-078), "as the group's independent and
    non-executive director" (p86-en-062) and "envisage de nommer" (p83-fr-025) are negatives
    by the gold conventions (committee, intention) and each formed a change in round 72."""
    from enrich.jobs import extract_job_changes

    cases = ((86, "p86-en-033"), (84, "p84-en-005"), (84, "p84-en-078"), (86, "p86-en-062"))
    for part, row_id in (*cases, (83, "p83-fr-025")):
        row = spent_row(part, row_id)
        assert row["job_changes"] == []
        assert extract_job_changes([row["text"]], row["lang"]) == [[]], row_id
    assert veto(spent_row(86, "p86-en-033")["text"]) == "appointed to the board"
    assert veto(spent_row(83, "p83-fr-025")["text"]) == "envisage de nommer"
    # An executive post at a trust, or a director's post, stays.
    assert veto("She was appointed chief executive of the National Trust.") is None


@pytest.mark.parametrize(
    ("part", "row_id", "expression"),
    [
        (64, "p64-en-040", "retired"),  # "replacing the retired X"
        (74, "p74-en-073", "resignation"),  # "confirmed X as fire chief ... resignation"
        (75, "p75-en-053", "for the past 15 years"),  # "announced ... as Agropur's new president"
        (86, "p86-en-019", "resigned"),  # "take charge of ..., replacing X, who resigned"
    ],
)
def test_round76_a_predecessors_departure_leaves_the_successors_appointment(
    part: int, row_id: str, expression: str
) -> None:
    """Round 76: a departure told of the predecessor ("replacing the retired X", "after former
    Chief X announced his resignation") vetoed the successor's change; the successor's
    appointment expressions of ``[appointed]`` now lift it, as "to replace" already did."""
    from enrich.jobs import extract_job_changes
    from enrich.jobs_vetoes import fold

    row = spent_row(part, row_id)
    (gold,) = row["job_changes"]
    assert expression in fold(row["text"]) and veto(row["text"]) is None
    (found,) = extract_job_changes([row["text"]], row["lang"])
    assert gold["person"] in [jc.person for jc in found]


def test_round76_a_protest_word_is_a_whole_word() -> None:
    """Round 76: "joining the Omacom Foundation full time as Head of Omarchy Shell" was vetoed
    as a march joined ("Om-archy"); the protest line now matches its words whole, and a march
    joined is still no job change."""
    row = spent_row(70, "p70-en-034")
    assert row["job_changes"] and veto(row["text"]) is None
    assert veto("Thousands joined the march on Sunday.") is not None
    assert veto("He joined the Pursuit Group as chief engineer.") is None
