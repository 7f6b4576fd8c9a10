"""Human corrections of sentiment and team: stored as labelled examples, applied to the mention.

A community manager fixing a label in the UI is the best training signal
veille gets: the correction updates the mention at once (reports use it)
and is kept as a :class:`~store.models.LabelledExample` for evaluation and
retraining (``veille sentiment export-labels``, ``veille route train``, which
reads the ``team`` task).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from store.models import Alert, LabelledExample, Mention, utcnow
from veille.errors import VeilleError
from veille.i18n import _

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")


class LabelError(VeilleError):
    """A correction names an unknown label or mention."""

    translated = True


def add_correction(session: Session, mention_id: int, label: str, author: str) -> LabelledExample:
    """Record ``label`` for a mention by ``author`` and update the mention.

    The mention's sentiment becomes the human label with score 1.0, not
    uncertain, model ``human:<author>``; the previous model label is kept in
    the example for error analysis.
    """
    label = label.strip().lower()
    if label not in SENTIMENT_LABELS:
        raise LabelError(
            _("unknown sentiment label %(label)s: use one of %(labels)s")
            % {"label": repr(label), "labels": ", ".join(SENTIMENT_LABELS)}
        )
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise LabelError(_("no mention with id %(id)s") % {"id": mention_id})
    text = mention.text or mention.title
    example = LabelledExample(
        task="sentiment",
        text=text,
        label=label,
        lang=mention.lang,
        mention_id=mention.id,
        author=author,
        created_at=utcnow(),
    )
    session.add(example)
    mention.sentiment_label = label
    mention.sentiment_score = 1.0
    mention.sentiment_uncertain = False
    mention.sentiment_model = f"human:{author}"
    session.add(mention)
    session.flush()
    return example


def add_alert_team_correction(
    session: Session, alert: Alert, team: str, author: str, teams: Sequence[str]
) -> list[LabelledExample]:
    """An alert moved to another team: its sample mentions become routing examples."""
    ids = [int(i) for i in (alert.details or {}).get("sample_mention_ids", [])]
    return [
        add_team_correction(session, mid, team, author, teams)
        for mid in ids
        if session.get(Mention, mid) is not None
    ]


def labelled_examples(session: Session, task: str = "sentiment") -> Sequence[LabelledExample]:
    """All corrections of a task, oldest first (latest wins per mention when exporting)."""
    stmt = (
        select(LabelledExample)
        .where(col(LabelledExample.task) == task)
        .order_by(col(LabelledExample.created_at), col(LabelledExample.id))
    )
    return session.exec(stmt).all()


def add_team_correction(
    session: Session, mention_id: int, team: str, author: str, teams: Sequence[str]
) -> LabelledExample:
    """Route a mention to ``team`` by hand, kept as a ``task="team"`` labelled example.

    The router is trained on such examples (``veille route train``), as the
    sentiment model is on :func:`add_correction`'s. The mention's routing
    status becomes ``corrected`` (score 1.0; the previous team is kept as the
    runner-up), so the router never re-routes it.
    """
    team = team.strip()
    if team not in teams:
        raise LabelError(
            _("unknown team %(team)s; configured teams: %(teams)s")
            % {"team": repr(team), "teams": ", ".join(teams) or _("none")}
        )
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise LabelError(_("no mention with id %(id)s") % {"id": mention_id})
    example = LabelledExample(
        task="team",
        text=mention.text or mention.title,
        label=team,
        lang=mention.lang,
        mention_id=mention.id,
        author=author,
        created_at=utcnow(),
    )
    session.add(example)
    if mention.team and mention.team != team:
        mention.team_runner_up = mention.team
    mention.team = team
    mention.team_score = 1.0
    mention.team_status = "corrected"
    session.add(mention)
    session.flush()
    return example
