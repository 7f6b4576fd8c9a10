"""UMSAB-format sentiment data: ``DIR/<language>/{split}_{text,labels}.txt``.

One text a line in ``*_text.txt`` and one integer label a line in the
matching ``*_labels.txt`` (0 negative, 1 neutral, 2 positive), as in the
cardiffnlp/xlm-t repository. A ``DIR`` holding the files directly (no
language sub-folders) is read as a single language named after ``DIR``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from veille.errors import DataNotFoundError, ImportFileError
from veille.i18n import _N, _

#: Where to get the corpora that ``veille sentiment train|eval`` read: they are not shipped
#: (a catalogue message: read it with ``_()`` where it is shown).
DATA_HINT = _N(
    "get the UMSAB, SemEval-2017 4A or DEFT 2017 folders described in docs/training-data.md "
    "(the project's shared/data/sentiment/, sources in its SOURCES.md)"
)

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")

#: UMSAB folder names -> ISO 639-1 codes (what langdetect returns).
LANGUAGE_CODES = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}


@dataclass(frozen=True)
class Example:
    """One labelled text; ``label`` indexes :data:`LABELS`."""

    text: str
    label: int
    language: str


def read_split(folder: Path, split: str, language: str | None = None) -> list[Example]:
    """Read ``{split}_text.txt`` + ``{split}_labels.txt`` from one folder."""
    text_path = folder / f"{split}_text.txt"
    label_path = folder / f"{split}_labels.txt"
    if not text_path.exists() or not label_path.exists():
        raise ImportFileError(
            _("%(folder)s has no %(split)s_text.txt / %(split)s_labels.txt pair")
            % {"folder": folder, "split": split}
        )
    texts = text_path.read_text(encoding="utf-8").splitlines()
    labels = label_path.read_text(encoding="utf-8").splitlines()
    if len(texts) != len(labels):
        raise ImportFileError(
            _("%(texts)s has %(n)s lines but %(labels)s has %(m)s")
            % {"texts": text_path, "n": len(texts), "labels": label_path, "m": len(labels)}
        )
    lang = language or folder.name
    out: list[Example] = []
    for i, (text, raw) in enumerate(zip(texts, labels, strict=True), start=1):
        try:
            label = int(raw.strip())
        except ValueError as exc:
            raise ImportFileError(
                _("%(path)s: not an integer label %(label)s")
                % {"path": label_path, "label": repr(raw)},
                line=i,
            ) from exc
        if label not in (0, 1, 2):
            raise ImportFileError(
                _("%(path)s: label %(label)s is not 0, 1 or 2")
                % {"path": label_path, "label": label},
                line=i,
            )
        out.append(Example(text=text, label=label, language=lang))
    return out


def language_folders(root: Path) -> list[Path]:
    """Language sub-folders of ``root`` (or ``root`` itself when it holds the files)."""
    if not root.is_dir():
        raise ImportFileError(_("%(path)s is not a folder") % {"path": root})
    subs = sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*_text.txt")))
    if subs:
        return subs
    if any(root.glob("*_text.txt")):
        return [root]
    raise ImportFileError(_("%(path)s holds no UMSAB-style *_text.txt files") % {"path": root})


def require_split(root: Path | None, split: str, languages: list[str] | None = None) -> Path:
    """``root``, or one line that says where to get the data when ``split`` is not there.

    Called by the commands before any model is built or loaded, so that a missing corpus
    costs nothing and never ends in a traceback.
    """
    if root is None:
        raise DataNotFoundError(_("--data DIR is required: %(hint)s") % {"hint": _(DATA_HINT)})
    if not root.is_dir():
        raise DataNotFoundError(
            _("%(path)s is not a folder of sentiment data: %(hint)s")
            % {"path": root, "hint": _(DATA_HINT)}
        )
    try:
        folders = language_folders(root)
    except ImportFileError:
        raise DataNotFoundError(
            _("%(path)s holds no UMSAB-style *_text.txt files: %(hint)s")
            % {"path": root, "hint": _(DATA_HINT)}
        ) from None
    wanted = [f for f in folders if not languages or f.name in languages]
    if not any((f / f"{split}_text.txt").exists() for f in wanted):
        message = (
            _("%(path)s has no %(split)s split for %(languages)s: %(hint)s")
            if languages
            else _("%(path)s has no %(split)s split: %(hint)s")
        )
        raise DataNotFoundError(
            message
            % {
                "path": root,
                "split": split,
                "languages": ",".join(languages or []),
                "hint": _(DATA_HINT),
            }
        )
    return root


def load_umsab(
    root: Path, split: str, languages: list[str] | None = None
) -> dict[str, list[Example]]:
    """Examples of ``split`` per language folder name, optionally filtered."""
    out: dict[str, list[Example]] = {}
    for folder in language_folders(root):
        if languages and folder.name not in languages:
            continue
        if (folder / f"{split}_text.txt").exists():
            out[folder.name] = read_split(folder, split)
    if not out:
        raise ImportFileError(
            _("no %(split)s split found under %(path)s") % {"split": split, "path": root}
        )
    return out
