"""CSV cells that no spreadsheet executes, whichever delimiter it splits them on."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import given
from hypothesis import strategies as st

from veille.csvsafe import neutralise, unneutralise, write_rows

FORMULA = ("=", "+", "-", "@")
#: Characters a spreadsheet may split on when it guesses the delimiter (or rows).
SPLITTERS = (",", ";", "\t", "\n", "\r")


def test_formula_cells_are_neutralised() -> None:
    for bad in ('=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("Bonjour") == "Bonjour"
    assert neutralise(-2) == -2


def test_a_formula_after_any_delimiter_is_neutralised() -> None:
    """Found in the security pass: a comma file opened with ``;`` (French Excel)."""
    assert neutralise('ok;=HYPERLINK("http://evil")') == 'ok;\'=HYPERLINK("http://evil")'
    assert neutralise("a,=1+1") == "a,'=1+1"
    assert neutralise("a\t@SUM(A1)") == "a\t'@SUM(A1)"
    assert neutralise("line one\n-2+3") == "line one\n'-2+3"
    assert neutralise('x; "=cmd') == "x; \"'=cmd"
    assert neutralise("a-b; c+d, e@f") == "a-b; c+d, e@f"  # formula characters inside words stay


def _pieces(line: str, delimiter: str) -> list[str]:
    """What a spreadsheet guessing ``delimiter`` would make of one raw CSV line."""
    return [p.strip(' "') for p in line.split(delimiter)]


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_no_cell_can_open_as_a_formula_under_any_delimiter(cells: list[str]) -> None:
    for delimiter in (",", ";"):
        buf = io.StringIO()
        write_rows(buf, ["a"] * len(cells), [cells], delimiter=delimiter)
        raw = buf.getvalue()
        for row in csv.reader(io.StringIO(raw), delimiter=delimiter):
            for cell in row:
                assert not cell.startswith((*FORMULA, "\t", "\r"))
        for line in re.split(r"[\r\n]", raw):
            for other in SPLITTERS[:3]:
                for piece in _pieces(line, other):
                    assert not piece.startswith(FORMULA), (cells, delimiter, other, piece)


@given(st.text())
def test_neutralisation_round_trips_exactly(value: str) -> None:
    assert unneutralise(neutralise(value)) == value
