from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from veille.cli import app
from veille.errors import ImportFileError

runner = CliRunner()


def _invoke(tmp_path: Path, *args: str):
    return runner.invoke(app, ["--config", str(tmp_path / "absent.toml"), *args])


def test_tag_sentiment_batch_contract(tmp_path: Path, tiny_model_dir: Path):
    src = tmp_path / "in.jsonl"
    lines = [
        {"id": 1, "text": "J'adore cette université, merci à tous !", "extra": {"k": [1, 2]}},
        {"id": "b", "text": "This is the worst service I have ever seen"},
        {"id": 3, "text": ""},
    ]
    src.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8"
    )
    out = tmp_path / "out" / "o.jsonl"
    res = _invoke(
        tmp_path,
        "tag",
        "sentiment",
        "--input",
        str(src),
        "--output",
        str(out),
        "--model-path",
        str(tiny_model_dir),
    )
    assert res.exit_code == 0, res.output
    got = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == [1, "b", 3]
    assert got[0]["extra"] == {"k": [1, 2]}
    assert got[0]["lang"] == "fr" and got[1]["lang"] == "en" and got[2]["lang"] is None
    for g in got:
        assert g["sentiment"]["label"] in ("negative", "neutral", "positive")
        assert isinstance(g["sentiment"]["score"], float)
        assert 0.0 <= g["sentiment"]["score"] <= 1.0


def test_tag_sentiment_rejects_bad_json_with_line_number(tmp_path: Path, tiny_model_dir: Path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{oops\n', encoding="utf-8")
    res = _invoke(
        tmp_path,
        "tag",
        "sentiment",
        "-i",
        str(src),
        "-o",
        str(tmp_path / "o.jsonl"),
        "--model-path",
        str(tiny_model_dir),
    )
    assert res.exit_code == ImportFileError.exit_code
    assert "ligne 2" in res.output


def test_sentiment_eval_reports_macro_f1_per_language(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    res = _invoke(
        tmp_path,
        "sentiment",
        "eval",
        "--data",
        str(tiny_umsab),
        "--model-path",
        str(tiny_model_dir),
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    assert set(summary["macro_f1"]) == {"english", "french"}
    assert all(0.0 <= v <= 1.0 for v in summary["macro_f1"].values())


def test_tag_group_is_shared():
    from veille.cli._tag import get_tag_app

    assert get_tag_app(app) is get_tag_app(app)
