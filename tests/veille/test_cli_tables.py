"""A table the terminal cannot hold prints as one block per row, never cut to "So…"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rich.table import Table

from veille.cli import _common
from veille.cli._common import print_table, titled_table


@pytest.fixture
def width() -> Iterator[None]:
    before = _common.console.width
    yield
    _common.console.width = before


def _sources() -> Table:
    table = titled_table(
        "Sources",
        "Source",
        "Type",
        "État",
        "Dernier succès",
        "Dernière erreur",
        "Éléments lus",
        "Aujourd'hui",
        "En quarantaine",
        no_wrap=("État",),
    )
    table.add_row(
        "google-actualites",
        "Flux RSS / Atom",
        "Dégradée · 1 cible en échec sur 2",
        "05/12/2026 20:03",
        "05/12/2026 20:03 Le flux est en partie mal formé",
        "2",
        "2 / 5000",
        "0",
    )
    return table


def test_a_wide_terminal_gets_the_table(width: None) -> None:
    _common.console.width = 200
    with _common.console.capture() as out:
        print_table(_sources())
    text = out.get()
    assert "┃ Source" in text and "google-actualites" in text and "…" not in text


def test_a_narrow_terminal_gets_one_block_per_row_with_every_word(width: None) -> None:
    _common.console.width = 80
    with _common.console.capture() as out:
        print_table(_sources())
    text = out.get()
    assert "…" not in text and "┃" not in text
    assert "google-actualites" in text and "Dégradée · 1 cible en échec sur 2" in text
    assert "En quarantaine" in text and "Dernier succès   05/12/2026 20:03" in text
