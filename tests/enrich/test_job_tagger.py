"""The job-change tagger: data preparation, decoding and grouping, then the real model."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from benchmarks.jobs_eval import FRESH, FROZEN, SPENT
from enrich import job_tagger as jt
from enrich import job_tagger_train as jtt
from tests.enrich.tagged_spans import spans_of


def _probs(labels: list[str], score: float = 0.9) -> np.ndarray:
    out = np.full((len(labels), len(jt.LABELS)), (1 - score) / (len(jt.LABELS) - 1))
    for i, label in enumerate(labels):
        out[i, jt.LABELS.index(label)] = score
    return out


def test_gold_spans_tag_a_shared_organisation_once() -> None:
    text = "Acme named Ann Lee CEO and Bob Ray CFO."
    changes = [
        {"person": "Ann Lee", "organization": "Acme", "title": "CEO"},
        {"person": "Bob Ray", "organization": "Acme", "title": "CFO"},
    ]
    spans = jtt.gold_spans(text, changes)
    assert [(text[s:e], k) for s, e, k in spans] == [
        ("Acme", "ORG"),
        ("Ann Lee", "PER"),
        ("CEO", "TITLE"),
        ("Bob Ray", "PER"),
        ("CFO", "TITLE"),
    ]


def test_token_labels_are_bio_and_ignore_special_tokens() -> None:
    offsets = [(0, 0), (0, 4), (5, 10), (11, 14), (15, 18), (0, 0)]
    labels = jtt.token_labels(offsets, [(0, 4, "ORG"), (11, 18, "PER")])
    names = [jt.LABELS[x] if x >= 0 else None for x in labels]
    assert names == [None, "B-ORG", "O", "B-PER", "I-PER", None]


def test_augmented_copies_swap_values_and_keep_them_substrings() -> None:
    rows = [
        {
            "lang": "en",
            "text": "Acme named Ann Lee CEO.",
            "job_changes": [{"person": "Ann Lee", "organization": "Acme", "title": "CEO"}],
        },
        {
            "lang": "en",
            "text": "Globex hired Bob Ray as CFO.",
            "job_changes": [{"person": "Bob Ray", "organization": "Globex", "title": "CFO"}],
        },
        {"lang": "en", "text": "Ann Lee was nominated for an award.", "job_changes": []},
        # a first-person change with every field null: nothing to swap, so no copy
        {
            "lang": "en",
            "text": "Today was my first day at a new job.",
            "job_changes": [{"person": None, "organization": None, "title": None}],
        },
    ]
    copies = jtt.augment_rows(rows, 3, random.Random(1))
    assert len(copies) == 6  # negatives and rows with nothing to swap are not copied
    for row in copies:
        for change in row["job_changes"]:
            for value in change.values():
                assert value in row["text"]


def test_decode_widens_to_words_and_joins_a_split_title() -> None:
    text = "Gabriele Fioni est nommé recteur délégué pour l'enseignement supérieur."
    words = [(0, 8), (9, 14), (15, 18), (19, 24), (25, 32), (33, 40), (41, 45), (46, 48)]
    words += [(48, 60), (61, 70), (70, 71)]
    labels = ["B-PER", "I-PER", "O", "O", "B-TITLE", "I-TITLE", "O", "B-TITLE"]
    labels += ["B-TITLE", "I-TITLE", "O"]
    spans = jt.decode(text, words, _probs(labels))
    assert [(s.kind, s.text) for s in spans] == [
        ("PER", "Gabriele Fioni"),
        ("TITLE", "recteur délégué pour l'enseignement supérieur"),
    ]


def test_decode_joins_a_unit_and_its_institution_split_at_at() -> None:
    """ "Lecturer at the Institute at the University of X": the tagger's two organisation
    spans are one organisation, which names the institution (round 12, part 11)."""
    text = "I joined the Global Institute at the University of Leeds as a lecturer."
    spans = jt._merge_broken(
        [
            jt.Span("ORG", 13, 29, "Global Institute", 0.9),
            jt.Span("ORG", 37, 56, "University of Leeds", 0.9),
            jt.Span("TITLE", 62, 70, "lecturer", 0.9),
        ],
        text,
    )
    assert [(s.kind, s.text) for s in spans] == [
        ("ORG", "Global Institute at the University of Leeds"),
        ("TITLE", "lecturer"),
    ]
    # a person and an organisation are never joined, whatever the word between them
    mixed = [jt.Span("PER", 0, 3, "Ann", 0.9), jt.Span("ORG", 7, 11, "Acme", 0.9)]
    assert jt._merge_broken(mixed, "Ann at Acme") == mixed


def test_two_names_joined_by_and_stay_two_people() -> None:
    """ "executives Tim McKinley and Steve Rowley were promoted to company officers" (part 12):
    "and" between two names makes a list, never one name; a title still runs through it."""
    text = "Tim McKinley and Steve Rowley were promoted"
    people = [
        jt.Span("PER", 0, 12, "Tim McKinley", 0.9),
        jt.Span("PER", 17, 29, "Steve Rowley", 0.9),
    ]
    assert jt._merge_broken(people, text) == people
    title = "président et directeur général"
    parts = [
        jt.Span("TITLE", 0, 9, "président", 0.9),
        jt.Span("TITLE", 13, 30, "directeur général", 0.9),
    ]
    assert [s.text for s in jt._merge_broken(parts, title)] == [title]


def test_group_pairs_lists_by_rank_and_never_across_sentences() -> None:
    text = "Acme named Ann Lee CEO and Bob Ray CFO. Zed Inc thanked Carl Moe."
    spans = [
        jt.Span("ORG", 0, 4, "Acme", 0.9),
        jt.Span("PER", 11, 18, "Ann Lee", 0.9),
        jt.Span("TITLE", 19, 22, "CEO", 0.9),
        jt.Span("PER", 27, 34, "Bob Ray", 0.9),
        jt.Span("TITLE", 35, 38, "CFO", 0.9),
        jt.Span("PER", 56, 64, "Carl Moe", 0.9),
    ]
    assert jt.group(text, spans) == [
        {"person": "Ann Lee", "organization": "Acme", "title": "CEO"},
        {"person": "Bob Ray", "organization": "Acme", "title": "CFO"},
    ]


def test_group_does_not_end_a_sentence_at_an_honorific() -> None:
    """Real sentence of benchmarks/data/jobs_test26.jsonl: "M." ends no sentence, so the
    person named after it is the one who takes the university's direction (round 37)."""
    text = (
        "À l’Université d’Abomey-Calavi, M. Charlemagne Igué prend la direction, épaulé par "
        "trois vice-recteurs et une secrétaire générale."
    )
    spans = spans_of(text, ("ORG", "Université d’Abomey-Calavi"), ("PER", "Charlemagne Igué"))
    assert jt.group(text, spans) == [
        {"person": "Charlemagne Igué", "organization": "Université d’Abomey-Calavi", "title": None}
    ]
    # a real sentence end still parts them
    two = "Il rejoint l’Université d’Abomey-Calavi. Charlemagne Igué prend la direction."
    assert (
        jt.group(
            two, spans_of(two, ("ORG", "Université d’Abomey-Calavi"), ("PER", "Charlemagne Igué"))
        )[0]["person"]
        is None
    )


