from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from veille.csvsafe import neutralise, write_rows


def test_formula_cells_are_neutralised() -> None:
    for bad in ('=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("Bonjour") == "Bonjour"
    assert neutralise(-2) == -2


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_no_cell_starts_with_a_trigger(cells) -> None:
    buf = io.StringIO()
    write_rows(buf, ["a"] * len(cells), [cells])
    for row in csv.reader(io.StringIO(buf.getvalue())):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
