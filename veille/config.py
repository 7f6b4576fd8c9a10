"""One settings object, loaded from ``veille.toml`` and the environment.

Modules never read files or environment variables on their own: they receive
a :class:`Settings` (or the part they need). Secrets are never in the file;
they are read from environment variables named in :data:`SECRET_ENV`.
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from veille.errors import ConfigError
from veille.i18n import _, set_locale

log = logging.getLogger(__name__)

CONFIG_ENV = "VEILLE_CONFIG"
DEFAULT_CONFIG_PATH = Path("veille.toml")

#: Environment variables holding secrets. Never logged, never written.
SECRET_ENV = {
    "twitter_bearer_token": "VEILLE_TWITTER_BEARER_TOKEN",
    "mastodon_access_token": "VEILLE_MASTODON_ACCESS_TOKEN",
    "bluesky_app_password": "VEILLE_BLUESKY_APP_PASSWORD",
    "reddit_client_secret": "VEILLE_REDDIT_CLIENT_SECRET",
    "smtp_password": "VEILLE_SMTP_PASSWORD",
    "web_secret_key": "VEILLE_SECRET_KEY",
    "pseudonym_key": "VEILLE_PSEUDONYM_KEY",
}

SourceKind = Literal[
    "twitter",
    "mastodon",
    "bluesky",
    "reddit",
    "rss",
    "web",
    "schema_person",
    "orcid",
    "appointments",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstitutionSettings(_Strict):
    """An institution that veille listens for: ours or a peer."""

    slug: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    #: Handles per platform, e.g. ``{"twitter": ["univ_exemple"]}``.
    handles: dict[str, list[str]] = Field(default_factory=dict)
    #: Boolean query in veille's query language; built from name + aliases if empty.
    query: str = ""

    def effective_query(self) -> str:
        """The configured query, or one OR-ing the quoted name and aliases."""
        if self.query.strip():
            return self.query
        terms = [self.name, *self.aliases]
        return " OR ".join(f'"{t}"' for t in terms if t.strip())


class SourceSettings(_Strict):
    """One crawl source: a platform endpoint plus what to ask it."""

    name: str
    kind: SourceKind
    enabled: bool = True
    #: Base URL of the API or site; lets tests and the demo point at a replay server.
    base_url: str = ""
    #: Native query override; empty means "translate the institution query".
    query: str = ""
    #: Feeds, sites, hashtags, subreddits, ORCID ids, ... depending on the kind.
    targets: list[str] = Field(default_factory=list)
    interval_minutes: int = 30
    max_items_per_run: int = 500
    max_items_per_day: int = 5000
    requests_per_second: float = 1.0
    #: Which institution the source listens for (slug); default: ours.
    institution: str = ""
    options: dict[str, Any] = Field(default_factory=dict)


class TeamSettings(_Strict):
    """A team that alerts and mentions can be routed to.

    The seven standard teams (``enrich/data/routing/teams.toml``) exist without
    any configuration; a ``[teams.<name>]`` table adds recipients and keywords
    to one of them, renames one (``replaces = "it"``), drops one
    (``drop = true``) or adds a new team (with a description and a few real
    example texts, which the router compares mentions with).
    """

    recipients: list[str] = Field(default_factory=list)
    #: Keyword rules (any language, accent-insensitive) that route a text to this team.
    keywords: list[str] = Field(default_factory=list)
    #: What the team handles, in French (and English): shown, and used to route.
    description: str = ""
    description_en: str = ""
    #: A few real texts this team should receive (needed for a new team).
    examples: list[str] = Field(default_factory=list)
    #: This team takes over a standard team's trained class (renaming it).
    replaces: str = ""
    #: Remove this standard team: nothing is routed to it.
    drop: bool = False


class ScheduleSettings(_Strict):
    """When the long-lived service runs each job (cron fields, Europe/Paris)."""

    timezone: str = "Europe/Paris"
    nlp_interval_minutes: int = 5
    alerts_interval_minutes: int = 60
    digest_cron: str = "0 7 * * *"
    weekly_cron: str = "0 8 * * mon"
    retention_cron: str = "30 3 * * *"
    #: When the matching model is retrained (a new ``match_model`` row); empty: only
    #: by ``veille match retrain``.
    match_retrain_cron: str = ""
    #: How long the leader's lease lasts without renewal: a silent leader (host
    #: lost, network cut) is replaced within this plus 2 seconds (the standby's poll).
    lease_seconds: float = Field(default=15.0, ge=3.0, le=50.0)


class ThresholdSettings(_Strict):
    """Numbers that decide what counts as an alert, a match or an uncertain label."""

    spike_sigma: float = 3.0
    spike_min_volume: int = 10
    negative_share_min_volume: int = 10
    high_reach_followers: int = 10000
    sentiment_uncertain_below: float = 0.55
    match_probability: float = 0.5
    suggestion_min_confidence: float = 0.8


class AlertSettings(_Strict):
    """Words that make a single mention an alert."""

    #: Crisis vocabulary (phrases as written, ``x*`` for prefixes); empty = the built-in
    #: French/English list of :data:`reports.alerts.CRISIS_KEYWORDS`.
    crisis_keywords: list[str] = Field(default_factory=list)


class SentimentSettings(_Strict):
    """Which sentiment model to use; empty ``model_path`` means the bundled default."""

    model_path: str = ""
    batch_size: int = 64
    device: str = "auto"
    #: auto (GPU: torch fp16; CPU: the fastest path validated within 0.5 F1 point of
    #: float32 -- torch-bf16 on CPUs with AMX, else onnx-int8 -- else float32 ONNX, else
    #: torch) | torch | torch-bf16 | onnx | onnx-int8
    backend: str = "auto"
    #: Intra-op CPU threads for inference; 0 = one per available core.
    threads: int = 0


class RoutingSettings(_Strict):
    """How the trained router reads a mention (``enrich/routing.py``)."""

    #: Tokens of a mention the embedding head reads. 64 routes news and posts best in
    #: cross-validation; 32 is about a third faster on long posts and loses about four
    #: points on them (docs/routing.md, round 11). Short requests cost the same either way.
    max_tokens: int = Field(default=64, ge=16, le=512)


class PrivacySettings(_Strict):
    """Retention and pseudonymisation defaults (RGPD)."""

    retention_days_mentions: int = 365
    retention_days_snapshots: int = 365
    #: Quarantined crawl items (raw text the crawlers could not use) are kept this long.
    retention_days_rejected: int = 30
    pseudonymize_authors: bool = True
    #: Public accounts whose handle may be shown in reports (press, institutions).
    allow_listed_handles: list[str] = Field(default_factory=list)
    notice_days: int = 30


class SmtpSettings(_Strict):
    """Outgoing mail; the password comes from ``VEILLE_SMTP_PASSWORD``."""

    host: str = "localhost"
    port: int = 25
    username: str = ""
    starttls: bool = False
    sender: str = "veille@localhost"


class WebSettings(_Strict):
    """The web UI; the secret key comes from ``VEILLE_SECRET_KEY``."""

    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = True


class Settings(_Strict):
    """Everything veille needs to run, validated once at start-up."""

    institution: InstitutionSettings
    peers: list[InstitutionSettings] = Field(default_factory=list)
    sources: list[SourceSettings] = Field(default_factory=list)
    teams: dict[str, TeamSettings] = Field(default_factory=dict, validate_default=True)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    sentiment: SentimentSettings = Field(default_factory=SentimentSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    #: The language of the UI, e-mails and reports: ``"fr"`` (default) or ``"en"``.
    locale: Literal["fr", "en"] = "fr"
    #: SQLAlchemy URL; ``DATABASE_URL`` overrides it. Default: ``veille.db`` beside the config.
    database_url: str = ""
    #: Where reports and exports are written.
    output_dir: str = "out"
    #: Private, loopback or link-local services the crawlers may reach, as ``"host:port"``
    #: exactly as written in the URLs (an intranet news site, the demo's replay server).
    #: Everything else that resolves to such an address is refused.
    allow_private_hosts: list[str] = Field(default_factory=list)
    #: Deprecated: allows EVERY private address (any host, any port, cloud metadata
    #: included). Use ``allow_private_hosts``; kept so that old files still load.
    allow_private_addresses: bool = False
    #: Name resolution for the crawlers, ``"module:function"`` taking ``(host, port)`` and
    #: returning IP addresses (split-horizon DNS, tests); empty = the system resolver.
    dns_resolver: str = ""
    #: How long a checked address is reused for one host and port before resolving again.
    dns_cache_seconds: float = Field(default=60.0, ge=0)

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceSettings]) -> list[SourceSettings]:
        names = [s.name for s in sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                _("source names must be unique; repeated: %(names)s") % {"names": ", ".join(dupes)}
            )
        return sources

    @field_validator("teams")
    @classmethod
    def _standard_teams(cls, teams: dict[str, TeamSettings]) -> dict[str, TeamSettings]:
        return merge_standard_teams(teams)

    @field_validator("allow_private_hosts")
    @classmethod
    def _host_ports(cls, hosts: list[str]) -> list[str]:
        for entry in hosts:
            parse_host_port(entry)
        return hosts

    @field_validator("allow_private_addresses")
    @classmethod
    def _deprecated_allow_all(cls, value: bool) -> bool:
        if value:
            log.warning(
                "allow_private_addresses = true is deprecated: it lets the crawlers reach every "
                'private address; list the services instead, allow_private_hosts = ["host:port"]'
            )
        return value

    def institutions(self) -> list[InstitutionSettings]:
        """Ours first, then the peers."""
        return [self.institution, *self.peers]

    def source(self, name: str) -> SourceSettings:
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or _("none configured")
        raise ConfigError(
            _("unknown source %(name)s (known: %(known)s)") % {"name": repr(name), "known": known}
        )

    def secret(self, name: str) -> str | None:
        """Read a secret from its environment variable; ``None`` when unset."""
        return os.environ.get(SECRET_ENV[name]) or None


STANDARD_TEAMS_PATH = (
    Path(__file__).resolve().parent.parent / "enrich" / "data" / "routing" / "teams.toml"
)


def standard_teams() -> dict[str, TeamSettings]:
    """The seven built-in teams, in their file order (data, not code)."""
    with STANDARD_TEAMS_PATH.open("rb") as fh:
        raw = tomllib.load(fh)
    return {name: TeamSettings(**body) for name, body in raw.items()}


def merge_standard_teams(configured: dict[str, TeamSettings]) -> dict[str, TeamSettings]:
    """Configured teams first (in file order), then the standard ones not renamed or dropped.

    A configured standard team keeps its standard descriptions when
    it gives none, and its keywords extend the standard ones.
    """
    std = standard_teams()
    replaced = {t.replaces for t in configured.values() if t.replaces}
    for name, team in configured.items():
        if team.replaces and team.replaces not in std:
            raise ValueError(
                _("teams.%(name)s: replaces = %(team)s is not a standard team (%(standard)s)")
                % {"name": name, "team": repr(team.replaces), "standard": ", ".join(std)}
            )
        if (
            not team.drop
            and name not in std
            and not team.replaces
            and not (team.description or team.keywords or team.examples)
        ):
            log.warning(
                "team %r has no description, keywords or examples: nothing routes to it", name
            )
    out: dict[str, TeamSettings] = {}
    for name, team in configured.items():
        if team.drop:
            continue
        base = std.get(team.replaces or name)
        if base is not None:
            team = team.model_copy(
                update={
                    "description": team.description or base.description,
                    "description_en": team.description_en or base.description_en,
                    "keywords": [
                        *team.keywords,
                        *[k for k in base.keywords if k not in team.keywords],
                    ],
                }
            )
        out[name] = team
    for name, team in std.items():
        if name not in configured and name not in replaced:
            out[name] = team
    return out


def parse_host_port(entry: str) -> tuple[str, int]:
    """``"host:port"`` or ``"[v6]:port"`` -> (lower-case host, port); ConfigError otherwise."""
    text = entry.strip()
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or (":" in host and not text.startswith("[")):
        raise ValueError(
            _('allow_private_hosts: %(entry)s is not "host:port"') % {"entry": repr(entry)}
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            _("allow_private_hosts: %(entry)s needs a port between 1 and 65535")
            % {"entry": repr(entry)}
        )
    return host.lower().rstrip("."), int(port)


def resolve_database_url(settings: Settings, config_dir: Path) -> str:
    """``DATABASE_URL`` wins, then the file, then ``veille.db`` next to the config."""
    env = os.environ.get("DATABASE_URL", "").strip()
    if env:
        return env
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(config_dir / 'veille.db').resolve()}"


def load_settings(path: Path | None = None) -> Settings:
    """Load and validate the configuration; raise :class:`ConfigError` with a fix."""
    path = path or Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_PATH))
    if not path.exists():
        raise ConfigError(
            _("no configuration at %(path)s: run `veille init` to write one") % {"path": path}
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            _("cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
        ) from exc
    settings = settings_from_dict(data, source=str(path))
    settings.database_url = resolve_database_url(settings, path.parent)
    set_locale(settings.locale)
    return settings


def settings_from_dict(data: dict[str, Any], *, source: str = "<dict>") -> Settings:
    """Validate a parsed configuration, turning pydantic errors into one message."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            _("invalid configuration in %(source)s: %(problems)s")
            % {"source": source, "problems": problems}
        ) from exc