def test_a_list_of_names_shares_its_one_title() -> None:
    """Real sentence of enrich/data/jobs_dev/fresh_sites6.jsonl (r10a-en-105)."""
    text = (
        "Justices Avinash Gharote, Nitin Suryawanshi, and Anil Kilor were sworn in as "
        "permanent judges of the Bombay High Court at a simple but impressive ceremony."
    )
    spans = spans_of(
        text,
        ("PER", "Avinash Gharote"),
        ("PER", "Nitin Suryawanshi"),
        ("PER", "Anil Kilor"),
        ("TITLE", "permanent judges"),
        ("ORG", "Bombay High Court"),
    )
    assert [c["person"] for c in jt.group(text, spans)] == [
        "Avinash Gharote",
        "Nitin Suryawanshi",
        "Anil Kilor",
    ]
    assert {c["title"] for c in jt.group(text, spans)} == {"permanent judges"}


def test_names_not_in_one_list_do_not_share_a_title() -> None:
    text = "Kiren Rijiju will take over from Ravi Prasad as the new Law minister."
    spans = spans_of(
        text, ("PER", "Kiren Rijiju"), ("PER", "Ravi Prasad"), ("TITLE", "Law minister")
    )
    assert len(jt.group(text, spans)) == 1


def test_a_person_alone_is_no_job_change() -> None:
    assert jt.group("Ann Lee spoke.", [jt.Span("PER", 0, 7, "Ann Lee", 0.9)]) == []


