"""The errors a user meets read in the interface's language (French by default).

One message per module that raises them, read with the French catalogue and then
with ``locale = "en"``: the location prefix of :class:`ImportFileError`, the
configuration, JSON Lines, the alumni CSV, the input checks and a command's own
error; the store, the reports and the mail, the self-confirmation links, the
sentiment models and data, a crawler's settings, the LinkedIn export and the
crawl's notes. A third party's detail (json's, pydantic's) stays as it is, quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawlers.failure_reasons import explain
from crawlers.linkedin_export import parse_connections
from reports.mail import send_mail
from reports.weekly import parse_week
from sentiment.data import require_split
from sentiment.device import resolve_device
from store.review import normalise_value
from tests.conftest import make_settings
from veille.alumni_csv import parse_date, read_alumni_csv
from veille.cli._tag import read_jsonl
from veille.config import load_settings
from veille.errors import ImportFileError, VeilleError
from veille.i18n import set_locale
from veille.inputcheck import problem
from veille.jsonl import json_objects
from web.links import read_token


@pytest.fixture(autouse=True)
def _french_afterwards() -> Iterator[None]:
    yield
    set_locale("fr")


def _message(action: Callable[[], object]) -> str:
    with pytest.raises((VeilleError, ValueError)) as caught:
        action()
    return str(caught.value)


def _both(action: Callable[[], object]) -> tuple[str, str]:
    set_locale("fr")
    french = _message(action)
    set_locale("en")
    return french, _message(action)


def test_the_location_prefix() -> None:
    def raise_it() -> None:
        raise ImportFileError("x", line=3, path="a.csv")

    assert _both(raise_it) == ("a.csv, ligne 3 : x", "a.csv, line 3: x")


def test_the_configuration(tmp_path: Path) -> None:
    absent = tmp_path / "absent.toml"
    french, english = _both(lambda: load_settings(absent))
    assert french == f"aucune configuration à {absent} : lancez `veille init` pour en écrire une"
    assert english == f"no configuration at {absent}: run `veille init` to write one"
    invalid = tmp_path / "invalid.toml"
    invalid.write_text('database_url = "sqlite://"\n', encoding="utf-8")
    french, english = _both(lambda: load_settings(invalid))
    # pydantic's own words are quoted after the sentence
    assert french.startswith(f"configuration invalide dans {invalid} : institution: Field required")
    assert english.startswith(f"invalid configuration in {invalid}: institution: Field required")


def test_json_lines() -> None:
    french, english = _both(lambda: list(json_objects(['{"a": 1}', '{"a": '], path="m.jsonl")))
    assert french.startswith("m.jsonl, ligne 2 : JSON invalide (Expecting value")
    assert english.startswith("m.jsonl, line 2: not valid JSON (Expecting value")


def test_the_alumni_csv(tmp_path: Path) -> None:
    path = tmp_path / "alumni.csv"
    path.write_text("id,last_name\n1,A\n1,B\n", encoding="utf-8")
    french, english = _both(lambda: read_alumni_csv(path))
    assert french == "ligne 3 : id déjà utilisé à la ligne 2"
    assert english == "line 3: id already used on line 2"
    assert _both(lambda: parse_date("hier")) == (
        "n'est pas une date (écrivez AAAA-MM-JJ ou JJ/MM/AAAA)",
        "is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    )


def test_the_input_checks(tmp_path: Path) -> None:
    set_locale("fr")
    assert problem("a\x00b", max_length=10) == "contient un octet NUL"
    set_locale("en")
    assert problem("a\x00b", max_length=10) == "contains a NUL byte"
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,last_name\nA-1,Hélène\n".encode("latin-1"))
    french, english = _both(lambda: read_alumni_csv(path))
    assert french.startswith("ligne 2 : le fichier n'est pas en UTF-8 (octet 0xE9) ; réenregistrez")
    assert english.startswith("line 2: the file is not UTF-8 (byte 0xE9); re-save it")


def test_a_command_module() -> None:
    french, english = _both(lambda: list(read_jsonl([b'{"text": 3}'])))
    assert french == 'ligne 1 : "text" doit être une chaîne de caractères'
    assert english == 'line 1: "text" must be a string'


def test_the_store() -> None:
    assert _both(lambda: normalise_value("emails", "ana")) == (
        "'ana' n'est pas une adresse e-mail",
        "'ana' is not an e-mail address",
    )


def test_the_reports_and_the_mail() -> None:
    french, english = _both(lambda: parse_week("2026-47"))
    assert french == "la semaine '2026-47' n'est pas une semaine ISO : écrivez-la comme 2026-W47"
    assert english == "week '2026-47' is not an ISO week: write it like 2026-W47"
    assert _both(lambda: send_mail(make_settings(), [], "s", "t")) == (
        "aucun destinataire : rien n'a été envoyé",
        "no recipient: nothing was sent",
    )


def test_the_self_confirmation_links() -> None:
    assert _both(lambda: read_token("k" * 32, "forged")) == (
        "Ce lien n'est pas valide.",
        "This link is not valid.",
    )


def test_the_sentiment_models_and_data() -> None:
    assert _both(lambda: resolve_device("tpu")) == (
        "[sentiment] device doit valoir auto, cpu ou cuda, pas 'tpu'",
        "[sentiment] device must be auto, cpu or cuda, not 'tpu'",
    )
    french, english = _both(lambda: require_split(None, "train"))
    assert french.startswith("--data DOSSIER est obligatoire : procurez-vous les dossiers UMSAB")
    assert english.startswith("--data DIR is required: get the UMSAB")


def test_the_linkedin_export() -> None:
    french, english = _both(lambda: parse_connections("Notes\nA,B\n"))
    assert french.startswith("aucune ligne d'en-tête commençant par 'First Name,Last Name'")
    assert english.startswith("no header line starting with 'First Name,Last Name' found")


def test_a_crawl_note() -> None:
    set_locale("fr")
    french = explain("daily budget of 500 items reached")
    set_locale("en")
    english = explain("daily budget of 500 items reached")
    assert french == "Le budget quotidien de 500 éléments est atteint : la source reprend demain."
    assert english == "The daily budget of 500 items is reached; the source resumes tomorrow."
