"""Profile sources against local replay servers: schema.org pages, ORCID, appointment feeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from crawlers.appointments import AppointmentFeedSource
from crawlers.base import CrawlContext, Source
from crawlers.http import Gone, Refused
from crawlers.orcid import OrcidSource, normalise_orcid, orcid_checksum_ok
from crawlers.profile_common import PERSON_KEYS, content_hash
from crawlers.profiles import SchemaPersonSource
from store import profiles as store_profiles
from store.db import session_scope
from store.models import ProfileSnapshot
from tests.conftest import FIXTURES, make_settings
from tests.crawlers._replay import replay_server
from veille.config import SourceSettings
from veille.errors import ConfigError

#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")

PAGES = FIXTURES / "profile_pages" / "trafilatura_pages"
DATA = Path(__file__).parent / "data"
ORCID_ID = "0000-0002-1825-0097"


def _ctx(kind: str, base_url: str, targets: list[str], allow_private: bool = True) -> CrawlContext:
    hosts = [base_url.split("//", 1)[1].split("/", 1)[0]] if allow_private and base_url else []
    settings = make_settings(allow_private_addresses=False, allow_private_hosts=hosts)
    source = SourceSettings(name=f"t-{kind}", kind=kind, base_url=base_url, targets=targets)
    return CrawlContext(settings=settings, source=source, institution=settings.institution)


def _all_snapshots(source: Source) -> tuple[list[ProfileSnapshot], list[dict]]:
    snaps: list[ProfileSnapshot] = []
    cursors = []
    try:
        for target in source.targets():
            for batch in source.fetch(target, {}):
                snaps.extend(batch.snapshots)
                cursors.append(batch.cursor)
    finally:
        source.close()
    return snaps, cursors


@pytest.fixture(scope="module")
def page_server():
    routes = {f"/{p.name}": p for p in PAGES.glob("*.html")}
    with replay_server(routes) as base:
        yield base


def _by_name(snaps: list[ProfileSnapshot]) -> dict[str, dict]:
    return {s.person["name"]: s.person for s in snaps}


def test_schema_person_source_reads_pages_and_resolves_works_for(page_server: str) -> None:
    names = [
        "laweekly.com-Cultivation.html",
        "tonight.de-Arschloch.html",
        "thebalance.com.coinbase.html",
        "angelmagazin.de-schmerzen.html",
    ]
    source = SchemaPersonSource(_ctx("schema_person", page_server, names))
    assert isinstance(source, Source)
    source.validate()
    snaps, cursors = _all_snapshots(source)
    people = _by_name(snaps)
    # worksFor given as {"@id": ".../#organization"} is resolved within the page graph
    assert people["Shana Nys Dambrot"]["employer"] == "LA Weekly"
    assert people["Steven Salentin"] == people["Steven Salentin"] | {
        "job_title": "Redakteur",
        "employer": "RP Digital GmbH",
    }
    wade = people["Jacob Wade"]
    assert wade["job_title"] == "Personal Finance Writer"
    assert wade["alumni_of"] == ["Art Institute of Seattle"]
    assert "https://www.linkedin.com/in/jacob-wade-07077479/" in wade["same_as"]
    for s in snaps:
        assert set(s.person) == set(PERSON_KEYS)
        assert s.content_hash == content_hash(s.person)
        assert s.method and s.url.startswith(page_server)
        assert s.profile_key.startswith("schema_person:")
    # one batch per page, each with its own cursor
    assert len(cursors) == 4 and all(c["fetched_at"] for c in cursors)


def test_schema_person_source_drops_noise(page_server: str) -> None:
    names = ["villagersandheroes.com.forums.patchnotes.html", "elcomercio.pe-kenjifujimori.html"]
    snaps, _ = _all_snapshots(SchemaPersonSource(_ctx("schema_person", page_server, names)))
    # forum ranks in jobTitle, URL "names", an organisation's name as jobTitle: nothing kept
    assert snaps == []


def test_schema_person_source_is_stable_and_idempotent(page_server: str, db_url: str) -> None:
    source = SchemaPersonSource(
        _ctx("schema_person", page_server, ["thebalance.com.coinbase.html"])
    )
    first, _ = _all_snapshots(source)
    second, _ = _all_snapshots(source)
    assert [s.profile_key for s in first] == [s.profile_key for s in second]
    assert [s.content_hash for s in first] == [s.content_hash for s in second]
    with session_scope(db_url) as session:
        assert store_profiles.save_snapshots(session, first) == len(first) > 0
    with session_scope(db_url) as session:
        assert store_profiles.save_snapshots(session, second) == 0
        assert len(session.exec(select(ProfileSnapshot)).all()) == len(first)


def test_private_addresses_are_refused_unless_listed(page_server: str) -> None:
    source = SchemaPersonSource(
        _ctx("schema_person", page_server, ["laweekly.com-Cultivation.html"], allow_private=False)
    )
    with pytest.raises(Refused, match="allow_private_hosts"):
        _all_snapshots(source)


def test_schema_person_source_http_error_is_the_targets_own(page_server: str) -> None:
    source = SchemaPersonSource(_ctx("schema_person", page_server, ["missing.html"]))
    [target] = source.targets()
    with pytest.raises(Gone):
        list(source.fetch(target, {}))


def test_schema_person_validate_needs_targets() -> None:
    with pytest.raises(ConfigError, match="targets"):
        SchemaPersonSource(_ctx("schema_person", "", [])).validate()


def test_orcid_ids() -> None:
    assert orcid_checksum_ok(ORCID_ID)
    assert not orcid_checksum_ok("0000-0002-1825-0098")
    assert normalise_orcid(f"https://orcid.org/{ORCID_ID}/") == ORCID_ID
    assert normalise_orcid("0000000218250097") == ORCID_ID
    with pytest.raises(ConfigError, match="invalid ORCID"):
        OrcidSource(_ctx("orcid", "http://127.0.0.1:1", ["0000-0002-1825-0098"])).validate()


def test_orcid_source_current_employment() -> None:
    routes = {
        f"/v3.0/{ORCID_ID}/employments": DATA / "orcid" / "employments.json",
        f"/v3.0/{ORCID_ID}/person": DATA / "orcid" / "person.json",
    }
    with replay_server(routes) as base:
        source = OrcidSource(_ctx("orcid", base, [f"https://orcid.org/{ORCID_ID}"]))
        source.validate()
        snaps, cursors = _all_snapshots(source)
    assert len(snaps) == 1 and cursors == [{"found": True}]
    snap = snaps[0]
    assert snap.profile_key == f"orcid:{ORCID_ID}"
    assert snap.method == "orcid_api_v3/employments"
    assert snap.person | {} == snap.person
    assert snap.person["name"] == "Josiah Carberry"
    assert snap.person["employer"] == "Université Exemple"  # the open-ended one, not the old one
    assert snap.person["job_title"] == "Directeur de recherche"
    assert snap.person["start_date"] == "2023-09-01"
    assert snap.person["city"] == "Paris"
    assert snap.person["orcid"] == ORCID_ID


def test_orcid_unknown_id_yields_nothing() -> None:
    with replay_server({}) as base:
        snaps, _ = _all_snapshots(OrcidSource(_ctx("orcid", base, [ORCID_ID])))
    assert snaps == []


@pytest.mark.slow
def test_appointment_feed_source() -> None:
    routes = {"/nominations.rss": DATA / "appointments" / "feed.rss"}
    with replay_server(routes) as base:
        source = AppointmentFeedSource(_ctx("appointments", base, ["nominations.rss"]))
        source.validate()
        snaps, _ = _all_snapshots(source)
    people = _by_name(snaps)
    assert set(people) == {"Camille Lefort", "Jordan Smith"}  # "nommé aux Oscars" is not a move
    assert people["Camille Lefort"]["employer"] == "Institut Exemple"
    assert people["Camille Lefort"]["job_title"] == "directrice générale"
    assert people["Camille Lefort"]["start_date"] == "2025-02-01"
    assert people["Jordan Smith"]["employer"] == "Example Labs"
    assert people["Jordan Smith"]["job_title"] == "Chief Technology Officer"
    assert people["Jordan Smith"]["start_date"] == "2025-03-03"
    assert {s.url for s in snaps} == {
        "http://127.0.0.1/nominations/1",
        "http://127.0.0.1/nominations/2",
    }
    assert all(s.profile_key.startswith("appointments:") for s in snaps)
