"""The routing encoder's fine-tuning, its adapter files, and how routing picks its encoder.

The training code runs for real on a tiny random BERT (the sentiment tests' fixture, with
the real XLM-R tokenizer); the shipped adapter is checked by the shipped-head tests of
``test_routing.py``, which route through it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from enrich.routing_data import Example
from enrich.routing_finetune import (
    ADAPTER_CONFIG,
    ADAPTER_DIR,
    ADAPTER_WEIGHTS,
    FinetuneConfig,
    finetune,
    line_weights,
    read_adapter_config,
    save_adapter,
)
from enrich.routing_train import train
from tests.sentiment.conftest import save_tiny_base
from veille.errors import ModelUnavailableError

LINES = [
    ("mot de passe oublié pour l'ENT", "it"),
    ("le wifi ne marche pas en salle B", "it"),
    ("my email account is locked", "it"),
    ("inscription en master: quelles pièces ?", "student_services"),
    ("quand sont les examens de janvier", "student_services"),
    ("how do I pay my tuition fees", "student_services"),
    ("soutenance de thèse de M. Diallo", "research"),
    ("new grant for the physics lab", "research"),
]


def _examples(source: str = "test.jsonl") -> list[Example]:
    return [Example(t, team, "fr", source, f"{source}#{team}") for t, team in LINES]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_base(tmp_path_factory.mktemp("tiny-base"))


def test_line_weights_balance_the_teams() -> None:
    """Each team's lines weigh the same in all, whatever its count (3, 3, 2 lines here)."""
    examples = _examples()
    w = line_weights(examples)
    per_team: dict[str, float] = {}
    for e, wi in zip(examples, w, strict=True):
        per_team[e.team] = per_team.get(e.team, 0.0) + float(wi)
    assert len(set(round(v, 6) for v in per_team.values())) == 1
    assert w[-1] > w[0]  # a research line (two of them) weighs more than an it line (three)


def test_finetune_trains_only_lora_and_writes_a_loadable_adapter(
    tiny_base: Path, tmp_path: Path
) -> None:
    cfg = FinetuneConfig(rank=2, alpha=4.0, max_steps=3, batch_size=4, lr=1e-2)
    state, report = finetune(_examples(), tiny_base, cfg)
    assert report["steps"] == 3 and report["lines"] == len(LINES)
    assert state and all(k.startswith("encoder.layer.") and "lora_" in k for k in state)
    # the B matrices start at zero: training moved them
    assert any(float(v.abs().sum()) > 0 for k, v in state.items() if "lora_B" in k)

    out = save_adapter(tmp_path / "adapter", state, cfg, _examples(), report)
    config = read_adapter_config(out)
    assert (config["rank"], config["alpha"], config["max_length"]) == (2, 4.0, 64)
    assert config["sources"] == ["test.jsonl"] and len(config["data_sha256"]) == 64

    # the head settings chosen on the development parts survive a new fine-tuning
    config["head"] = {"C": 4.0, "threshold": 0.6}
    (out / ADAPTER_CONFIG).write_text(json.dumps(config), encoding="utf-8")
    save_adapter(out, state, cfg, _examples(), report)
    assert read_adapter_config(out)["head"] == {"C": 4.0, "threshold": 0.6}


def test_merged_encoder_gives_the_tuned_vectors(tiny_base: Path, tmp_path: Path) -> None:
    """Folding the adapter into the weights changes the base's vectors, and gives the
    vectors of the model it was trained in (what the int8 export then reads)."""
    import torch
    from transformers import AutoTokenizer, BertModel

    from enrich.routing_finetune import build_model
    from sentiment.encoder import merge_encoder_adapter

    cfg = FinetuneConfig(rank=2, alpha=4.0, max_steps=4, batch_size=4, lr=5e-2, lora_dropout=0.0)
    state, report = finetune(_examples(), tiny_base, cfg)
    adapter = save_adapter(tmp_path / "adapter", state, cfg, _examples(), report)
    merged = merge_encoder_adapter(tiny_base, adapter, tmp_path / "merged")

    tok = AutoTokenizer.from_pretrained(str(tiny_base))
    batch = tok(["le wifi ne marche pas", "new grant"], padding=True, return_tensors="pt")

    def pooled(bert: torch.nn.Module) -> torch.Tensor:
        h = bert(**batch).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).float()
        return (h * m).sum(1) / m.sum(1)

    with torch.no_grad():
        base = pooled(BertModel.from_pretrained(str(tiny_base), add_pooling_layer=False).eval())
        tuned = pooled(BertModel.from_pretrained(str(merged), add_pooling_layer=False).eval())
        model = build_model(tiny_base, cfg)
        own = dict(model.bert.named_parameters())
        for name, value in state.items():
            own[name].copy_(value.to(own[name].dtype))
        trained = pooled(model.bert.eval())
    assert not torch.allclose(base, tuned, atol=1e-4)
    # float16 storage of the adapter: close, not equal
    assert torch.allclose(tuned, trained, atol=1e-2)


def test_finetune_refuses_teams_outside_the_seven(tiny_base: Path) -> None:
    bad = [*_examples(), Example("prêt de livres", "library", "fr", "x", "x#library")]
    with pytest.raises(ValueError, match="library"):
        finetune(bad, tiny_base, FinetuneConfig(max_steps=1))


def test_a_broken_adapter_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ADAPTER_CONFIG).write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="not a veille-routing-adapter-1"):
        read_adapter_config(tmp_path)
    with pytest.raises(ModelUnavailableError, match="cannot be read"):
        read_adapter_config(tmp_path / "absent")


