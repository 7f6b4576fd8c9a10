"""The weekly ``matching`` stage: snapshots, job changes and mention authors -> alumni.

Why exact identifiers first: an ORCID, a profile URL or a stored handle is
proof; the probabilistic matcher only decides what they do not. Every
examined row gets a probability so the next run scores only new rows, and
existing links are never revisited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from enrich import names
from enrich.matching.blocking import AlumniIndex, candidate_pairs
from enrich.matching.duplicates import DUPLICATE_THRESHOLD, duplicate_pairs
from enrich.matching.em import train
from enrich.matching.fields import _orcid_one, prepare
from enrich.matching.fsmodel import FSModel
from enrich.matching.linking import IncrementalLinker
from enrich.matching.modelstore import (
    MIN_TRAIN_PAIRS,
    _store_model,
    default_model,
    stored_model,
)
from enrich.matching.people import _frame, _person_row
from veille.stages import StageContext, StageResult

#: Version of the exact-identifier rules used to link authors and profiles.
RULE_VERSION = "identity-rules-1"


def state_dir(db_url: str, options: Mapping[str, Any]) -> tuple[Path, Path]:
    """(model file, state file) where versions before 0008 kept them, per host.

    Read once, to carry a host's model and bookkeeping into the database
    (``match_model`` / ``match_state`` rows); never written any more. Under
    the platformdirs user data dir, keyed by a hash of the database URL
    (password removed), unless ``options["model_path"]`` names the file.
    """
    import hashlib

    from platformdirs import user_data_dir
    from sqlalchemy.engine import make_url

    from store.db import normalise_url

    if options.get("model_path"):
        model = Path(str(options["model_path"]))
    else:
        safe = make_url(normalise_url(db_url)).render_as_string(hide_password=True)
        key = hashlib.sha256(safe.encode()).hexdigest()[:16]
        model = Path(user_data_dir("veille")) / "matching" / f"model-{key}.json"
    return model, model.with_name(model.stem + ".state.json")


def _norm_identity(kind: str, value: str) -> str:
    from store.suppression import normalise

    if kind == "orcid":
        return _orcid_one(value)
    if kind.startswith("handle"):
        return normalise("handle", value)
    return normalise("url", value)


def matching_stage(ctx: StageContext) -> StageResult:
    """Link unexamined snapshots, job changes and mention authors to alumni.

    Order of evidence: exact identifiers first (ORCID, profile URL, LinkedIn,
    ``sameAs`` of an already linked snapshot, stored handles), then the
    probabilistic matcher above ``thresholds.match_probability``. Every
    examined snapshot/job change gets a probability (the best seen when not
    linked), so next week only new rows are scored; existing links are never
    revisited. The model is trained by EM on the first run with enough pairs
    and saved (see :func:`state_dir`); until then the bundled model is used.
    """
    from store import matching as q
    from store.db import session_scope

    threshold = float(ctx.settings.thresholds.match_probability)
    counts = {
        "snapshots_examined": 0,
        "snapshots_linked": 0,
        "snapshots_exact": 0,
        "job_changes_examined": 0,
        "job_changes_linked": 0,
        "mentions_linked": 0,
        "authors_exact": 0,
        "authors_by_name": 0,
        "pairs_scored": 0,
        "model_trained": 0,
        "possible_duplicates": 0,
    }
    model_file, state_file = state_dir(ctx.db_url, ctx.options)
    with session_scope(ctx.db_url) as session:
        alumni = q.alumni_rows(session)
        if not alumni:
            return StageResult(counts=counts, notes=["no alumni to match against"])
        identities: dict[tuple[str, str], str] = {}
        for kind, value, alumnus_id in q.identity_keys(session):
            norm = _norm_identity(kind, value)
            if norm:
                identities.setdefault((kind, norm), alumnus_id)
        index = AlumniIndex.build(pd.DataFrame(alumni))
        snapshots = q.unmatched_snapshots(session)
        job_changes = q.unmatched_job_changes(session)
        existing = q.linked_snapshot_pairs(session)
        state = q.get_state(session, STATE_KEY)
        if not state and state_file.exists():  # a host's file from before 0008
            state = json.loads(state_file.read_text())
        authors = q.unlinked_mention_authors(session, int(state.get("last_mention_id", 0)))

        # Model: the database's row, else a host's file from before 0008 (moved
        # into the database), else trained now on a fresh database with enough
        # pairs, else the bundled one (not stored: the first run with enough
        # pairs trains). Later changes only come from `veille match retrain`.
        snap_rows = [_person_row(str(s.id), s.person or {}, s.url) for s in snapshots]
        model = stored_model(session)
        if model is None and model_file.exists():
            model = FSModel.load(model_file)
            _store_model(session, model, source="imported_file", trained_by="matching_stage")
        if model is None:
            model = default_model()
            if snap_rows:
                prof = prepare(_frame(snap_rows))
                n_pairs = len(candidate_pairs(index, prof)[0])
                if n_pairs >= MIN_TRAIN_PAIRS:
                    model = train(index, prof)
                    _store_model(session, model, source="first_run", trained_by="matching_stage")
                    counts["model_trained"] = 1
        # Profiles linked in earlier runs are pooled with their alumnus (only read
        # when there is something new to match: the stage runs every few minutes).
        linked_rows = (
            [_person_row(str(i), p, u) for i, p, u in q.linked_snapshot_people(session)]
            if snapshots
            else []
        )
        linker = IncrementalLinker(
            index,
            model,
            existing,
            threshold=threshold,
            alumni_unique=False,
            linked_profiles=_frame(linked_rows) if linked_rows else None,
        )

        # 1. Snapshots: exact identifiers, then the matcher.
        to_match: list[dict[str, str]] = []
        for snap, row in zip(snapshots, snap_rows, strict=True):
            counts["snapshots_examined"] += 1
            hit = _exact_identity(identities, row, snap.url, snap.person or {})
            if hit is not None:
                alumnus_id, why = hit
                q.set_snapshot_match(
                    session,
                    int(snap.id or 0),
                    alumnus_id,
                    1.0,
                    {"exact": why, "rule": RULE_VERSION},
                )
                counts["snapshots_exact"] += 1
                counts["snapshots_linked"] += 1
            else:
                to_match.append(row)
        found = {lk.profile_id: lk for lk in linker.link(_frame(to_match), keep_best_below=True)}
        for row in to_match:
            lk = found.get(row["id"])
            if lk is None:
                q.set_snapshot_match(
                    session,
                    int(row["id"]),
                    None,
                    0.0,
                    {"status": "no_candidate", "model": model.version},
                )
                continue
            ev = {**lk.evidence, "_model": model.version}
            if lk.probability >= threshold:
                q.set_snapshot_match(session, int(row["id"]), lk.alumni_id, lk.probability, ev)
                counts["snapshots_linked"] += 1
            else:
                q.set_snapshot_match(
                    session,
                    int(row["id"]),
                    None,
                    lk.probability,
                    {**ev, "_status": "below_threshold", "_best_alumni_id": lk.alumni_id},
                )

        # 2. Job changes from text: name only (the organisation is the *new* one).
        jc_rows = []
        for jc in job_changes:
            first, last = names.split_full_name(jc.person_name)
            jc_rows.append({"id": f"jc:{jc.id}", "first_name": first, "last_name": last})
        jc_found = {}
        if jc_rows:
            jc_linker = IncrementalLinker(index, model, threshold=threshold, alumni_unique=False)
            jc_found = {
                lk.profile_id: lk for lk in jc_linker.link(_frame(jc_rows), keep_best_below=True)
            }
            counts["pairs_scored"] += jc_linker.stats.pairs_scored
        for jc in job_changes:
            counts["job_changes_examined"] += 1
            via = q.snapshot_alumnus(session, jc.snapshot_id) if jc.snapshot_id else None
            if via is not None:
                q.set_job_change_match(
                    session, int(jc.id or 0), via[0], via[1], {"via_snapshot": jc.snapshot_id}
                )
                counts["job_changes_linked"] += 1
                continue
            lk = jc_found.get(f"jc:{jc.id}")
            if lk is not None and lk.probability >= threshold:
                q.set_job_change_match(
                    session, int(jc.id or 0), lk.alumni_id, lk.probability, lk.evidence
                )
                counts["job_changes_linked"] += 1
            else:
                q.set_job_change_match(
                    session,
                    int(jc.id or 0),
                    None,
                    lk.probability if lk else 0.0,
                    lk.evidence if lk else {"status": "no_candidate"},
                )

        # 3. Mention authors: handle first, then the display name.
        by_author: dict[tuple[str, str, str], list[int]] = {}
        for mid, platform, handle, name in authors:
            by_author.setdefault((platform, handle, name), []).append(mid)
        name_rows: list[dict[str, str]] = []
        author_keys: dict[str, tuple[str, str, str]] = {}
        for k, (author, _mids) in enumerate(sorted(by_author.items())):
            platform, handle, name = author
            author_alumnus = identities.get(
                (f"handle:{platform}", _norm_identity("handle", handle))
            )
            if handle and author_alumnus is not None:
                counts["mentions_linked"] += q.link_mentions(
                    session, by_author[author], author_alumnus
                )
                counts["authors_exact"] += 1
                continue
            first, last = names.split_full_name(name)
            if first and last:
                rid = f"author:{k}"
                author_keys[rid] = author
                name_rows.append({"id": rid, "first_name": first, "last_name": last})
        if name_rows:
            a_linker = IncrementalLinker(index, model, threshold=threshold, alumni_unique=False)
            for lk in a_linker.link(_frame(name_rows)):
                if lk.probability >= threshold:
                    author = author_keys[lk.profile_id]
                    counts["mentions_linked"] += q.link_mentions(
                        session, by_author[author], lk.alumni_id
                    )
                    counts["authors_by_name"] += 1
            counts["pairs_scored"] += a_linker.stats.pairs_scored
        counts["pairs_scored"] += linker.stats.pairs_scored

        # 4. Two alumni records that look like one person: suggested, never merged.
        # The register is compared with itself only when it (or the model) changed.
        print_ = _register_fingerprint(alumni, model)
        if state.get("duplicates_checked") != print_:
            counts["possible_duplicates"] = _suggest_duplicates(session, index, model, threshold)
            state["duplicates_checked"] = print_
        if authors:
            state["last_mention_id"] = max(a[0] for a in authors)
        q.set_state(session, STATE_KEY, state)
    return StageResult(counts=counts)


#: The ``match_state`` row of the weekly stage.
STATE_KEY = "matching_stage"


def _register_fingerprint(alumni: list[dict[str, Any]], model: FSModel) -> str:
    """A digest of every alumni row and the model: unchanged means nothing new to compare."""
    import hashlib

    digest = hashlib.sha256(model.to_json().encode())
    for row in alumni:
        digest.update(json.dumps(row, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _suggest_duplicates(session: Any, index: AlumniIndex, model: FSModel, threshold: float) -> int:
    """Add a "possible duplicate record" suggestion per new look-alike pair of alumni."""
    from datetime import UTC, datetime

    from enrich.suggestions import duplicate_rows
    from store.suggestions import add_suggestions

    pairs = duplicate_pairs(index, model, threshold=max(threshold, DUPLICATE_THRESHOLD))
    if not pairs:
        return 0
    return add_suggestions(session, duplicate_rows(pairs, checked_at=datetime.now(UTC)))


def _exact_identity(
    identities: Mapping[tuple[str, str], str],
    row: Mapping[str, str],
    url: str,
    person: Mapping[str, Any],
) -> tuple[str, str] | None:
    """(alumnus id, why) when an exact identifier of the profile is known."""
    if row.get("orcid"):
        hit = identities.get(("orcid", _norm_identity("orcid", row["orcid"])))
        if hit:
            return hit, "orcid"
    same_as = person.get("same_as") or []
    links = [same_as] if isinstance(same_as, str) else [str(x) for x in same_as]
    for link in [url, *links]:
        if not link:
            continue
        hit = identities.get(("url", _norm_identity("url", link)))
        if hit:
            return hit, f"url:{link}"
        orcid = _orcid_one(link) if "orcid.org" in link.lower() else ""
        if orcid and ("orcid", orcid) in identities:
            return identities[("orcid", orcid)], "orcid"
    return None
