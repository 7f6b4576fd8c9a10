"""Phrasing families of job-change announcements, one invented sentence each, plus negatives.

The sentences are written for the tests (invented people, real organisation names) and
cover the styles outsiders check: press releases, government appointments, sport
signings, business successions, academia and first-person posts. Each negative reuses
a trigger word of a positive family ("takes the helm of the debate", "a rejoint le
peloton de tête"), so a rule that fires on the word alone fails here.
"""

from __future__ import annotations

import pytest

from enrich.jobs import extract_job_changes

FAMILIES = [
    # (text, person, organization, title)
    # press releases / government
    (
        "Claire Moreau est nommée directrice générale de Veolia à compter du 1er janvier 2025.",
        "Claire Moreau",
        "Veolia",
        "directrice générale",
    ),
    (
        "Le conseil des ministres a nommé Paul Girard préfet de la Gironde.",
        "Paul Girard",
        "Gironde",
        "préfet",
    ),
    (
        "Julie Roux a été nommée ministre de la Culture.",
        "Julie Roux",
        None,
        "ministre de la Culture",
    ),
    (
        "Pierre Durand accède au poste de directeur financier de Safran.",
        "Pierre Durand",
        "Safran",
        "directeur financier",
    ),
    (
        "Un conseiller de l'Élysée devient ainsi préfet des Hauts-de-Seine.",
        None,
        "Hauts-de-Seine",
        "préfet",
    ),
    # sport
    ("Marc Petit devient l'entraîneur de l'OM.", "Marc Petit", "OM", "entraîneur"),
    ("Karim Haddad s'engage avec le Stade Rennais.", "Karim Haddad", "Stade Rennais", None),
    ("Hugo Lambert signs for Leeds United.", "Hugo Lambert", "Leeds United", None),
    (
        "Tom Baker was named head coach of the Chicago Bulls.",
        "Tom Baker",
        "Chicago Bulls",
        "head coach",
    ),
    ("Norwich have signed Sam Porter for an undisclosed fee.", "Sam Porter", "Norwich", None),
    (
        "Winger Sam Porter has been officially signed by Chelsea on a five-year contract.",
        "Sam Porter",
        "Chelsea",
        None,
    ),
    (
        "Lyon have named an interim coach to lead the team.",
        None,
        "Lyon",
        "interim coach",
    ),
    (
        "Après le départ de Jean Morel, Luca Rossi a été officiellement nommé entraîneur du "
        "FC Nantes.",
        "Luca Rossi",
        "FC Nantes",
        "entraîneur",
    ),
    # business
    ("Acme Corp appoints Jane Smith as CFO.", "Jane Smith", "Acme Corp", "CFO"),
    ("Jane Smith takes the helm at Orange Bank.", "Jane Smith", "Orange Bank", None),
    (
        "John Carter will succeed Mary Jones as CEO of Boeing.",
        "John Carter",
        "Boeing",
        "CEO",
    ),
    (
        "Sarah Lee has been promoted to VP of Engineering at Stripe.",
        "Sarah Lee",
        "Stripe",
        "VP of Engineering",
    ),
    (
        "Maria Lopez steps into the role of chief operating officer at Danone.",
        "Maria Lopez",
        "Danone",
        "chief operating officer",
    ),
    (
        "Lucas Bernard arrive chez Ubisoft comme directeur artistique.",
        "Lucas Bernard",
        "Ubisoft",
        "directeur artistique",
    ),
    (
        "Tom Hardy has taken over as chief executive of Rolls-Royce.",
        "Tom Hardy",
        "Rolls-Royce",
        "chief executive",
    ),
    ("Laura Chen lands at Google as staff engineer.", "Laura Chen", "Google", "staff engineer"),
    (
        "Ann Lee, who joined Siemens as head of research, said the move was easy.",
        "Ann Lee",
        "Siemens",
        "head of research",
    ),
    (
        "Marie Blanc a pris ses fonctions de directrice de l'Opéra de Lyon.",
        "Marie Blanc",
        "Opéra de Lyon",
        "directrice",
    ),
    # appositions and welcome posts
    (
        "Sophie Morel, nouvelle directrice du Louvre, a présenté son projet.",
        "Sophie Morel",
        "Louvre",
        "directrice",
    ),
    ("Jane Doe, the new CEO of Nokia, said the plan was ready.", "Jane Doe", "Nokia", "CEO"),
    ("Meet the new Head of Sales at Criteo!", None, "Criteo", "Head of Sales"),
    # academia
    (
        "Anne Morel a été élue présidente de l'université de Lille.",
        "Anne Morel",
        "université de Lille",
        "présidente",
    ),
    (
        "Léa Martin devient ainsi la première femme présidente de l'université de Tours.",
        "Léa Martin",
        "université de Tours",
        "présidente",
    ),
    (
        "L'Université de Montréal vient d'élire la première femme de son histoire au poste "
        "de rectrice.",
        None,
        "Université de Montréal",
        "rectrice",
    ),
    (
        "Prof. David Kim is also joining the department this fall as a full professor of "
        "chemistry.",
        "David Kim",
        None,
        "full professor of chemistry",
    ),
    # first-person posts
    (
        "Je commence un nouveau poste de chargée de communication chez Airbus.",
        None,
        "Airbus",
        "chargée de communication",
    ),
    (
        "Je suis ravie de vous annoncer que je rejoins Capgemini en tant que cheffe de projet.",
        None,
        "Capgemini",
        "cheffe de projet",
    ),
    (
        "Nouveau poste : responsable marketing chez Decathlon.",
        None,
        "Decathlon",
        "responsable marketing",
    ),
    (
        "Je prendrai mes fonctions en septembre à l'université de Reims.",
        None,
        "université de Reims",
        None,
    ),
    (
        "Thrilled to announce I've accepted a position as Data Scientist at Spotify.",
        None,
        "Spotify",
        "Data Scientist",
    ),
    (
        "After 5 years at Google, I'm joining Meta as Product Manager.",
        None,
        "Meta",
        "Product Manager",
    ),
    (
        "Happy to share that I'm starting a new position as Research Fellow at Inria!",
        None,
        "Inria",
        "Research Fellow",
    ),
    (
        "Come the morning, I will officially be a Research Fellow at the University of Leeds.",
        None,
        "University of Leeds",
        "Research Fellow",
    ),
    (
        "As of July 1st I have become the Director of Undergraduate Studies for our college.",
        None,
        None,
        "Director of Undergraduate Studies",
    ),
]

