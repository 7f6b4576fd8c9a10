"""One person's data: opt-out (Art. 21), export (Art. 15) and erasure (Art. 17).

An alumnus's data is spread over many tables: their record, suggestions and
the audit trail about them, job changes, profile snapshots, the mentions they
authored and the labelled examples made from those. :func:`person_rows`
finds all of it once, so export and erasure always cover the same set.

Erasure then walks *every* text and JSON column of *every* table (from the
SQLAlchemy metadata, so a table added later is covered without touching this
file) and scrubs the person's names, emails and handles out of rows that are
about someone else (a colleague's post naming them, an alert's sample text).
What remains is a suppression entry of keyed hashes, so the person is never
collected again, and one audit event that names nobody.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, Table, Text, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, col, select

from store.models import (
    Alumnus,
    AuditEvent,
    JobChange,
    LabelledExample,
    Mention,
    MentionInstitution,
    ProfileSnapshot,
    Suggestion,
)
from store.suppression import (
    add,
    add_identifiers,
    fold,
    identifier_pattern,
    is_suppressed,
    keyed_hash,
    person_identifiers,
    scrub_json,
    scrub_text,
)
from store.types import utcnow
from veille.errors import VeilleError
from veille.i18n import _

log = logging.getLogger(__name__)

#: Tables the erasure walk never rewrites: the suppression list holds only hashes;
#: other alumni records are other people (a homonym keeps their name); staff
#: accounts are another processing (employment), and rewriting a login locks it.
_WALK_SKIP = frozenset({"suppression", "alumnus", "app_user"})


class PersonNotFoundError(VeilleError):
    """No alumnus with that id (maybe already erased)."""

    translated = True

    exit_code = 7


# ---------------------------------------------------------------------------
# Finding everything about one alumnus
# ---------------------------------------------------------------------------


def alumnus_identifiers(alumnus: Alumnus) -> dict[str, list[str]]:
    """Names, emails, handles and profile URLs of an alumnus, by suppression kind."""
    urls = list(alumnus.profile_urls)
    if alumnus.linkedin_url:
        urls.append(alumnus.linkedin_url)
    if alumnus.orcid:
        urls.append(f"https://orcid.org/{alumnus.orcid}")
    return person_identifiers(
        first_name=alumnus.first_name,
        last_name=alumnus.last_name,
        birth_name=alumnus.birth_name,
        emails=alumnus.emails,
        handles=alumnus.handles.values(),
        urls=urls,
    )


def scrub_needles(identifiers: dict[str, list[str]]) -> list[str]:
    """What erasure removes from other rows' text: names, emails, handles, URLs.

    A fediverse handle ``user@server`` is also searched as ``user`` (posts
    write ``@user``) when that part is long enough not to hit ordinary words.
    """
    needles = [*identifiers["name"], *identifiers["email"], *identifiers["url"]]
    for handle in identifiers["handle"]:
        needles.append(handle)
        local = handle.split("@", 1)[0]
        if "@" in handle and len(local) >= 4:
            needles.append(local)
    for url in identifiers["url"]:
        stripped = re.sub(r"^https?://(www\.)?", "", url.strip()).rstrip("/")
        if stripped:
            needles.append(stripped)
    return needles


@dataclass
class PersonRows:
    """Primary keys of every row that is about one alumnus."""

    alumnus: Alumnus
    mention_ids: list[int] = field(default_factory=list)
    snapshot_ids: list[int] = field(default_factory=list)
    job_change_ids: list[int] = field(default_factory=list)
    suggestion_ids: list[int] = field(default_factory=list)
    audit_ids: list[int] = field(default_factory=list)
    labelled_ids: list[int] = field(default_factory=list)


def _handle_variants(handles: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for h in handles:
        h = h.strip().lstrip("@").lower()
        if h:
            out |= {h, "@" + h}
    return sorted(out)


def _url_variants(urls: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for u in urls:
        u = u.strip()
        if u:
            out |= {u, u.rstrip("/"), u.rstrip("/") + "/"}
    return sorted(out)


def person_rows(session: Session, alumnus_id: str) -> PersonRows:
    """Everything stored about ``alumnus_id``; :class:`PersonNotFoundError` if none.

    Authored mentions are those linked to the alumnus *or* posted from one
    of their known handles; snapshots those linked to them or fetched from
    one of their profile URLs.
    """
    alumnus = session.get(Alumnus, alumnus_id)
    if alumnus is None:
        raise PersonNotFoundError(
            _("no alumnus with id %(id)s: check the id with `veille alumni export`")
            % {"id": repr(alumnus_id)}
        )
    ids = alumnus_identifiers(alumnus)
    rows = PersonRows(alumnus=alumnus)

    handles = _handle_variants(ids["handle"])
    mention_where = [col(Mention.alumnus_id) == alumnus_id]
    if handles:
        mention_where.append(func.lower(col(Mention.author_handle)).in_(handles))
    rows.mention_ids = list(session.exec(select(Mention.id).where(or_(*mention_where))).all())  # type: ignore[arg-type]

    urls = _url_variants(ids["url"])
    snap_where = [col(ProfileSnapshot.alumnus_id) == alumnus_id]
    if urls:
        snap_where += [
            col(ProfileSnapshot.url).in_(urls),
            col(ProfileSnapshot.profile_key).in_(urls),
        ]
    if alumnus.orcid:
        snap_where.append(col(ProfileSnapshot.profile_key) == alumnus.orcid)
    rows.snapshot_ids = list(
        session.exec(select(ProfileSnapshot.id).where(or_(*snap_where))).all()  # type: ignore[arg-type]
    )

    jc_where = [col(JobChange.alumnus_id) == alumnus_id]
    if rows.snapshot_ids:
        jc_where.append(col(JobChange.snapshot_id).in_(rows.snapshot_ids))
    if rows.mention_ids:
        jc_where.append(col(JobChange.mention_id).in_(rows.mention_ids))
    rows.job_change_ids = list(session.exec(select(JobChange.id).where(or_(*jc_where))).all())  # type: ignore[arg-type]

    sugg_where = [col(Suggestion.alumnus_id) == alumnus_id]
    if rows.job_change_ids:
        sugg_where.append(col(Suggestion.job_change_id).in_(rows.job_change_ids))
    if rows.snapshot_ids:
        sugg_where.append(col(Suggestion.snapshot_id).in_(rows.snapshot_ids))
    rows.suggestion_ids = list(session.exec(select(Suggestion.id).where(or_(*sugg_where))).all())  # type: ignore[arg-type]

    audit_where: list[Any] = [
        (col(AuditEvent.entity) == "alumnus") & (col(AuditEvent.entity_id) == alumnus_id)
    ]
    if rows.suggestion_ids:
        audit_where += [
            (col(AuditEvent.entity) == "suggestion")
            & col(AuditEvent.entity_id).in_([str(i) for i in rows.suggestion_ids]),
            col(AuditEvent.suggestion_id).in_(rows.suggestion_ids),
        ]
    rows.audit_ids = list(session.exec(select(AuditEvent.id).where(or_(*audit_where))).all())  # type: ignore[arg-type]

    if rows.mention_ids:
        rows.labelled_ids = list(
            session.exec(
                select(LabelledExample.id).where(
                    col(LabelledExample.mention_id).in_(rows.mention_ids)
                )
            ).all()  # type: ignore[arg-type]
        )
    return rows


# ---------------------------------------------------------------------------
# Export (Art. 15 / 20)
# ---------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _dump(obj: SQLModel) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in obj.model_dump().items()}


def _fetch(session: Session, model: Any, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    objs = session.exec(select(model).where(col(model.id).in_(ids)).order_by(col(model.id))).all()
    return [_dump(o) for o in objs]


def export_person(session: Session, alumnus_id: str) -> dict[str, Any]:
    """Everything stored about one alumnus, JSON-ready (dates ISO 8601).

    The same row set that :func:`erase_person` deletes, so what a person
    receives is what an erasure would remove.
    """
    rows = person_rows(session, alumnus_id)
    mentions = _fetch(session, Mention, rows.mention_ids)
    if rows.mention_ids:
        links = session.exec(
            select(MentionInstitution).where(
                col(MentionInstitution.mention_id).in_(rows.mention_ids)
            )
        ).all()
        by_mention: dict[int, list[int]] = {}
        for link in links:
            by_mention.setdefault(link.mention_id, []).append(link.institution_id)
        for m in mentions:
            m["institution_ids"] = sorted(by_mention.get(m["id"], []))
    return {
        "format": "veille-person-export/1",
        "exported_at": utcnow().isoformat(),
        "alumnus": _dump(rows.alumnus),
        "suggestions": _fetch(session, Suggestion, rows.suggestion_ids),
        "audit_events": _fetch(session, AuditEvent, rows.audit_ids),
        "job_changes": _fetch(session, JobChange, rows.job_change_ids),
        "profile_snapshots": _fetch(session, ProfileSnapshot, rows.snapshot_ids),
        "mentions": mentions,
        "labelled_examples": _fetch(session, LabelledExample, rows.labelled_ids),
    }


# ---------------------------------------------------------------------------
# Opt-out (Art. 21)
# ---------------------------------------------------------------------------


@dataclass
class OptOutSummary:
    suppressed: int = 0
    withdrawn_suggestions: int = 0
    mentions_blanked: int = 0
    #: The audit event that records the objection.
    event: AuditEvent | None = None


#: Who closes the suggestions an objection withdraws (whatever door was used).
OPT_OUT_REVIEWER = "opt-out"


def blank_authored(session: Session, handles: Iterable[str], now: datetime) -> int:
    """Blank stored mentions posted from these handles (an objection covers the past too).

    Same treatment as retention: the text, author and raw payload go, the
    figures of past reports stay. Returns how many mentions were blanked.
    """
    from store.retention import blank_mentions

    variants = _handle_variants(handles)
    if not variants:
        return 0
    where = func.lower(col(Mention.author_handle)).in_(variants)
    return len(blank_mentions(session, where, now, reason="opt-out"))


def opt_out(
    session: Session, alumnus_id: str, key: bytes, *, actor: str, reason: str = ""
) -> OptOutSummary:
    """The one objection (RGPD Art. 21), whichever door it comes through.

    The CLI (``veille optout add --alumnus``), the alumnus's self-service link
    and the API (``POST /api/v1/alumni/{id}/opt-out``) all call this, so an
    objection does the same thing everywhere, in the caller's transaction:

    * the record is flagged ``opt_out`` (and locked while this runs);
    * its name (in both orders, with the birth name, or the one name known),
      e-mails, handles, profile URLs (LinkedIn, ORCID, others) and the
      alumnus id go on the suppression list (keyed hashes), so nothing about
      them is collected or re-imported again;
    * the mentions they authored (linked to them or posted from one of their
      handles) are blanked like retention does, figures kept;
    * their open suggestions are withdrawn (rejected, reviewer ``opt-out``);
    * one audit event records who did it.

    Running it again changes nothing more (and records nothing new).
    """
    alumnus = session.exec(
        select(Alumnus).where(Alumnus.id == alumnus_id).with_for_update()
    ).first()
    if alumnus is None:
        raise PersonNotFoundError(
            _("no alumnus with id %(id)s: check the id with `veille alumni export`")
            % {"id": repr(alumnus_id)}
        )
    now = utcnow()
    summary = OptOutSummary()
    reason = reason.strip()[:200] or "opt-out"
    identifiers = alumnus_identifiers(alumnus)
    single = " ".join(f"{alumnus.first_name} {alumnus.last_name}".split())
    if single and not identifiers["name"]:
        identifiers["name"] = [single]
    summary.suppressed = add_identifiers(session, identifiers, key, reason)
    summary.suppressed += add(session, "alumnus", [alumnus.id], key, reason)
    rows = person_rows(session, alumnus_id)
    if rows.mention_ids:
        from store.retention import blank_mentions

        summary.mentions_blanked = len(
            blank_mentions(session, col(Mention.id).in_(rows.mention_ids), now, reason="opt-out")
        )
    pending = session.exec(
        select(Suggestion).where(
            Suggestion.alumnus_id == alumnus_id,
            col(Suggestion.status).in_(["pending", "snoozed"]),
        )
    ).all()
    for s in pending:
        s.status = "rejected"
        s.reviewer = OPT_OUT_REVIEWER
        s.decided_at = now
        session.add(s)
    summary.withdrawn_suggestions = len(pending)
    was = alumnus.opt_out
    if was and not (summary.suppressed or pending or summary.mentions_blanked):
        return summary  # already done: nothing new to record
    alumnus.opt_out = True
    alumnus.opt_out_at = alumnus.opt_out_at or now
    alumnus.updated_at = now
    session.add(alumnus)
    event = AuditEvent(
        at=now,
        actor=actor,
        action="opt_out",
        entity="alumnus",
        entity_id=alumnus.id,
        field="opt_out",
        old_value=str(was).lower(),
        new_value="true",
        details={
            "withdrawn_suggestions": summary.withdrawn_suggestions,
            "mentions_blanked": summary.mentions_blanked,
        },
    )
    session.add(event)
    session.flush()
    summary.event = event
    return summary


# ---------------------------------------------------------------------------
# Erasure (Art. 17)
# ---------------------------------------------------------------------------


@dataclass
class ErasureSummary:
    """Counts only: an erasure report must not name the person."""

    deleted: dict[str, int] = field(default_factory=dict)
    scrubbed: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0
    audit_entity_id: str = ""


def _text_columns(table: Table) -> tuple[list[str], list[str]]:
    texts, jsons = [], []
    for c in table.columns:
        if c.primary_key:
            continue
        # SQLModel's AutoString is a TypeDecorator over String: look at the impl.
        impl = c.type.impl if isinstance(c.type, TypeDecorator) else c.type
        if isinstance(c.type, JSON) or isinstance(impl, JSON):
            jsons.append(c.name)
        elif isinstance(impl, String | Text):
            texts.append(c.name)
    return texts, jsons


def scrub_all_tables(session: Session, pattern: re.Pattern[str] | None) -> dict[str, int]:
    """Rewrite every text/JSON value matching ``pattern`` in every table.

    The audit trail refuses UPDATE (database trigger), so a matching audit
    row is deleted and re-inserted, scrubbed, under the same id.
    """
    if pattern is None:
        return {}
    counts: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _WALK_SKIP:
            continue
        texts, jsons = _text_columns(table)
        if not texts and not jsons:
            continue
        pk = list(table.primary_key.columns)
        stmt = sa_select(*pk, *(table.c[n] for n in texts + jsons))
        changes: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for row in session.execute(stmt.execution_options(yield_per=1000)).mappings():
            new: dict[str, Any] = {}
            for name in texts:
                value = row[name]
                if value and pattern.search(fold(value)):
                    new[name] = scrub_text(value, pattern)
            for name in jsons:
                value = row[name]
                if value and pattern.search(fold(json.dumps(value, ensure_ascii=False))):
                    new[name] = scrub_json(value, pattern)
            if new:
                changes.append(({c.name: row[c.name] for c in pk}, new))
        for key, new in changes:
            where = [table.c[k] == v for k, v in key.items()]
            if table.name == AuditEvent.__tablename__:
                full = session.execute(sa_select(table).where(*where)).mappings().one()
                session.execute(delete(table).where(*where))
                session.execute(table.insert().values({**dict(full), **new}))
            else:
                session.execute(update(table).where(*where).values(new))
        if changes:
            counts[table.name] = len(changes)
    return counts


def _delete_ids(session: Session, model: Any, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    session.execute(delete(model).where(col(model.id).in_(ids)))
    return len(ids)


def erase_person(session: Session, alumnus_id: str, key: bytes, *, actor: str) -> ErasureSummary:
    """Remove an alumnus everywhere, in the caller's single transaction.

    Deletes their record and every row about them, scrubs their identifiers
    from all other rows, then records keyed hashes of their identifiers
    (so crawlers drop them) and one audit event whose ``entity_id`` is a
    keyed hash of the id, holding counts only.
    """
    if (
        is_suppressed(session, "alumnus", alumnus_id, key)
        and session.get(Alumnus, alumnus_id) is None
    ):
        raise PersonNotFoundError(_("alumnus %(id)s was already erased") % {"id": repr(alumnus_id)})
    rows = person_rows(session, alumnus_id)
    alumnus = rows.alumnus
    identifiers = alumnus_identifiers(alumnus)
    summary = ErasureSummary()
    d = summary.deleted
    d["labelled_example"] = _delete_ids(session, LabelledExample, rows.labelled_ids)
    d["audit_event"] = _delete_ids(session, AuditEvent, rows.audit_ids)
    d["suggestion"] = _delete_ids(session, Suggestion, rows.suggestion_ids)
    d["job_change"] = _delete_ids(session, JobChange, rows.job_change_ids)
    if rows.mention_ids:
        session.execute(
            update(Mention)
            .where(col(Mention.duplicate_of_id).in_(rows.mention_ids))
            .values(duplicate_of_id=None)
        )
        session.execute(
            delete(MentionInstitution).where(
                col(MentionInstitution.mention_id).in_(rows.mention_ids)
            )
        )
        # Job changes or examples from *other* people that point at these mentions.
        session.execute(delete(JobChange).where(col(JobChange.mention_id).in_(rows.mention_ids)))
        session.execute(
            update(LabelledExample)
            .where(col(LabelledExample.mention_id).in_(rows.mention_ids))
            .values(mention_id=None)
        )
    d["mention"] = _delete_ids(session, Mention, rows.mention_ids)
    if rows.snapshot_ids:
        session.execute(delete(JobChange).where(col(JobChange.snapshot_id).in_(rows.snapshot_ids)))
        session.execute(
            update(Suggestion)
            .where(col(Suggestion.snapshot_id).in_(rows.snapshot_ids))
            .values(snapshot_id=None)
        )
    d["profile_snapshot"] = _delete_ids(session, ProfileSnapshot, rows.snapshot_ids)
    # Anything still pointing at the alumnus (rows added by other stages).
    for model in (Mention, ProfileSnapshot, JobChange):
        session.execute(
            update(model).where(col(model.alumnus_id) == alumnus_id).values(alumnus_id=None)
        )
    session.execute(delete(Alumnus).where(col(Alumnus.id) == alumnus_id))
    d["alumnus"] = 1
    session.flush()
    session.expunge(alumnus)

    summary.scrubbed = scrub_all_tables(session, identifier_pattern(scrub_needles(identifiers)))
    summary.suppressed = add_identifiers(session, identifiers, key, reason="erasure")
    summary.suppressed += add(session, "alumnus", [alumnus_id], key, reason="erasure")
    summary.audit_entity_id = keyed_hash("alumnus", alumnus_id, key)
    session.add(
        AuditEvent(
            at=utcnow(),
            actor=actor,
            action="erase",
            entity="alumnus",
            entity_id=summary.audit_entity_id,
            details={"deleted": dict(d), "scrubbed": dict(summary.scrubbed)},
        )
    )
    session.flush()
    log.info("erased one alumnus: deleted %s, scrubbed %s", d, summary.scrubbed)
    return summary
