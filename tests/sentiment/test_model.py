from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sentiment.model import (
    OnnxClassifier,
    TorchClassifier,
    export_onnx,
    label_columns,
    load_classifier,
)
from sentiment.tagger import tag_texts
from tests.sentiment.conftest import save_tiny_model
from veille.config import SentimentSettings
from veille.errors import ModelUnavailableError

#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")

TEXTS = [
    "@univ_exemple je déteste les files d'attente au CROUS https://t.co/x",
    "ok",
    "Great graduation ceremony today, congratulations to everyone who made it possible!",
    "Réunion demain",
    "",
]


def test_loads_a_local_hf_folder(tiny_model_dir: Path):
    clf = load_classifier(SentimentSettings(model_path=str(tiny_model_dir), batch_size=2))
    assert isinstance(clf, TorchClassifier)
    assert clf.backend == "torch-fp32"
    probs = clf.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_bucketed_batches_give_the_same_answer_as_one_by_one(tiny_model_dir: Path):
    clf = load_classifier(SentimentSettings(model_path=str(tiny_model_dir), batch_size=3))
    batched = clf.predict_proba(TEXTS)
    single = np.vstack([clf.predict_proba([t]) for t in TEXTS])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_missing_model_path_says_what_to_fix(tmp_path: Path):
    with pytest.raises(ModelUnavailableError, match="model_path"):
        load_classifier(SentimentSettings(model_path=str(tmp_path / "nope")))


def test_broken_model_folder_is_an_error_not_a_fallback(tmp_path: Path):
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="model_path"):
        load_classifier(SentimentSettings(model_path=str(tmp_path)))


def test_default_model_not_installed_names_the_command(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(ModelUnavailableError, match="veille models install"):
        load_classifier(SentimentSettings(), install=False)


def test_label_mapping_by_name_and_by_index():
    assert label_columns({0: "positive", 1: "negative", 2: "neutral"}) == [1, 2, 0]
    assert label_columns({0: "NEG", 1: "NEU", 2: "POS"}) == [0, 1, 2]
    assert label_columns({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}) == [0, 1, 2]
    with pytest.raises(ModelUnavailableError, match="3 labels"):
        label_columns({0: "a", 1: "b"})
    with pytest.raises(ModelUnavailableError, match="cannot map"):
        label_columns({0: "joy", 1: "anger", 2: "fear"})


def test_reordered_labels_are_reported_in_canonical_order(tmp_path: Path, tiny_model_dir: Path):
    plain = load_classifier(SentimentSettings(model_path=str(tiny_model_dir)))
    swapped_dir = save_tiny_model(
        tmp_path / "swapped", id2label={0: "positive", 1: "neutral", 2: "negative"}
    )
    swapped = load_classifier(SentimentSettings(model_path=str(swapped_dir)))
    # same seed, same weights: only the label names differ, so columns come back swapped
    np.testing.assert_allclose(
        swapped.predict_proba(TEXTS), plain.predict_proba(TEXTS)[:, ::-1], atol=1e-6
    )


def test_onnx_paths_agree_with_torch(tmp_path: Path, tiny_model_dir: Path):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(tiny_model_dir, folder)
    export_onnx(folder, int8=True)
    settings = SentimentSettings(model_path=str(folder))
    torch_probs = load_classifier(settings, backend="torch").predict_proba(TEXTS)
    fp32 = load_classifier(settings, backend="onnx")
    int8 = load_classifier(settings, backend="onnx-int8")
    assert isinstance(fp32, OnnxClassifier) and int8.backend == "onnx-int8"
    # auto: float32 ONNX on CPU (int8 was not validated for this folder)
    assert load_classifier(settings).backend == "onnx"
    np.testing.assert_allclose(fp32.predict_proba(TEXTS), torch_probs, atol=1e-4)
    np.testing.assert_allclose(int8.predict_proba(TEXTS), torch_probs, atol=0.05)


def test_bfloat16_path_agrees_with_float32(tiny_model_dir: Path):
    settings = SentimentSettings(model_path=str(tiny_model_dir))
    fp32 = load_classifier(settings, backend="torch")
    bf16 = load_classifier(settings, backend="torch-bf16")
    assert (fp32.backend, bf16.backend) == ("torch-fp32", "torch-bf16")
    probs = bf16.predict_proba(TEXTS)
    assert probs.dtype == np.float32 and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probs, fp32.predict_proba(TEXTS), atol=0.05)


@pytest.mark.parametrize(
    ("amx", "validated", "expected"),
    [
        (True, {"torch_bf16_validated": True, "onnx_int8_validated": True}, "torch-bf16"),
        (False, {"torch_bf16_validated": True, "onnx_int8_validated": True}, "onnx-int8"),
        (True, {"torch_bf16_validated": False, "onnx_int8_validated": True}, "onnx-int8"),
        (True, {}, "onnx"),
    ],
)
def test_auto_takes_the_fastest_validated_cpu_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, amx: bool, validated: dict, expected: str
):
    import sentiment.model as model_module

    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("model.onnx", "model.int8.onnx"):
        (folder / name).write_bytes(b"")
    (folder / "veille_onnx.json").write_text(json.dumps(validated), encoding="utf-8")
    monkeypatch.setattr(model_module, "cpu_has_amx", lambda: amx)
    assert model_module.pick_backend("auto", "cpu", folder) == expected
    assert model_module.pick_backend("auto", "cuda", folder) == "torch"
    assert model_module.pick_backend("torch-bf16", "cpu", folder) == "torch-bf16"


def test_onnx_backend_without_export_is_an_error(tiny_model_dir: Path):
    with pytest.raises(ModelUnavailableError, match="export-onnx"):
        load_classifier(SentimentSettings(model_path=str(tiny_model_dir)), backend="onnx")
    with pytest.raises(ModelUnavailableError, match="backend must be"):
        load_classifier(SentimentSettings(model_path=str(tiny_model_dir)), backend="tpu")


def test_tag_texts_marks_low_confidence_as_uncertain(tiny_model_dir: Path):
    clf = load_classifier(SentimentSettings(model_path=str(tiny_model_dir)))
    always = tag_texts(TEXTS, classifier=clf, uncertain_below=1.01)
    never = tag_texts(TEXTS, classifier=clf, uncertain_below=0.0)
    assert all(r.uncertain for r in always) and not any(r.uncertain for r in never)
    for r in always:
        assert r.label in ("negative", "neutral", "positive")
        assert r.score == max(r.probabilities.values())
        assert r.model == f"local:{tiny_model_dir.name}"
    assert always[0].lang == "fr" and always[2].lang == "en"
    kept = tag_texts(["hello world, nice day"], classifier=clf, langs=["de"])
    assert kept[0].lang == "de"
    assert json.dumps(kept[0].as_json())