def test_read_rows_never_reads_held_out_splits(tmp_path) -> None:
    f = tmp_path / "rows.jsonl"
    f.write_text(
        '{"split": "dev", "text": "a", "job_changes": []}\n'
        '{"split": "heldout2", "text": "b", "job_changes": []}\n'
        '{"text": "c", "job_changes": []}\n',
        encoding="utf-8",
    )
    assert [r["text"] for r in jtt.read_rows([f])] == ["a", "c"]


def test_shipped_training_sentences_are_well_formed_and_never_held_out() -> None:
    """Each gold value is a substring of its sentence, each sentence has its source,
    and no sentence or source page of the frozen test split is trained on."""
    import json

    from enrich.job_tagger_train import TRAIN_DIR

    data = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
    held = [
        json.loads(line)
        for path, _, _ in FRESH.values()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    dev = [
        json.loads(line)
        for line in (data / "jobs_eval.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert held and all(r["split"].startswith("dev") for r in dev)
    held_texts = {r["text"] for r in held}
    held_sources = {_page(r["source"]) for r in held}
    for row in dev:
        assert row["text"] not in held_texts and _page(row["source"]) not in held_sources
    # the development halves not yet worked through (enrich/data/jobs_dev/) obey the same rules
    files = sorted(TRAIN_DIR.glob("*.jsonl")) + sorted(
        (TRAIN_DIR.parent / "jobs_dev").glob("*.jsonl")
    )
    assert len(files) >= 8
    ids: set[str] = set()
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            row = json.loads(line)
            where = f"{path.name}:{n}"
            assert row["id"] not in ids, where
            ids.add(row["id"])
            assert row["lang"] in ("fr", "en") and row["source"].startswith("http"), where
            assert row["text"] not in held_texts, where
            assert _page(row["source"]) not in held_sources, where
            for change in row["job_changes"]:
                assert set(change) <= {"person", "organization", "title"}, where
                for value in change.values():
                    assert value is None or value in row["text"], (where, value)
    assert len(ids) >= 1400


def _page(url: str) -> str:
    """A source page, whatever its scheme, ``www.``, fragment or trailing slash."""
    url = url.split("#")[0].rstrip("/")
    return url.split("://", 1)[-1].removeprefix("www.")


def test_spent_parts_are_trained_on_and_fresh_parts_never() -> None:
    """Parts scored once with a released model become training data; the parts frozen after
    them are never read for training, and share no sentence or page with what is."""
    import json

    files = jtt.default_training_files()
    names = {p.name for p in files}
    assert SPENT and FRESH
    assert {FROZEN[name][0].name for name in SPENT} <= names
    assert not names & {path.name for path, _, _ in FRESH.values()}
    fresh = [
        json.loads(line)
        for path, _, _ in FRESH.values()
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    trained = jtt.read_rows(files)
    assert not {r["text"] for r in trained} & {r["text"] for r in fresh}
    assert not {_page(r["source"]) for r in trained} & {_page(r["source"]) for r in fresh}


def test_training_relabels_follow_the_conventions_and_leave_frozen_files_alone() -> None:
    """Each relabel names one real line of a training file or a frozen part, changes its gold,
    keeps every value verbatim in the text, says why, and reaches training through read_rows,
    while the file itself (and the benchmark's reading of it) keeps the old gold."""
    import json

    fixes = jtt.training_relabels()
    assert len(fixes) >= 20
    homes = {p.name: p for p in jtt.default_training_files()}
    homes |= {path.name: path for path, _, _ in FROZEN.values()}
    whys = {
        json.loads(line)["why"]
        for line in jtt.RELABEL_FILE.read_text(encoding="utf-8").splitlines()
    }
    assert all(len(why) > 20 for why in whys)
    by_file: dict[str, set[str]] = {}
    for name, ident in fixes:
        by_file.setdefault(name, set()).add(ident)
    for name, ids in by_file.items():
        rows = {r["id"]: r for r in map(json.loads, homes[name].read_text("utf-8").splitlines())}
        assert ids <= rows.keys(), name
        trained = {r["id"]: r for r in jtt.read_rows([homes[name]]) if r.get("id") in ids}
        plain = {r["id"]: r for r in jtt.read_rows([homes[name]], relabel=False)}
        for ident in ids:
            fixed, own = fixes[(name, ident)], rows[ident]
            assert fixed != own["job_changes"] and plain[ident] == own
            assert trained[ident]["job_changes"] == fixed
            for change in fixed:
                for key in ("person", "organization", "title"):
                    assert change[key] is None or change[key] in own["text"], (ident, key)
                title = (change["title"] or "").casefold()
                assert not title.startswith(("présidence", "direction", "préfet de"))


def test_frozen_test_split_is_unchanged() -> None:
    """The frozen splits are scored once per release: their bytes never move (the digest and
    size recorded in ``benchmarks/jobs_eval.py`` and ``benchmarks/README.md``)."""
    import hashlib

    readme = (Path(__file__).resolve().parents[2] / "benchmarks" / "README.md").read_text(
        encoding="utf-8"
    )
    assert len(FROZEN) >= 5
    for path, sha256, lines in FROZEN.values():
        blob = path.read_bytes()
        assert hashlib.sha256(blob).hexdigest() == sha256, path.name
        assert len(blob.decode("utf-8").splitlines()) == lines, path.name
        assert sha256 in readme, path.name


def test_the_title_tagger_gives_titles_and_the_span_tagger_the_rest() -> None:
    """Rounds 35-36: persons and organisations stay the span tagger's, titles are the title
    tagger's, and the yes/no stays the span tagger's."""
    span = jt.Span
    tagged = jt.Tagged(
        [
            span("PER", 0, 3, "Ann", 1.0),
            span("TITLE", 8, 13, "chair", 0.9),
            span("ORG", 17, 20, "ACM", 0.8),
        ],
        0.9,
    )
    titled = jt.Tagged(
        [span("TITLE", 8, 19, "chair of AC", 0.95), span("ORG", 0, 3, "Ann", 0.9)], None
    )
    both = jt.with_titles_of(tagged, titled)
    assert [(s.kind, s.text) for s in both.spans] == [
        ("PER", "Ann"),
        ("TITLE", "chair of AC"),
        ("ORG", "ACM"),
    ]
    assert both.change == 0.9


def test_no_title_tagger_installed_means_the_span_taggers_titles(tmp_path) -> None:
    assert jt.load_title_tagger(tmp_path) is None


def test_shipped_title_tagger_is_the_round_35_training_on_spent_parts_only() -> None:
    """The title tagger's config names its training: seed 14, 4 epochs in bfloat16, no
    yes/no, and exactly the default training files (parts 1-20, never a fresh part)."""
    import json

    meta = json.loads((jt.TITLES_DIR / jt.ADAPTER_CONFIG).read_text(encoding="utf-8"))
    cfg = meta["train_config"]
    assert (cfg["seed"], cfg["epochs"], cfg["precision"]) == (14, 4, "bf16")
    assert tuple(meta["labels"]) == jt.LABELS
    assert cfg["files"] == [p.name for p in jtt.default_training_files()]
    assert not set(cfg["files"]) & {path.name for path, _, _ in FRESH.values()}


def test_shipped_decider_is_the_round_90_training_on_spent_parts_only() -> None:
    """The deciding tagger's config names its training (round 90 of benchmarks/README.md):
    seed 13, 2 epochs in bfloat16, with the yes/no, on the default training files and the
    spent parts 21-26 and 29-130; parts 131 onwards, its judge and its test, never."""
    import json

    meta = json.loads((jt.DECISION_DIR / jt.ADAPTER_CONFIG).read_text(encoding="utf-8"))
    cfg = meta["train_config"]
    assert (cfg["seed"], cfg["epochs"], cfg["precision"], cfg["augment"]) == (13, 2, "bf16", 0)
    assert cfg["decision"] and tuple(meta["labels"]) == jt.DECIDING_LABELS
    spent = [f"jobs_test{n}.jsonl" for n in range(21, 131) if n not in (27, 28)]
    assert cfg["files"] == [p.name for p in jtt.default_training_files()] + spent
    later = {
        path.name for n, (path, _, _) in FROZEN.items() if n[4:].isdigit() and int(n[4:]) > 130
    }
    assert later and not set(cfg["files"]) & later


def test_missing_adapter_names_the_command_that_fixes_it(tmp_path) -> None:
    from veille.errors import ModelUnavailableError

    with pytest.raises(ModelUnavailableError, match="veille job-tagger train"):
        jt.load_tagger(tmp_path)


@pytest.mark.slow
def test_committed_tagger_reads_phrasings_and_rejects_trigger_word_negatives() -> None:
    from enrich.jobs import extract_job_changes

    texts = [
        "Northwind Traders has tapped Priya Raman to lead its European sales team as "
        "senior vice president.",
        "La chanteuse a été nommée aux Victoires de la musique pour son dernier album.",
    ]
    positive, negative = extract_job_changes(texts)
    assert [c.contract() for c in positive] == [
        {
            "person": "Priya Raman",
            "organization": "Northwind Traders",
            "title": "senior vice president",
            "start_date": None,
        }
    ]
    assert negative == []


def _tiny_tagger(tmp_path: Path, *, decision: bool) -> tuple[jt.JobTagger, list[str]]:
    """A tagger trained for two steps on a tiny random BERT, loaded as ``tag jobs`` loads one."""
    from tests.sentiment.conftest import TINY_JOB_ROWS, save_tiny_base

    base = save_tiny_base(tmp_path / "base")
    rows = TINY_JOB_ROWS
    cfg = jtt.TaggerConfig(
        epochs=1, batch_size=2, rank=2, alpha=4.0, threads=1, augment=1, decision=decision
    )
    meta = jtt.train_tagger(rows, tmp_path / "tagger", cfg, base_dir=base)
    assert meta["labels"] == list(jt.DECIDING_LABELS if decision else jt.LABELS)
    tagger = jt.load_tagger.__wrapped__(
        tmp_path / "tagger", base_dir=base, onnx_root=tmp_path / "cache", decision_dir=None
    )
    return tagger, [r["text"] for r in rows]


def test_bfloat16_training_writes_a_float32_loadable_adapter_and_refuses_unknown_precision(
    tmp_path,
) -> None:
    """``--bf16`` changes only the forward passes' arithmetic: the adapter it writes has the
    same tensors as a float32 training's, close to them after two steps, and loads and tags
    as any other; a precision the code does not know is refused before any step."""
    from safetensors.numpy import load_file

    from tests.sentiment.conftest import TINY_JOB_ROWS, save_tiny_base

    base = save_tiny_base(tmp_path / "base")
    written = {}
    for precision in ("fp32", "bf16"):
        cfg = jtt.TaggerConfig(
            epochs=1, batch_size=2, rank=2, alpha=4.0, threads=1, augment=1,
            decision=False, precision=precision,
        )  # fmt: skip
        meta = jtt.train_tagger(TINY_JOB_ROWS, tmp_path / precision, cfg, base_dir=base)
        assert meta["train_config"]["precision"] == precision
        written[precision] = load_file(str(tmp_path / precision / jtt.ADAPTER_WEIGHTS))
    assert written["fp32"].keys() == written["bf16"].keys()
    for name, value in written["fp32"].items():
        assert np.allclose(value, written["bf16"][name], atol=0.05), name
    tagger = jt.load_tagger.__wrapped__(
        tmp_path / "bf16", base_dir=base, onnx_root=tmp_path / "cache", decision_dir=None
    )
    assert len(tagger.tag([r["text"] for r in TINY_JOB_ROWS])) == len(TINY_JOB_ROWS)
    bad = jtt.TaggerConfig(epochs=1, batch_size=2, rank=2, threads=1, precision="fp8")
    with pytest.raises(ValueError, match="precision"):
        jtt.train_tagger(TINY_JOB_ROWS, tmp_path / "bad", bad, base_dir=base)
    assert not (tmp_path / "bad").exists()


def test_a_tagger_trained_to_decide_gives_each_text_its_yes_or_no(tmp_path) -> None:
    """The decision is one more output of the same forward pass (its first token), read
    alike by ONNX Runtime and torch; a tagger trained without it says nothing, and one
    may borrow another's."""
    from veille.errors import ModelUnavailableError

    tagger, texts = _tiny_tagger(tmp_path, decision=True)
    assert tagger.decides and tagger.session is not None
    read = tagger.tag(texts)
    assert all(t.change is not None and 0.0 <= t.change <= 1.0 for t in read)
    by_torch = jt.JobTagger(tagger.model, tagger.tokenizer, tagger.max_length, decides=True)
    assert [t.change for t in by_torch.tag(texts)] == pytest.approx([t.change for t in read])
    plain, _ = _tiny_tagger(tmp_path / "plain", decision=False)
    assert not plain.decides and [t.change for t in plain.tag(texts)] == [None, None]
    # Spans from one tagger, the yes/no from another (what ships: job_tagger_decision/).
    paired = jt.load_tagger.__wrapped__(
        tmp_path / "plain" / "tagger",
        base_dir=tmp_path / "plain" / "base",
        onnx_root=tmp_path / "cache",
        decision_dir=tmp_path / "tagger",
    )
    assert paired.decides
    both = paired.tag(texts)
    assert [t.change for t in both] == pytest.approx([t.change for t in read])
    assert [t.spans for t in both] == [t.spans for t in plain.tag(texts)]
    # The yes/no alone (no span pass), and the spans alone (no decider pass).
    assert paired.decides_apart and not tagger.decides_apart
    assert paired.decisions(texts) == pytest.approx([t.change for t in read])
    spans_only = paired.tag(texts, decide=False)
    assert [t.change for t in spans_only] == [None, None]
    assert [t.spans for t in spans_only] == [t.spans for t in both]
    assert tagger.decisions(texts) == pytest.approx([t.change for t in read])
    with pytest.raises(ValueError, match="not trained to decide"):
        plain.decisions(texts)
    with pytest.raises(ModelUnavailableError, match="trained to decide"):
        jt.load_tagger.__wrapped__(
            tmp_path / "tagger",
            base_dir=tmp_path / "base",
            onnx_root=tmp_path / "cache",
            decision_dir=tmp_path / "plain" / "tagger",
        )


def test_onnx_runtime_tags_exactly_as_torch(tmp_path) -> None:
    """The ONNX Runtime path (each piece unpadded) gives the torch path's spans, here on the
    first labelled sentences of every training file and on one text longer than the window."""
    import warnings

    from enrich.job_tagger_onnx import onnx_session

    tagger = jt.load_tagger()
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        session = onnx_session(tagger.model, jt.HEAD_DIR / jt.ADAPTER_WEIGHTS, root=tmp_path)
    assert session is not None
    # the first export printed torch's English tracer warnings to the user of veille tag jobs
    # (deprecation notices are hidden by Python's default filters)
    shown = [w for w in said if not issubclass(w.category, DeprecationWarning)]
    assert not shown, [(w.category, w.filename, str(w.message)[:80]) for w in shown]
    assert (tmp_path / next(p.name for p in tmp_path.iterdir()) / "tagger.onnx").is_file()
    rows = jtt.read_rows(sorted(jtt.TRAIN_DIR.glob("*.jsonl")))
    texts = [r["text"] for r in rows[::60]]
    texts.append(" ".join(texts[:8]))  # longer than 160 tokens: cut into windows
    by_torch = jt.JobTagger(tagger.model, tagger.tokenizer, tagger.max_length).spans(texts)
    by_onnx = jt.JobTagger(tagger.model, tagger.tokenizer, tagger.max_length, session).spans(texts)
    key = [[(s.kind, s.start, s.end) for s in spans] for spans in by_torch]
    assert key == [[(s.kind, s.start, s.end) for s in spans] for spans in by_onnx]
    assert sum(map(len, key)) > 20
