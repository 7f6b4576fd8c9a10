"""Settings for the sentiment commands, usable without a veille.toml.

The batch commands (``veille tag sentiment``, ``veille sentiment eval``)
are also run by outside checks on a bare installation: without a
configuration file they use the defaults (bundled model, default
thresholds) instead of failing.
"""

from __future__ import annotations

from veille.cli._common import state
from veille.config import SentimentSettings, ThresholdSettings


def sentiment_settings() -> tuple[SentimentSettings, ThresholdSettings]:
    """``[sentiment]`` and ``[thresholds]`` from veille.toml, or the defaults."""
    if state.config_file().exists():
        s = state.settings()
        return s.sentiment, s.thresholds
    return SentimentSettings(), ThresholdSettings()
