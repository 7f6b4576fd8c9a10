"""The whole domain, as SQLModel tables.

Read top to bottom it follows the data flow: who we listen for
(Institution, Source, CrawlState) -> what we collect (Mention,
ProfileSnapshot) -> what NLP finds (tags on Mention, JobChange) -> what the
alumni office reviews (Alumnus, Suggestion, AuditEvent) -> what community
managers act on (Alert) -> how the service ran (JobRun) -> who may do what
(User, ApiToken, WebSession, LoginFailure, SecretRotation) and what we must
never collect again (Suppression).

Every ingestion path has a natural key with a UNIQUE constraint, so running
the same crawl or import twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime, utcnow

# ---------------------------------------------------------------------------
# Who we listen for
# ---------------------------------------------------------------------------


class Institution(SQLModel, table=True):
    """Our institution (``is_self``) or a peer used for share of voice."""

    __tablename__ = "institution"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(100), unique=True, nullable=False))
    name: str
    aliases: list[str] = Field(default_factory=list, sa_type=JSONType)
    #: ``{"twitter": ["handle"], ...}``
    handles: dict[str, list[str]] = Field(default_factory=dict, sa_type=JSONType)
    query: str = ""
    is_self: bool = False


class Source(SQLModel, table=True):
    """A configured crawl source, mirrored from ``veille.toml`` on each run."""

    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), unique=True, nullable=False))
    kind: str = Field(index=True)
    query: str = ""
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    enabled: bool = True


class CrawlState(SQLModel, table=True):
    """Health and daily budget of one source; the cursors live per target (CrawlTarget)."""

    __tablename__ = "crawl_state"

    source_id: int = Field(
        sa_column=Column(Integer, ForeignKey("source.id", ondelete="CASCADE"), primary_key=True)
    )
    #: Source-wide cursor data; empty since 0005 moved every cursor to its target.
    cursor: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    #: ok | degraded | down | blocked | rate_limited | budget_exhausted | never_run
    status: str = "never_run"
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = ""
    items_last_run: int = 0
    items_today: int = 0
    budget_day: date | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrawlTarget(SQLModel, table=True):
    """One target of a source (a feed, a hashtag stream, a search term, a profile page).

    Each target keeps its own cursor and health, committed with each batch, so
    a dead feed or a 404 profile page is retried and reported on its own and
    never holds back the other targets of its source.
    """

    __tablename__ = "crawl_target"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_crawl_target"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(
        sa_column=Column(Integer, ForeignKey("source.id", ondelete="CASCADE"), nullable=False)
    )
    #: Stable identity within the source (``tag:<instance>#<tag>``, a feed URL...);
    #: ``sha256:<hex>`` when the target is longer than the column.
    key: str = Field(sa_column=Column(String(512), nullable=False))
    #: The target as configured, shown to users.
    label: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cursor: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    #: ok | degraded | down | blocked | rate_limited | never_run
    status: str = Field(default="never_run", max_length=32)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = ""
    consecutive_failures: int = 0
    items_last_run: int = 0
    #: A long 429: the target (and the others of its rate-limit group) waits until then.
    retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RejectedItem(SQLModel, table=True):
    """An item a crawl could not use, kept aside with why (quarantine).

    The rest of its batch is stored. The excerpt is capped and stripped of
    control characters; the same item seen again bumps ``occurrences``
    instead of adding a row. Retention purges it like a mention.
    """

    __tablename__ = "rejected_item"
    __table_args__ = (
        UniqueConstraint("source_id", "fingerprint", name="uq_rejected_item"),
        Index("ix_rejected_item_seen", "last_seen_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(
        sa_column=Column(Integer, ForeignKey("source.id", ondelete="CASCADE"), nullable=False)
    )
    target: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: null_item | not_an_object | unreadable | refused_by_database | error_body
    reason: str = Field(max_length=32)
    #: What went wrong, in a line (never the item's text).
    detail: str = ""
    excerpt: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    fingerprint: str = Field(max_length=64)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    occurrences: int = 1


# ---------------------------------------------------------------------------
# What we collect
# ---------------------------------------------------------------------------


class Mention(SQLModel, table=True):
    """One public post, article or page about an institution, any platform.

    Platform-specific fields stay in ``raw``; everything reports and NLP need
    is a column. ``content_hash`` groups syndicated copies and reposts:
    ``duplicate_of_id`` points at the first copy seen, and counts use only
    rows where it is NULL.
    """

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id", name="uq_mention_platform_id"),
        Index("ix_mention_published", "published_at"),
        Index("ix_mention_content_hash", "content_hash"),
        Index("ix_mention_url", "url"),
        Index("ix_mention_author", "platform", "author_handle"),
        # Covering index for report aggregates (0003_report_indexes).
        Index(
            "ix_mention_report",
            "published_at",
            "duplicate_of_id",
            "platform",
            "sentiment_label",
            "reach",
            "author_key",
            "alumnus_id",
            "id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    platform_id: str = Field(sa_column=Column(String(255), nullable=False))
    url: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source_id: int | None = Field(default=None, foreign_key="source.id", ondelete="SET NULL")

    author_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_followers: int | None = None
    #: Keyed hash of platform + handle, shown instead of the handle when pseudonymised.
    author_key: str = ""

    title: str = ""
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    lang: str | None = Field(default=None, max_length=8)
    published_at: datetime = Field(sa_type=UTCDateTime)
    collected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    #: likes, reposts, replies, quotes, views: whatever the platform gives.
    engagement: dict[str, int] = Field(default_factory=dict, sa_type=JSONType)
    #: Audience estimate (followers or views) kept as a column for SQL ranking.
    reach: int = 0
    #: The platform's own hashtags (Mastodon ``status.tags``, Bluesky ``record.tags``
    #: and tag facets), without ``#``: the query filter reads them with the text.
    hashtags: list[str] = Field(
        default_factory=list,
        sa_type=JSONType,
        sa_column_kwargs={"server_default": sql_text("'[]'")},
    )
    is_repost: bool = False
    duplicate_of_id: int | None = Field(default=None, foreign_key="mention.id", ondelete="SET NULL")
    content_hash: str = Field(default="", max_length=64)
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    #: Where and how it was collected: url, fetched_at, method, source.
    provenance: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)

    # Tags written by the NLP stages (NULL = not processed yet).
    sentiment_label: str | None = Field(default=None, max_length=16, index=True)
    sentiment_score: float | None = None
    sentiment_model: str | None = None
    sentiment_uncertain: bool = False
    team: str | None = Field(default=None, max_length=64, index=True)
    #: The router's probability for ``team`` (1.0 for a keyword rule or a person).
    team_score: float | None = None
    #: The next best team, shown beside the route so a person can switch in one click.
    team_runner_up: str | None = Field(default=None, max_length=64)
    #: routed | triage (score under the calibrated threshold: a person decides) | corrected
    team_status: str | None = Field(default=None, max_length=16, index=True)
    jobs_extracted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    alumnus_id: str | None = Field(
        default=None, foreign_key="alumnus.id", ondelete="SET NULL", index=True
    )


class MentionInstitution(SQLModel, table=True):
    """Which institutions a mention is about (a post can name several peers)."""

    __tablename__ = "mention_institution"
    __table_args__ = (Index("ix_mention_institution_inst", "institution_id", "mention_id"),)

    mention_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mention.id", ondelete="CASCADE"), primary_key=True)
    )
    institution_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True
        )
    )


class ProfileSnapshot(SQLModel, table=True):
    """A public professional profile as fetched once (schema.org page, ORCID...).

    ``person`` holds the normalised fields (given_name, family_name, job_title,
    employer, city, same_as, ...); ``raw`` what the source returned. Identical
    re-fetches hit the unique key and are not stored twice.
    """

    __tablename__ = "profile_snapshot"
    __table_args__ = (
        UniqueConstraint("profile_key", "content_hash", name="uq_snapshot_profile_content"),
        Index("ix_snapshot_profile_fetched", "profile_key", "fetched_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: Stable identity of the profile at its source: URL, ORCID iD, export row key.
    profile_key: str = Field(sa_column=Column(String(512), nullable=False))
    source_kind: str
    source_id: int | None = Field(default=None, foreign_key="source.id", ondelete="SET NULL")
    url: str = ""
    method: str = ""
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    person: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    content_hash: str = Field(max_length=64)
    alumnus_id: str | None = Field(
        default=None, foreign_key="alumnus.id", ondelete="SET NULL", index=True
    )
    match_probability: float | None = None
    match_evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class JobChange(SQLModel, table=True):
    """A detected move: from a snapshot diff or from free text in a mention."""

    __tablename__ = "job_change"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_job_change_dedupe"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=64)
    snapshot_id: int | None = Field(
        default=None, foreign_key="profile_snapshot.id", ondelete="CASCADE"
    )
    mention_id: int | None = Field(default=None, foreign_key="mention.id", ondelete="CASCADE")
    person_name: str = ""
    organization: str | None = None
    title: str | None = None
    start_date: date | None = None
    #: snapshot_diff | text_rules | ... and the rule/model version
    method: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    detected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    alumnus_id: str | None = Field(
        default=None, foreign_key="alumnus.id", ondelete="SET NULL", index=True
    )
    match_probability: float | None = None


# ---------------------------------------------------------------------------
# What the alumni office reviews
# ---------------------------------------------------------------------------


class Alumnus(SQLModel, table=True):
    """An alumni record as the alumni office holds it.

    Only accepted suggestions (with an AuditEvent) and imports change it.
    ``id`` is the office's own identifier, so imports are idempotent.
    """

    __tablename__ = "alumnus"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    first_name: str = ""
    last_name: str = Field(default="", index=True)
    birth_name: str = ""
    birth_date: date | None = None
    graduation_year: int | None = None
    program: str = ""
    emails: list[str] = Field(default_factory=list, sa_type=JSONType)
    city: str = ""
    postcode: str = ""
    address: str = ""
    employer: str = ""
    job_title: str = ""
    linkedin_url: str = ""
    orcid: str = ""
    #: Known public handles ``{"twitter": "x", "mastodon": "a@b"}`` and profile URLs.
    handles: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    profile_urls: list[str] = Field(default_factory=list, sa_type=JSONType)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opt_out: bool = False
    opt_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When an Article 14 notice was sent for third-party data.
    notice_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


#: Alumnus fields that a suggestion may change (and an import may set).
SUGGESTIBLE_FIELDS = (
    "employer",
    "job_title",
    "city",
    "postcode",
    "address",
    "linkedin_url",
    "orcid",
    "emails",
)
#: Suggestions a person decides on that change no field: "possible_duplicate"
#: (two alumni records that may be one person; accepting records the
#: decision, and the records are never merged by veille).
REVIEW_ONLY_FIELDS = ("possible_duplicate",)
#: Every field an open suggestion may carry in the inbox.
REVIEWABLE_FIELDS = (*SUGGESTIBLE_FIELDS, *REVIEW_ONLY_FIELDS)


class Suggestion(SQLModel, table=True):
    """A proposed change to one field of one alumnus, waiting for a person.

    ``evidence`` explains the match (per-field agreement and weight);
    ``provenance`` says where the new value came from (source URL, fetch
    date, method, model/rule version).
    """

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_suggestion_dedupe"),
        Index("ix_suggestion_status_alumnus", "status", "alumnus_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=64)
    alumnus_id: str = Field(foreign_key="alumnus.id", ondelete="CASCADE")
    field: str = Field(max_length=64)
    old_value: str | None = None
    new_value: str
    confidence: float
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    provenance: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    #: pending | accepted | rejected | snoozed | superseded | reverted
    status: str = Field(default="pending", max_length=16)
    reviewer: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    job_change_id: int | None = Field(
        default=None, foreign_key="job_change.id", ondelete="SET NULL"
    )
    snapshot_id: int | None = Field(
        default=None, foreign_key="profile_snapshot.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only trail of every change to personal data.

    Updates are refused by a database trigger (see the migration); rows are
    only removed by erasure of the person or by retention.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str
    #: import | accept | undo | reject | erase | opt_out | self_confirm | ...
    action: str = Field(max_length=32)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    suggestion_id: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


# ---------------------------------------------------------------------------
# What community managers act on
# ---------------------------------------------------------------------------


class Alert(SQLModel, table=True):
    """A fired rule, explained: which rule, observed value, baseline, sigma, why."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_alert_dedupe"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=128)
    rule: str = Field(max_length=64)
    institution_id: int | None = Field(
        default=None, foreign_key="institution.id", ondelete="CASCADE"
    )
    severity: str = "warning"
    title: str = ""
    window_start: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime)
    observed: float = 0.0
    baseline: float = 0.0
    sigma: float | None = None
    #: top terms, top sources, sample mention ids...
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    team: str | None = None
    #: The person (web account name) who handles it, and the note left for them.
    assignee: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=2000)
    assigned_by: str | None = Field(default=None, max_length=64)
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: open | acknowledged
    status: str = "open"
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---------------------------------------------------------------------------
# How the service ran
# ---------------------------------------------------------------------------


