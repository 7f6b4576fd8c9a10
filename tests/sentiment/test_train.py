from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from sentiment.model import merge_adapter
from sentiment.train import TrainConfig, build_trainable_model, predict_proba_torch, train


def _cfg(**kw) -> TrainConfig:
    base = {"epochs": 2.0, "batch_size": 4, "lr": 5e-3, "rank": 2, "alpha": 4.0, "threads": 1}
    base.update(kw)
    return TrainConfig(**base)


def test_training_is_seeded_and_reproducible(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    a = train(tiny_umsab, tmp_path / "a", tiny_model_dir, _cfg())
    b = train(tiny_umsab, tmp_path / "b", tiny_model_dir, _cfg())
    wa = load_file(str(tmp_path / "a" / "adapter.safetensors"))
    wb = load_file(str(tmp_path / "b" / "adapter.safetensors"))
    assert wa.keys() == wb.keys()
    assert any("lora_A" in k for k in wa) and "classifier.weight" in wa
    assert not any("word_embeddings" in k for k in wa)
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    assert a["best"] == b["best"]
    assert set(a["best"]["scores"]) == {"french", "english"}


def test_merged_model_equals_the_adapter_model(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    cfg = _cfg()
    train(tiny_umsab, tmp_path / "adapter", tiny_model_dir, cfg)
    from transformers import AutoTokenizer

    from sentiment.model import load_classifier
    from veille.config import SentimentSettings

    model = build_trainable_model(tiny_model_dir, cfg)
    state = load_file(str(tmp_path / "adapter" / "adapter.safetensors"))
    missing = model.load_state_dict(state, strict=False)
    assert not missing.unexpected_keys
    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    texts = ["je déteste ça", "I love this campus", "réunion à 9h", "meh"]
    expected = predict_proba_torch(model, tok, texts, batch_size=2, max_length=64)

    merged = merge_adapter(tiny_model_dir, tmp_path / "adapter", tmp_path / "merged")
    clf = load_classifier(SentimentSettings(model_path=str(merged), backend="torch"))
    np.testing.assert_allclose(clf.predict_proba(texts), expected, atol=1e-4)


def test_floor_selection_prefers_the_checkpoint_whose_weakest_language_is_safest():
    from sentiment.train import selection_key

    floors = {"french": 0.72, "english": 0.70}
    # The run that made the default adapter: step 266 has the best mean but
    # English under its floor; step 228 clears both, so it is kept.
    step_228 = {"french": 0.7287, "english": 0.7005}
    step_266 = {"french": 0.7527, "english": 0.6985}
    assert selection_key(step_228, floors) > selection_key(step_266, floors)
    # Without floors the mean decides, as before.
    assert selection_key(step_266, {}) > selection_key(step_228, {})
    # Equal worst margins: the mean breaks the tie.
    a = {"french": 0.73, "english": 0.71}
    b = {"french": 0.75, "english": 0.71}
    assert selection_key(b, floors) > selection_key(a, floors)


def test_cli_floors_are_parsed_and_bad_ones_refused():
    from veille.cli.sentiment import _parse_floors
    from veille.errors import OptionError

    assert _parse_floors("french=0.72, english=0.70") == {"french": 0.72, "english": 0.70}
    assert _parse_floors("") == {}
    for bad in ("french", "french=high", "=0.7"):
        try:
            _parse_floors(bad)
        except OptionError as exc:
            assert "language=F1" in str(exc)
        else:
            raise AssertionError(f"{bad!r} accepted")


def test_extra_folders_add_training_examples_but_never_select(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    """The SemEval / DEFT folders train; UMSAB's val splits alone choose the checkpoint."""
    import json

    import numpy as np

    from sentiment.train import extra_examples
    from tests.sentiment.conftest import write_umsab

    pool = write_umsab(tmp_path / "extra", languages=("semeval2017_4a_en",), n=30)
    flat = pool / "semeval2017_4a_en"  # the shared folder is flat: files at its root
    cfg = _cfg(extra_train=[str(flat)], max_train_extra=20)
    got = extra_examples(cfg, np.random.default_rng(0))
    assert len(got) == 20 and {e.language for e in got} == {"semeval2017_4a_en"}
    assert len(extra_examples(_cfg(extra_train=[str(flat)]), np.random.default_rng(0))) == 30
    result = train(tiny_umsab, tmp_path / "a", tiny_model_dir, cfg)
    assert set(result["best"]["scores"]) == {"french", "english"}
    meta = json.loads((tmp_path / "a" / "adapter_config.json").read_text(encoding="utf-8"))
    assert meta["train_config"]["extra_train"] == [str(flat)]
    train(tiny_umsab, tmp_path / "b", tiny_model_dir, _cfg())
    wa = load_file(str(tmp_path / "a" / "adapter.safetensors"))
    wb = load_file(str(tmp_path / "b" / "adapter.safetensors"))
    assert any(not torch.equal(wa[k], wb[k]) for k in wa)  # the extra data was trained on


def test_kept_checkpoints_hold_every_evaluation_and_the_selected_one_matches(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    """Each evaluated step is written, and the selected step's weights are the adapter's."""
    import json

    result = train(tiny_umsab, tmp_path / "a", tiny_model_dir, _cfg(keep_checkpoints=True))
    steps = [h["step"] for h in result["history"]]
    kept = sorted((tmp_path / "a" / "checkpoints").iterdir(), key=lambda p: int(p.name[5:]))
    assert [int(p.name[5:]) for p in kept] == steps
    chosen = tmp_path / "a" / "checkpoints" / f"step-{result['best']['step']}"
    meta = json.loads((chosen / "adapter_config.json").read_text(encoding="utf-8"))
    assert meta["selected"]["step"] == result["best"]["step"]
    wa = load_file(str(tmp_path / "a" / "adapter.safetensors"))
    wc = load_file(str(chosen / "adapter.safetensors"))
    for k in wa:
        assert torch.equal(wa[k], wc[k]), k
    assert not (tmp_path / "b").exists()
    train(tiny_umsab, tmp_path / "b", tiny_model_dir, _cfg())
    assert not (tmp_path / "b" / "checkpoints").exists()


def test_other_languages_are_capped_and_the_selected_ones_kept_whole(tmp_path: Path):
    """`--other-cap` samples the languages outside --select; french and english stay whole."""
    from sentiment.data import load_umsab
    from sentiment.train import training_examples
    from tests.sentiment.conftest import write_umsab

    root = write_umsab(tmp_path / "u", languages=("french", "english", "spanish"), n=30)
    sets = load_umsab(root, "train", None)
    cfg = _cfg(max_train_other_languages=7)
    got = training_examples(cfg, sets, ["french", "english"], np.random.default_rng(0))
    per_lang = {lang: sum(e.language == lang for e in got) for lang in sets}
    assert per_lang == {"french": 30, "english": 30, "spanish": 7}
    again = training_examples(cfg, sets, ["french", "english"], np.random.default_rng(0))
    assert [e.text for e in again] == [e.text for e in got]  # seeded
    whole = training_examples(_cfg(), sets, ["french", "english"], np.random.default_rng(0))
    assert len(whole) == 90


def test_per_folder_caps_override_the_common_cap(tmp_path: Path):
    """The 47,378-tweet English pool and DEFT's 3,405 tweets want different caps."""
    from sentiment.train import extra_examples
    from tests.sentiment.conftest import write_umsab

    root = write_umsab(tmp_path / "x", languages=("semeval2017_4a_en", "deft2017_fr"), n=30)
    pool, deft = root / "semeval2017_4a_en", root / "deft2017_fr"
    cfg = _cfg(
        extra_train=[str(pool), str(deft)], max_train_extra=20, extra_caps={"deft2017_fr": 5}
    )
    got = extra_examples(cfg, np.random.default_rng(0))
    counts = {name: sum(e.language == name for e in got) for name in (pool.name, deft.name)}
    assert counts == {"semeval2017_4a_en": 20, "deft2017_fr": 5}
    uncapped = _cfg(extra_train=[str(pool)], max_train_extra=20, extra_caps={pool.name: 0})
    assert len(extra_examples(uncapped, np.random.default_rng(0))) == 30


def test_cli_caps_are_parsed_and_bad_ones_refused():
    import pytest

    from veille.cli.sentiment import _parse_caps
    from veille.errors import OptionError

    assert _parse_caps("semeval2017_4a_en=0, deft2017_fr=1000") == {
        "semeval2017_4a_en": 0,
        "deft2017_fr": 1000,
    }
    for bad in ("deft2017_fr", "deft2017_fr=many", "=3"):
        with pytest.raises(OptionError, match="folder=N"):
            _parse_caps(bad)


def test_device_auto_is_the_cpu_without_a_gpu_and_training_runs_there(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    """``auto`` picks CUDA only when torch sees it; the CI machines have none."""
    import json

    from sentiment.device import resolve_device

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == expected
    assert resolve_device("cpu") == "cpu"
    train(tiny_umsab, tmp_path / "a", tiny_model_dir, _cfg(device="cpu", max_steps=2))
    meta = json.loads((tmp_path / "a" / "adapter_config.json").read_text(encoding="utf-8"))
    assert meta["train_config"]["device"] == "cpu"


def test_float16_storage_halves_the_adapter_and_merges_like_float32(
    tmp_path: Path, tiny_model_dir: Path, tiny_umsab: Path
):
    """A rank-32 adapter is 11 MB in float32 (the limit is 10 MB); float16 storage halves
    it and the merged model predicts what the float32 adapter does, up to rounding."""
    import pytest

    from sentiment.model import load_classifier
    from veille.config import SentimentSettings

    f32 = tmp_path / "f32"
    f16 = tmp_path / "f16"
    train(tiny_umsab, f32, tiny_model_dir, _cfg(max_steps=4))
    train(tiny_umsab, f16, tiny_model_dir, _cfg(max_steps=4, weights_dtype="float16"))
    w32 = load_file(str(f32 / "adapter.safetensors"))
    w16 = load_file(str(f16 / "adapter.safetensors"))
    assert {v.dtype for v in w16.values()} == {torch.float16}
    payload = {
        n: sum(v.numel() * v.element_size() for v in w.values())
        for n, w in [("32", w32), ("16", w16)]
    }
    assert payload["16"] * 2 == payload["32"]  # the tiny model's file is mostly header
    for k in w32:
        torch.testing.assert_close(w16[k].float(), w32[k], atol=2e-3, rtol=2e-3)
    texts = ["je déteste ça", "I love this campus", "réunion à 9h"]
    probs = []
    for adapter in (f32, f16):
        merged = merge_adapter(tiny_model_dir, adapter, tmp_path / f"merged-{adapter.name}")
        clf = load_classifier(SentimentSettings(model_path=str(merged), backend="torch"))
        probs.append(np.asarray(clf.predict_proba(texts)))
    np.testing.assert_allclose(probs[0], probs[1], atol=2e-3)
    with pytest.raises(ValueError, match="weights_dtype"):
        train(tiny_umsab, tmp_path / "bad", tiny_model_dir, _cfg(weights_dtype="int4"))


def test_cli_refuses_an_unknown_weights_dtype_in_words_before_reading_data(tmp_path: Path):
    """``--weights-dtype int4`` ended in an English traceback after the data was read."""
    from typer.testing import CliRunner

    from veille.cli import app

    result = CliRunner().invoke(
        app,
        [
            "sentiment",
            "train",
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
            "--weights-dtype",
            "int4",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "--weights-dtype prend l'une des valeurs float32, float16, pas 'int4'" in result.output
    assert "Traceback" not in result.output
