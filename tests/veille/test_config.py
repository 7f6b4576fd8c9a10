from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veille.cli import app
from veille.config import load_settings, settings_from_dict
from veille.errors import ConfigError
from veille.i18n import set_locale


def test_init_writes_a_config_that_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    target = tmp_path / "veille.toml"
    result = CliRunner().invoke(app, ["--config", str(target), "init"])
    assert result.exit_code == 0, result.output
    settings = load_settings(target)
    assert settings.institution.slug == "univ-exemple"
    assert settings.database_url == f"sqlite:///{(tmp_path / 'veille.db').resolve()}"
    assert {s.kind for s in settings.sources} >= {"rss", "twitter", "mastodon"}
    again = CliRunner().invoke(app, ["--config", str(target), "init"])
    assert again.exit_code == 2 and "--force" in again.output


def test_database_url_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "veille.toml"
    target.write_text('[institution]\nslug="u"\nname="U"\n', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/veille")
    assert load_settings(target).database_url == "postgresql://db.example/veille"


def test_invalid_config_says_where(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sources\.0\.kind"):
        settings_from_dict(
            {"institution": {"slug": "u", "name": "U"}, "sources": [{"name": "a", "kind": "fax"}]}
        )
    with pytest.raises(ConfigError, match="repeated: a"):
        settings_from_dict(
            {
                "institution": {"slug": "u", "name": "U"},
                "sources": [{"name": "a", "kind": "rss"}, {"name": "a", "kind": "rss"}],
            }
        )
    with pytest.raises(ConfigError, match="veille init"):
        load_settings(tmp_path / "missing.toml")


def test_effective_query_quotes_name_and_aliases() -> None:
    s = settings_from_dict({"institution": {"slug": "u", "name": "Univ A", "aliases": ["UA"]}})
    assert s.institution.effective_query() == '"Univ A" OR "UA"'


def test_db_upgrade_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    target = tmp_path / "veille.toml"
    target.write_text('[institution]\nslug="u"\nname="U"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(target), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "veille.db").exists()


def test_locale_setting_chooses_the_language(tmp_path) -> None:
    """``locale`` is fr by default, en on demand, and anything else is refused."""
    from veille.i18n import active_locale

    base = {"institution": {"slug": "u", "name": "U"}}
    assert settings_from_dict(base).locale == "fr"
    with pytest.raises(ConfigError, match="locale"):
        settings_from_dict({**base, "locale": "de"})
    path = tmp_path / "veille.toml"
    path.write_text('locale = "en"\n[institution]\nslug = "u"\nname = "U"\n', encoding="utf-8")
    try:
        assert load_settings(path).locale == "en" and active_locale() == "en"
    finally:
        set_locale("fr")


#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")