def test_the_shipped_adapter_is_small_and_names_its_data() -> None:
    config = read_adapter_config(ADAPTER_DIR)
    assert (ADAPTER_DIR / ADAPTER_WEIGHTS).stat().st_size < 10_000_000
    assert config["max_length"] == 64 and config["report"]["lines"] > 4000
    # the head settings were chosen on the development parts, never on part 14
    head = config["head"]
    assert {"C", "text_weight", "proto_weight", "threshold"} <= set(head)
    assert "heldout_univ_mix.jsonl" not in json.dumps(head)


def test_fixed_settings_replace_the_grids_and_the_calibration() -> None:
    """An encoder tuned on the training lines makes their cross-validation optimistic, so
    its head takes the settings chosen on the development parts."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    y = [("it", "hr", "research")[i % 3] for i in range(60)]
    x[np.arange(60), np.arange(60) % 3] += 3.0
    groups = [f"g{i % 12}" for i in range(60)]
    fixed = {"C": 16.0, "text_weight": 0.0, "proto_weight": 0.0, "threshold": 0.42}
    head, report = train(x, y, groups, fixed=fixed)
    assert report["C"] == 16.0 and head.threshold == 0.42
    _, free = train(x, y, groups)
    assert free["threshold"] != 0.42


def test_routing_picks_the_encoder_its_head_was_trained_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import enrich.routing as routing
    from enrich.routing_model import Head
    from sentiment.encoder import ENCODER_NAME

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

    monkeypatch.setattr(routing, "shared_encoder", lambda: Named(ENCODER_NAME))
    monkeypatch.setattr(routing, "routing_encoder", lambda: Named(f"{ENCODER_NAME}+abc"))

    def head(name: str | None) -> Head:
        meta = {"encoder": name} if name else {}
        return Head(["it"], np.zeros((1, 2), np.float32), np.zeros(1, np.float32), meta)

    assert routing.encoder_for(head(ENCODER_NAME)).name == ENCODER_NAME
    assert routing.encoder_for(head(None)).name == ENCODER_NAME  # heads before round 14
    assert routing.encoder_for(head(f"{ENCODER_NAME}+abc")).name.endswith("+abc")
    with pytest.raises(ModelUnavailableError, match="veille route train"):
        routing.encoder_for(head(f"{ENCODER_NAME}+old"))


def _saved_head(folder: Path, encoder: str, keys: list[str], teams: list[str], dim: int) -> Path:
    """A head folder as ``fit_and_save`` leaves it, reduced to what ``collect`` reads: the
    encoder's name and the training vectors (ones), one source per team."""
    from enrich.routing_pipeline import TRAIN_EMBEDDINGS

    folder.mkdir()
    (folder / "head.json").write_text(json.dumps({"encoder": encoder}), encoding="utf-8")
    np.savez(
        folder / TRAIN_EMBEDDINGS,
        x=np.ones((len(keys), dim), np.float16),
        team=np.array(teams),
        lang=np.array(["fr"] * len(keys)),
        source=np.array([f"{t}.jsonl" for t in teams]),
        key=np.array(keys),
        group=np.array([f"{t}.jsonl#{t}" for t in teams]),
    )
    return folder


def test_collect_embeds_again_the_shipped_lines_of_another_encoder(tmp_path: Path) -> None:
    """Shipped vectors of another encoder are never mixed with new ones: the lines whose
    text the repository holds are embedded again, the others dropped."""
    from enrich.routing_pipeline import VENDORED_TRAIN_DIR, collect
    from enrich.routing_train import EmbeddingCache
    from tests.enrich.test_routing import HashEncoder

    first = sorted(VENDORED_TRAIN_DIR.glob("*.jsonl"))[0]
    texts = [
        json.loads(line)["text"] for line in first.read_text(encoding="utf-8").splitlines()[:2]
    ]
    keys = [EmbeddingCache.key(t) for t in texts] + ["0" * 40]  # the third: a vector only
    folder = _saved_head(tmp_path / "head", "another-encoder", keys, ["it", "hr", "research"], 384)
    ds = collect(HashEncoder(), head_dir=folder, spent=False)
    assert ds.texts == texts and ds.teams == ["it", "hr"]
    assert ds.x.shape == (2, 16) and np.allclose(ds.x, HashEncoder().embed(texts))


def test_the_embedding_cache_ignores_vectors_of_another_encoder(tmp_path: Path) -> None:
    from enrich.routing_train import EmbeddingCache
    from tests.enrich.test_routing import HashEncoder

    path = tmp_path / "cache.npz"
    EmbeddingCache(HashEncoder(), path).embed(["bonjour"])
    assert EmbeddingCache(HashEncoder(), path).store  # same encoder, same length: reused
    assert not EmbeddingCache(HashEncoder(), path, max_length=64).store


def test_a_head_retrained_before_the_encoder_changed_starts_again_from_the_shipped_vectors(
    tmp_path: Path,
) -> None:
    """After an upgrade, a head retrained here (old encoder) must not cost the shipped lines
    that exist only as vectors: the shipped vectors, already the new encoder's, are taken,
    and the local head's own lines are embedded again when their text is known."""
    from enrich.routing_model import HEAD_DIR
    from enrich.routing_pipeline import collect, head_encoder, load_shipped

    shipped = load_shipped(HEAD_DIR)

    class SameAsShipped:
        name = head_encoder(HEAD_DIR)

        def embed(self, texts: list[str], max_length: int = 128) -> np.ndarray:
            raise AssertionError("no line of the local head has a text to embed again")

    keys = [shipped.keys[0], "f" * 40]
    folder = _saved_head(tmp_path / "local", "an-older-encoder", keys, ["it", "hr"], 16)
    ds = collect(SameAsShipped(), head_dir=folder, spent=False)
    assert ds.keys == shipped.keys and np.array_equal(ds.x, shipped.x)