class JobRun(SQLModel, table=True):
    """One execution (or one recorded non-execution) of a scheduled job's tick.

    ``(job, tick, attempt)`` is unique: two scheduler instances that race for
    the same tick cannot both insert, which is what makes runs exactly-once.
    ``attempt`` is 1 for the tick's run and 2 for its single re-run after the
    leader running it lost its lease (``status = "interrupted"``).
    """

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job", "tick", "attempt", name="uq_job_run_attempt"),
        Index("ix_job_run_started", "started_at"),
        Index("ix_job_run_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=128)
    tick: str = Field(max_length=64)
    attempt: int = 1
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: running | ok | error | skipped | interrupted (its leader lost the lease) |
    #: missed (the tick came later than its misfire grace: not run)
    status: str = "running"
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    error: str = ""
    host: str = ""
    pid: int | None = None
    #: The lease generation (leadership term) that claimed the run: its fencing token.
    lease_generation: int | None = None
    #: Earlier ticks folded into this run: missed while no scheduler ran, or
    #: while the previous run of the job was still going.
    coalesced: int = 0


class SchedulerLease(SQLModel, table=True):
    """Who leads the scheduler of this database, until when (``store.lease``).

    Times are seconds since the epoch on the *database's* clock, so hosts
    whose clocks disagree still agree on when a lease has expired.
    """

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=128)
    #: ``host/pid/nonce`` of the leader; empty once released.
    holder: str = Field(default="", max_length=255)
    host: str = Field(default="", max_length=255)
    pid: int | None = None
    #: +1 at every change of leader: the fencing token claims are checked against.
    generation: int = 0
    renewed_at: float = 0.0
    expires_at: float = 0.0
    #: When the first scheduler took this lease: ticks of jobs that never ran count from here.
    created_at: float = 0.0


