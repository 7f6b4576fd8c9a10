"""The int8 and bfloat16 verdicts are measured and recorded, never typed into the config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sentiment.data import load_umsab
from sentiment.model import DEFAULT_HEAD_DIR, export_onnx
from sentiment.path_check import TOLERANCE, PathCheck, check_path, record


def test_int8_passes_within_half_a_point_on_every_set_and_fails_beyond():
    ok = PathCheck(
        backend="onnx-int8",
        float32={"french": 0.74, "english": 0.73},
        reduced={"french": 0.74 - TOLERANCE + 1e-6, "english": 0.75},
        agreement={"french": 0.97, "english": 0.98},
    )
    assert ok.validated
    bad = PathCheck(
        backend="torch-bf16",
        float32={"french": 0.74, "english": 0.73},
        reduced={"french": 0.76, "english": 0.73 - TOLERANCE - 1e-4},
        agreement={"french": 0.97, "english": 0.95},
    )
    assert not bad.validated  # one set losing more than half a point is enough


def test_both_exports_are_scored_and_the_verdict_lands_in_the_config(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    export_onnx(model, int8=True)
    sets = load_umsab(tiny_umsab, "val")
    check = check_path(model, sets, "onnx-int8")
    assert set(check.float32) == set(check.reduced) == set(check.agreement) == {"french", "english"}
    assert all(0.0 <= v <= 1.0 for v in check.agreement.values())

    head = tmp_path / "head"
    head.mkdir()
    (head / "adapter_config.json").write_text(json.dumps({"rank": 16}), encoding="utf-8")
    record(head, check)
    meta = json.loads((head / "adapter_config.json").read_text(encoding="utf-8"))
    assert meta["rank"] == 16  # the rest of the config is kept
    assert meta["onnx_int8_validated"] is check.validated
    assert meta["onnx_int8_validation"]["float32"]["french"] == round(check.float32["french"], 4)

    bf16 = check_path(model, sets, "torch-bf16")
    assert min(bf16.agreement.values()) >= 0.9  # the tiny model barely moves in bfloat16
    record(head, bf16)
    meta = json.loads((head / "adapter_config.json").read_text(encoding="utf-8"))
    assert "onnx_int8_validated" in meta  # one verdict does not erase the other
    assert meta["torch_bf16_validated"] is bf16.validated
    assert meta["torch_bf16_validation"]["bf16"]["english"] == round(bf16.reduced["english"], 4)


@pytest.mark.parametrize(("key", "short"), [("onnx_int8", "int8"), ("torch_bf16", "bf16")])
def test_the_committed_verdicts_agree_with_their_own_figures(key: str, short: str):
    meta = json.loads((DEFAULT_HEAD_DIR / "adapter_config.json").read_text(encoding="utf-8"))
    figures = meta[f"{key}_validation"]
    fp32, reduced = figures["float32"], figures[short]
    assert set(fp32) == set(reduced) >= {"french", "english"}
    expected = all(reduced[k] >= fp32[k] - TOLERANCE for k in fp32)
    assert meta[f"{key}_validated"] is expected
