"""The bfloat16 routing path: its vectors, when routing takes it, and the verdict it needs.

The encoder runs for real on the tiny random BERT of the sentiment tests; the shipped head's
verdict is checked against the figures it records.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from enrich.routing_bf16 import PathReading, pooled, verdict, write_verdict
from tests.sentiment.conftest import save_tiny_base


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_base(tmp_path_factory.mktemp("tiny-base"))


def test_bf16_encoder_gives_the_float32_vectors_within_rounding(tiny_base: Path) -> None:
    import torch
    from transformers import AutoTokenizer, BertModel

    from sentiment.encoder import PREFIX, TorchBf16Encoder

    texts = ["le wifi ne marche pas", "new grant for the lab", "a", "inscription en master 2"]
    tok = AutoTokenizer.from_pretrained(str(tiny_base))
    encoder = TorchBf16Encoder(
        BertModel.from_pretrained(str(tiny_base), add_pooling_layer=False), tok, batch_size=2
    )
    got = encoder.embed(texts, max_length=16)
    assert got.shape == (4, encoder.dim) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)

    ref_model = BertModel.from_pretrained(str(tiny_base), add_pooling_layer=False).eval()
    batch = tok(
        [PREFIX + t for t in texts],
        padding=True,
        truncation=True,
        max_length=16,
        return_tensors="pt",
    )
    with torch.no_grad():
        h = ref_model(**batch).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).float()
        ref = ((h * m).sum(1) / m.sum(1)).numpy()
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    cosine = (got * ref).sum(1)
    assert cosine.min() > 0.99  # each row is its own text's vector, in the caller's order
    assert encoder.backend == "torch-bf16"


def test_routing_reads_bf16_only_on_amx_with_a_validated_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import enrich.routing as routing
    import sentiment.device
    from enrich.routing_model import Head
    from sentiment.encoder import ENCODER_NAME

    class Named:
        def __init__(self, name: str, backend: str) -> None:
            self.name, self.backend = name, backend

    tuned = f"{ENCODER_NAME}+abc"
    monkeypatch.setattr(routing, "routing_encoder", lambda: Named(tuned, "onnx-int8"))
    monkeypatch.setattr(routing, "routing_encoder_bf16", lambda: Named(tuned, "torch-bf16"))

    def head(validated: bool | None) -> Head:
        meta: dict[str, object] = {"encoder": tuned}
        if validated is not None:
            meta[routing.BF16_VALIDATED] = validated
        return Head(["it"], np.zeros((1, 2), np.float32), np.zeros(1, np.float32), meta)

    for amx, validated, backend in [
        (True, True, "torch-bf16"),
        (True, False, "onnx-int8"),
        (True, None, "onnx-int8"),  # a retrained head carries no verdict
        (False, True, "onnx-int8"),  # bfloat16 is emulated, and slow, without AMX
    ]:
        monkeypatch.setattr(sentiment.device, "cpu_has_amx", lambda amx=amx: amx)
        assert routing.encoder_for(head(validated)).backend == backend, (amx, validated)


def _reading(name: str, int8: float, bf16: float, fr: tuple[float, float]) -> PathReading:
    return PathReading(
        name, 100, int8, bf16, 0.99, {"en": (50, int8, bf16), "fr": (50, fr[0], fr[1])}
    )


def test_verdict_asks_for_no_loss_beyond_half_a_point_overall_and_per_language(
    tmp_path: Path,
) -> None:
    same = pooled([_reading("a", 0.90, 0.90, (0.90, 0.90)), _reading("b", 0.80, 0.81, (0.8, 0.8))])
    assert same.lines == 200 and abs(same.bf16 - 0.855) < 1e-9
    assert verdict(same)
    # overall no worse, but French loses a point: refused
    french_drop = pooled([_reading("a", 0.90, 0.90, (0.90, 0.88))])
    assert not verdict(french_drop)
    assert not verdict(pooled([_reading("a", 0.90, 0.89, (0.90, 0.90))]))

    folder = tmp_path / "head"
    folder.mkdir()
    (folder / "head.json").write_text(json.dumps({"format": "x", "C": 4.0}), encoding="utf-8")
    assert not write_verdict(folder, french_drop, ["part.jsonl"])
    meta = json.loads((folder / "head.json").read_text(encoding="utf-8"))
    assert meta["C"] == 4.0 and meta["torch_bf16_validated"] is False
    assert meta["torch_bf16_validation"]["by_lang"]["fr"]["bf16"] == 0.88


def test_the_shipped_heads_verdict_matches_its_figures() -> None:
    """The shipped head may say "validated" only with figures that pass the rule."""
    from enrich.routing_model import HEAD_DIR, load_head

    meta = load_head(HEAD_DIR).meta
    if "torch_bf16_validation" not in meta:
        assert not meta.get("torch_bf16_validated")
        return
    v = meta["torch_bf16_validation"]
    total = PathReading(
        "all",
        v["lines"],
        v["accuracy_int8"],
        v["accuracy_bf16"],
        v["agreement"],
        {k: (d["lines"], d["int8"], d["bf16"]) for k, d in v["by_lang"].items()},
    )
    assert meta["torch_bf16_validated"] == verdict(total)
    assert v["lines"] >= 1000 and set(v["by_lang"]) == {"en", "fr"}


def test_validate_bf16_cli_writes_its_verdict_into_the_head_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``veille route validate-bf16 --head DIR --write`` on a copy of the shipped head: both
    paths read the real texts, and the verdict lands in that copy's ``head.json`` only."""
    import shutil

    from typer.testing import CliRunner

    from enrich.routing_model import HEAD_DIR
    from veille.cli import app
    from veille.cli._common import state

    head = tmp_path / "head"
    shutil.copytree(HEAD_DIR, head)
    meta = json.loads((head / "head.json").read_text(encoding="utf-8"))
    meta.pop("torch_bf16_validated", None)
    (head / "head.json").write_text(json.dumps(meta), encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "".join(
            json.dumps({"text": t, "team": team, "lang": lang}) + "\n"
            for t, team, lang in [
                ("Je n'arrive plus à me connecter à mon ENT, mot de passe refusé", "it", "fr"),
                (
                    "Quand ont lieu les inscriptions administratives en master ?",
                    "student_services",
                    "fr",
                ),
                ("Alumni reunion next week for the class of 2015", "alumni", "en"),
                ("How do I apply for an Erasmus exchange semester abroad?", "international", "en"),
            ]
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(state, "_settings", None)
    args = ["--config", str(tmp_path / "absent.toml"), "route", "validate-bf16"]
    result = CliRunner().invoke(app, [*args, "--head", str(head), "--data", str(gold), "--write"])
    assert result.exit_code == 0, result.output
    said = result.output.replace("\u00a0", " ")
    assert "gold.jsonl : 4 lignes, exactitude int8" in said and "Chemin bfloat16" in said
    assert "tous les fichiers : 4 lignes" in said and "français 2 :" in said
    written = json.loads((head / "head.json").read_text(encoding="utf-8"))
    assert isinstance(written["torch_bf16_validated"], bool)
    assert written["torch_bf16_validation"]["files"] == ["gold.jsonl"]
    assert set(written["torch_bf16_validation"]["by_lang"]) == {"en", "fr"}

    missing = CliRunner().invoke(app, [*args, "--data", str(tmp_path / "absent.jsonl")])
    assert missing.exit_code != 0 and "absent.jsonl n'est pas un fichier" in missing.output
