"""The one JSON Lines reader: objects with their line numbers; the first bad line named."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.errors import ImportFileError
from veille.jsonl import json_objects, read_json_objects


def test_objects_come_with_their_line_numbers_and_blank_lines_are_skipped() -> None:
    lines = ['{"a": 1}', "", "   ", '{"b": 2}']
    assert list(json_objects(lines)) == [(1, {"a": 1}), (4, {"b": 2})]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"a": ', "not valid JSON"),
        ("[1, 2]", "each line must be a JSON object"),
        ("[" * 100_000, "JSON nested too deeply"),
    ],
)
def test_a_bad_line_stops_the_reading_with_its_number_and_the_file(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"ok": true}\n' + line + "\n" + '{"never": "read"}\n', encoding="utf-8")
    seen = []
    with pytest.raises(ImportFileError) as err:
        for n, obj in read_json_objects(path):
            seen.append((n, obj))
    assert seen == [(1, {"ok": True})]
    assert err.value.line == 2
    assert str(err.value).startswith(f"{path}, line 2: {message}")
    assert line[:20] not in str(err.value).removeprefix(f"{path}, line 2: ")


def test_bytes_must_be_utf8_and_a_first_line_bom_is_dropped() -> None:
    assert list(json_objects([b'\xef\xbb\xbf{"x": "\xc3\xa9"}'])) == [(1, {"x": "é"})]
    with pytest.raises(ImportFileError, match="line 2: not UTF-8 text"):
        list(json_objects([b"{}", b'{"x": "\xe9"}']))


#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")
