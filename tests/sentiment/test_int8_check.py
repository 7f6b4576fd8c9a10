"""The int8 verdict is measured and recorded, never typed into the adapter config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sentiment.data import load_umsab
from sentiment.int8_check import TOLERANCE, Int8Check, check_int8, record
from sentiment.model import DEFAULT_HEAD_DIR, export_onnx


def test_int8_passes_within_half_a_point_on_every_set_and_fails_beyond():
    ok = Int8Check(
        float32={"french": 0.74, "english": 0.73},
        int8={"french": 0.74 - TOLERANCE + 1e-6, "english": 0.75},
        agreement={"french": 0.97, "english": 0.98},
    )
    assert ok.validated
    bad = Int8Check(
        float32={"french": 0.74, "english": 0.73},
        int8={"french": 0.76, "english": 0.73 - TOLERANCE - 1e-4},
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
    check = check_int8(model, sets)
    assert set(check.float32) == set(check.int8) == set(check.agreement) == {"french", "english"}
    assert all(0.0 <= v <= 1.0 for v in check.agreement.values())

    head = tmp_path / "head"
    head.mkdir()
    (head / "adapter_config.json").write_text(json.dumps({"rank": 16}), encoding="utf-8")
    record(head, check)
    meta = json.loads((head / "adapter_config.json").read_text(encoding="utf-8"))
    assert meta["rank"] == 16  # the rest of the config is kept
    assert meta["onnx_int8_validated"] is check.validated
    assert meta["onnx_int8_validation"]["float32"]["french"] == round(check.float32["french"], 4)


def test_the_committed_verdict_agrees_with_its_own_figures():
    meta = json.loads((DEFAULT_HEAD_DIR / "adapter_config.json").read_text(encoding="utf-8"))
    figures = meta["onnx_int8_validation"]
    fp32, int8 = figures["float32"], figures["int8"]
    assert set(fp32) == set(int8) >= {"french", "english"}
    expected = all(int8[k] >= fp32[k] - TOLERANCE for k in fp32)
    assert meta["onnx_int8_validated"] is expected