# ---------------------------------------------------------------------------
# Who may do what, and what must never be collected again
# ---------------------------------------------------------------------------


class User(SQLModel, table=True):
    """A web UI / API account with one role."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(150), unique=True, nullable=False))
    password_hash: str
    #: admin | alumni_officer | community_manager | communications
    role: str = Field(max_length=32)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A REST API token; only its hash is stored.

    ``scope`` bounds what the token may do within its user's role: ``read``
    (GET only), ``review`` (also decide suggestions, undo, acknowledge,
    opt out) or ``admin`` (everything the admin role allows).
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(128), unique=True, nullable=False))
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    label: str = ""
    #: read | review | admin
    scope: str = Field(
        default="read", sa_column=Column(String(16), nullable=False, server_default="read")
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser session, kept server-side so that it can really end.

    The cookie carries only a random id; this row holds its SHA-256, so the
    table leaks no usable cookie. Deleting the row (logout, password change,
    deactivation) ends the session everywhere at once. ``expires_at`` is
    fixed at sign-in: nothing a request does moves it.
    """

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_user", "user_id"),)

    id_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False)
    )
    csrf: str = Field(max_length=64)
    #: Flash messages waiting for the next page (nothing else).
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, so that throttling holds across web workers and restarts.

    The user name (normalised) and the client address are stored as SHA-256
    hashes: what someone typed in the name field is sometimes a password.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_name", "name_hash", "at"),
        Index("ix_login_failure_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name_hash: str = Field(max_length=64)
    ip_hash: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SecretRotation(SQLModel, table=True):
    """The current generation of a rotatable derived secret (the webhook secret).

    Only a generation number and a random salt are stored; the secret itself
    is derived from ``VEILLE_SECRET_KEY`` with them, so this table holds
    nothing that signs anything.
    """

    __tablename__ = "secret_rotation"

    purpose: str = Field(sa_column=Column(String(32), primary_key=True))
    generation: int = 0
    salt: str = Field(default="", max_length=64)
    rotated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    rotated_by: str = Field(default="", max_length=150)


class Suppression(SQLModel, table=True):
    """An opt-out or erasure: a keyed hash of what must not be collected again.

    Only the hash is kept, so the suppression list itself holds no personal
    data in clear (RGPD Art. 17 + 21).
    """

    __tablename__ = "suppression"
    __table_args__ = (UniqueConstraint("kind", "value_hash", name="uq_suppression"),)

    id: int | None = Field(default=None, primary_key=True)
    #: handle | email | name | alumnus | url
    kind: str = Field(max_length=16)
    value_hash: str = Field(max_length=128)
    reason: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LabelledExample(SQLModel, table=True):
    """A human-corrected label, kept for evaluation and retraining."""

    __tablename__ = "labelled_example"

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(default="sentiment", max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    label: str = Field(max_length=32)
    lang: str | None = None
    mention_id: int | None = Field(default=None, foreign_key="mention.id", ondelete="SET NULL")
    author: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReportSnapshot(SQLModel, table=True):
    """The data of a past report, frozen before retention purges its raw rows.

    Aggregates survive retention as columns, but the texts of top mentions do
    not; freezing the report's data first keeps a past report identical.
    """

    __tablename__ = "report_snapshot"
    __table_args__ = (UniqueConstraint("kind", "period", "institution", name="uq_report_snapshot"),)

    id: int | None = Field(default=None, primary_key=True)
    #: weekly | brand | ...
    kind: str = Field(max_length=32)
    #: ISO week ``2026-W47``, month ``2026-11``...
    period: str = Field(max_length=32)
    #: Institution slug; empty = the report of our own institution.
    institution: str = Field(default="", max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    frozen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MatchModel(SQLModel, table=True):
    """A trained matcher (Fellegi-Sunter parameters), shared by every host.

    Why a row and not a file: the scheduler's standby, a second web host and
    a database backup must all see the same model; which host ran first must
    not decide it. The newest row is the one in use; older rows are history.
    A new row comes only from an explicit or scheduled retraining
    (``veille match retrain``) or from the first run on a fresh database.
    """

    __tablename__ = "match_model"

    id: int | None = Field(default=None, primary_key=True)
    #: The matcher's model version (``veille-fs-2``...).
    version: str = Field(max_length=32)
    #: The model as :meth:`enrich.matching.FSModel.to_json` writes it.
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    #: first_run | bundled | retrain | imported_file
    source: str = Field(default="", max_length=32)
    #: Who asked for it (a user name, ``scheduler``, ``matching_stage``).
    trained_by: str = Field(default="", max_length=255)
    trained_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MatchState(SQLModel, table=True):
    """Bookkeeping of the matching stage (last examined mention id...), one row per key."""

    __tablename__ = "match_state"

    key: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
