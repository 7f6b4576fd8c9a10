"""``scripts/heldout_check``: each exclusion rule fires on a synthetic part; a clean line passes.

Why: the checker guards frozen evaluation parts nobody may read by eye, so a rule that silently
stopped firing would go unnoticed. The index is built from a throwaway git repository with one
committed jsonl file; nothing outside ``tmp_path`` is read.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from scripts.heldout_check import check, hosts

SEEN_TEXT = "The quick brown fox jumps over the lazy dog near the old mill by the river bank today"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(repo), *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def index(tmp_path: Path) -> tuple[Path, Path]:
    """A one-commit repository citing a host and a text, and its index."""
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    seen = {"text": SEEN_TEXT, "source": "https://www.seen-before.example.com/post/1"}
    (repo / "data" / "old.jsonl").write_text(json.dumps(seen) + "\n", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "data/old.jsonl")
    _git(repo, "commit", "-q", "-m", "seed")
    idx = tmp_path / "index"
    hosts.build(repo, tmp_path / "no_such_folder", idx)
    return repo, idx


def _job(n: int, text: str, source: str, person: str | None = "Alice Martin", **kw: str) -> str:
    rec = {
        "id": f"t-{n}",
        "lang": "en",
        "domain": kw.get("domain", "press"),
        "text": text,
        "source": source,
        "job_changes": [
            {"person": person, "organization": "Acme Labs", "title": kw.get("title", "CTO")}
        ],
    }
    return json.dumps(rec)


def _fresh(n: int) -> str:
    """A text of its own: no 8 tokens in a row shared with another line or the index."""
    return f"Day{n} memo{n}: Alice Martin joined Acme Labs as CTO, note{n} end{n}."


def test_each_rule_fires_and_a_clean_line_passes(
    index: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, idx = index
    lines = [
        _job(1, _fresh(1), "https://clean-a.net/a"),
        _job(2, _fresh(2), "https://blog.seen-before.example.com/b"),
        _job(3, "Alice Martin joins Acme Labs as CTO. " + SEEN_TEXT, "https://other-c.org/c"),
        *(_job(n, _fresh(n), f"https://www.busy-d.org/{n}") for n in (4, 5, 6, 7)),
        _job(8, _fresh(8), "https://lone-e.org/h", title="Chief Wizard"),
        _job(9, "I am thrilled to join Acme Labs as CTO!", "https://me-f.org/i",
             person=None, domain="first_person"),
        _job(10, _fresh(10), "https://ten-g.org/j", person=None),
    ]  # fmt: skip
    cand = tmp_path / "cand.jsonl"
    cand.write_text("\n".join(lines) + "\n", encoding="utf-8")

    rc = check.main(["jobs", str(cand), "--index", str(idx), "--repo", str(repo)])
    out = capsys.readouterr().out
    problems = {int(m[1]): m[2] for m in re.finditer(r"^L(\d+) id:t-\d+: (.*)$", out, re.M)}

    assert rc == 1
    assert set(problems) == {2, 3, 7, 8, 10}, out
    assert problems[2] == "excluded host"
    assert problems[3].startswith("8-gram overlap (")
    assert problems[7] == "site over 3 (#4)"
    assert problems[8] == "value not in text: title"
    # A null person is the convention only where the author speaks (line 9 passes).
    assert problems[10] == "schema: job_changes[0].person null/empty"
    assert "lines: 10  lines with problems: 5" in out
    # Only counts and ids: no text of the candidate reaches the output.
    assert "Acme" not in out and "Alice" not in out and "busy-d" not in out


def test_a_clean_file_exits_zero(
    index: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, idx = index
    cand = tmp_path / "clean.jsonl"
    cand.write_text(_job(1, _fresh(1), "https://clean-a.net/a") + "\n", encoding="utf-8")
    assert check.main(["jobs", str(cand), "--index", str(idx), "--repo", str(repo)]) == 0
    assert "lines: 1  lines with problems: 0" in capsys.readouterr().out


def test_per_page_caps_each_page_not_the_site(
    index: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--per-page``: four lines of four articles of one site pass; a fourth line of one
    article does not (a part drawn from one open-licence news site)."""
    repo, idx = index
    lines = [
        *(_job(n, _fresh(n), f"https://news-h.org/wiki/{n}") for n in (1, 2, 3, 4)),
        *(_job(n, _fresh(n), "https://news-h.org/wiki/same") for n in (5, 6, 7, 8)),
    ]
    cand = tmp_path / "pages.jsonl"
    cand.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["jobs", str(cand), "--index", str(idx), "--repo", str(repo)]

    assert check.main([*args, "--per-page"]) == 1
    out = capsys.readouterr().out
    problems = {int(m[1]): m[2] for m in re.finditer(r"^L(\d+) id:t-\d+: (.*)$", out, re.M)}
    assert problems == {8: "site over 3 (#4)"}, out
    assert check.main(args) == 1  # per site, lines 4 to 8 are over the cap
    out = capsys.readouterr().out
    over = {int(m[1]) for m in re.finditer(r"^L(\d+) id:t-\d+: site over 3", out, re.M)}
    assert over == {4, 5, 6, 7, 8}, out


def test_usage_error_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main(["jobs"]) == 2
    assert capsys.readouterr().out.startswith("usage:")