TRAPS = [
    "Lyon, nouvelle capitale de la gastronomie, accueille le salon.",
    "Marie Dupont, nouvelle venue dans le quartier, a ouvert une boulangerie.",
    "Paris Saint-Germain, the new champions of France, celebrated.",
    "Meet the new iPhone at the Apple Store!",
    "The plane landed at Heathrow this morning.",
    "Bob Smith, who joined the protest on Monday, was arrested.",
    "Elle a été nommée aux César pour son premier rôle.",
    "Thousands joined the march in Paris.",
    "Le Slovène a rejoint le peloton de tête dans la dernière montée.",
    "Kylian Mbappé a été élu joueur du mois.",
    "The party announced a new position on climate policy.",
    "The moderator takes the helm of the debate tonight.",
    "The team takes the helm of the league table after the win.",
    "She hopes to succeed in her final exams.",
    "Le président arrive à Marseille ce soir pour un meeting.",
    "Les supporters arrivent au Stade Vélodrome dès midi.",
    "Elle accède à la finale de Roland-Garros.",
    "Nouveau poste de police inauguré à Lyon.",
    "I will be at the conference in Berlin next week.",
    "I have become a fan of Paris Saint-Germain.",
    "This semester's group joins the 25 faculty members who came to Yale last fall.",
    "L'UNFP a dévoilé la liste des joueurs nommés pour le trophée du meilleur joueur du mois.",
    "The San Jose Sharks fired head coach Bob Boughner, the team announced Friday.",
    "Le directeur exécutif est nommé par le conseil d'administration pour cinq ans.",
]


@pytest.fixture(scope="module")
def results() -> list[list[dict[str, str | None]]]:
    found = extract_job_changes([f[0] for f in FAMILIES] + TRAPS)
    return [[jc.contract() for jc in changes] for changes in found]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(FAMILIES)), ids=[f[0][:40] for f in FAMILIES])
def test_family_is_extracted(results: list[list[dict[str, str | None]]], index: int) -> None:
    text, person, org, title = FAMILIES[index]
    found = results[index]
    assert len(found) == 1, (text, found)
    got = {k: found[0][k] for k in ("person", "organization", "title")}
    assert got == {"person": person, "organization": org, "title": title}, text


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(TRAPS)), ids=[t[:40] for t in TRAPS])
def test_trap_sentence_gives_no_change(
    results: list[list[dict[str, str | None]]], index: int
) -> None:
    assert results[len(FAMILIES) + index] == [], TRAPS[index]
