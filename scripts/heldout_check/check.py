"""Vet a candidate held-out part (jobs or routing jsonl) against the index built by ``hosts``.

Why: a frozen part must be checked before anyone reads its scores, and nobody may read it by
eye, so this prints per problematic line only its number, its id (jobs) or ``sha1(text)[:8]``
and the list of problems, then counts. It never prints texts, people, organisations, titles,
institutions or hosts of the file.

Exit status: 0 when no line has a problem, 1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import bisect
import collections
import hashlib
import json
import re
import sys
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scripts.heldout_check.common import (
    ALWAYS,
    DEFAULT_INDEX,
    MULTI,
    REPO_HOSTS,
    ROOT,
    find_repos,
    github_io_repos,
    ngram_hashes,
    norm_name,
    norm_tokens,
    read_hash_index,
    registrable,
    site_key,
    text_hash,
    url_host,
)

USAGE = (
    "usage: python -m scripts.heldout_check.check jobs|routing FILE [--ignore-self]"
    " [--summary-only] [--per-page] [--index DIR] [--repo DIR]"
)
#: ``--per-page``: the cap of 3 lines holds per page (its URL) instead of per website, for a
#: part drawn from one open-licence news site whose articles are separate sources (Wikinews).
FLAGS = {"--ignore-self", "--summary-only", "--per-page"}
VALUE_OPTIONS = {"--index", "--repo"}
TEAMS = {"it", "student_services", "alumni", "communications", "hr", "international", "research"}
LANGS = {"fr", "en"}
REDDIT = re.compile(r"reddit|redd\.it", re.IGNORECASE)
URL_OK = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
JOBS_KEYS = {"id", "lang", "domain", "text", "source", "job_changes"}
JOBS_OPT = {"negative_kind"}
ROUTING_KEYS = {
    "text", "team", "lang", "kind", "institution", "intent_or_label_as_in_source", "source",
}  # fmt: skip
#: Domain whose texts are written by the person who changes job: labelled with a null person.
FIRST_PERSON = "first_person"


class Index:
    """The loaded index, with the provenance ids that --ignore-self leaves out."""

    def __init__(self, index: Path, repo: Path = ROOT, self_path: str | None = None) -> None:
        prov = json.loads((index / "prov.json").read_text(encoding="utf-8"))
        self.paths: list[str] = prov["paths"]
        self.hosts: dict[str, int] = prov["hosts"]
        self.repos: dict[str, int] = prov["repos"]
        self.insts: dict[str, int] = prov["institutions"]
        self.ngr_h, self.ngr_p = read_hash_index(index / "ngrams.bin")
        self.txt_h, self.txt_p = read_hash_index(index / "texts.bin")
        self.self_ids: set[int] = set()
        self.self_note: str | None = None
        if self_path:
            ap = Path(self_path).resolve()
            base = ap.name
            if ap.is_relative_to(repo.resolve()):
                targets = {str(ap.relative_to(repo.resolve())), "npz:" + base}
            else:
                self.self_note = (
                    "FILE is not under the repository: --ignore-self matches provenance by basename"
                )
                targets = {p for p in self.paths if Path(p).name == base or p == "npz:" + base}
            self.self_ids = {i for i, p in enumerate(self.paths) if p in targets}
            if not self.self_ids:
                self.self_note = (
                    "--ignore-self: FILE's path never appears in the index (nothing ignored)"
                )
        self.multi_insts = [
            k for k in self.insts if len(k.split()) >= 2 and self.counts(self.insts[k])
        ]

    def counts(self, pid: int | None) -> bool:
        """Whether an entry seen at ``pid`` excludes (reserved, several paths, or not self)."""
        if pid is None:
            return False
        return pid in (ALWAYS, MULTI) or pid not in self.self_ids

    @staticmethod
    def _lookup(ha: array[int], pa: array[int], h: int) -> int | None:
        i = bisect.bisect_left(ha, h)
        if i < len(ha) and ha[i] == h:
            return pa[i]
        return None

    def ngram_hit(self, h: int) -> bool:
        """Whether the 8-gram hash ``h`` was seen elsewhere."""
        return self.counts(self._lookup(self.ngr_h, self.ngr_p, h))

    def text_hit(self, h: int) -> bool:
        """Whether the whole-text hash ``h`` was seen elsewhere."""
        return self.counts(self._lookup(self.txt_h, self.txt_p, h))

    def host_hit(self, host: str | None) -> bool:
        """Whether ``host`` or its registrable domain was seen elsewhere."""
        if not host:
            return False
        cands = {host, registrable(host)}
        return any(c not in REPO_HOSTS and self.counts(self.hosts.get(c)) for c in cands)

    def repo_hits(self, repos: set[str]) -> list[str]:
        """The repositories among ``repos`` that were seen elsewhere or are reserved."""
        return sorted(r for r in repos if self.counts(self.repos.get(r)))

    def inst_hit(self, inst: str) -> str | None:
        """ "exact", "containment" (both >= 2 words) or None for an institution name."""
        n = norm_name(inst)
        if not n:
            return None
        if self.counts(self.insts.get(n)):
            return "exact"
        if len(n.split()) < 2:
            return None
        pn = " " + n + " "
        for k in self.multi_insts:
            pk = " " + k + " "
            if pk in pn or pn in pk:
                return "containment"
        return None


def is_str(x: object) -> bool:
    """Short alias: the schema checks read better with it."""
    return isinstance(x, str)


def _nonempty(x: object) -> bool:
    return isinstance(x, str) and bool(x.strip())


def _schema_job_changes(rec: dict[str, Any], jc: object) -> list[str]:
    if not isinstance(jc, list):
        return ["schema: job_changes not a list"]
    errs = []
    for i, ch in enumerate(jc):
        if not isinstance(ch, dict):
            errs.append(f"schema: job_changes[{i}] not an object")
            continue
        if set(ch) != {"person", "organization", "title"}:
            errs.append(f"schema: job_changes[{i}] keys must be person/organization/title")
        for f in ("person", "organization", "title"):
            v = ch.get(f)
            if v is not None and not is_str(v):
                errs.append(f"schema: job_changes[{i}].{f} not str/null")
        # The labelling convention: a first-person text does not name its author.
        unnamed_author = ch.get("person") is None and rec.get("domain") == FIRST_PERSON
        if not _nonempty(ch.get("person")) and not unnamed_author:
            errs.append(f"schema: job_changes[{i}].person null/empty")
    if jc and "negative_kind" in rec:
        errs.append("schema: negative_kind on a positive")
    if not jc and not _nonempty(rec.get("negative_kind")):
        errs.append("schema: negative without negative_kind")
    return errs


def schema_jobs(rec: dict[str, Any]) -> list[str]:
    """Schema problems of a jobs line (keys, types, lengths, positives vs negatives)."""
    keys = set(rec)
    errs = ["schema: missing " + k for k in sorted(JOBS_KEYS - keys)]
    errs += ["schema: unexpected key " + k for k in sorted(keys - JOBS_KEYS - JOBS_OPT)]
    if "id" in rec and not _nonempty(rec["id"]):
        errs.append("schema: id not a non-empty str")
    if "lang" in rec and rec["lang"] not in LANGS:
        errs.append("schema: bad lang")
    if "domain" in rec and not _nonempty(rec["domain"]):
        errs.append("schema: domain not a non-empty str")
    if "text" in rec:
        if not is_str(rec["text"]):
            errs.append("schema: text not str")
        elif not 20 <= len(rec["text"]) <= 600:
            errs.append(f"schema: text length not in 20..600 ({len(rec['text'])})")
    if "source" in rec and not (is_str(rec["source"]) and URL_OK.match(rec["source"])):
        errs.append("schema: source not an http(s) URL")
    if "job_changes" in rec:
        errs += _schema_job_changes(rec, rec["job_changes"])
    if "negative_kind" in rec and not is_str(rec["negative_kind"]):
        errs.append("schema: negative_kind not str")
    return errs


def schema_routing(rec: dict[str, Any]) -> list[str]:
    """Schema problems of a routing line (keys, team/lang values, non-empty strings, URL)."""
    keys = set(rec)
    errs = ["schema: missing " + k for k in sorted(ROUTING_KEYS - keys)]
    errs += ["schema: unexpected key " + k for k in sorted(keys - ROUTING_KEYS)]
    if "text" in rec and not _nonempty(rec["text"]):
        errs.append("schema: text not a non-empty str")
    if "team" in rec and rec["team"] not in TEAMS:
        errs.append("schema: bad team")
    if "lang" in rec and rec["lang"] not in LANGS:
        errs.append("schema: bad lang")
    if "kind" in rec and not _nonempty(rec["kind"]):
        errs.append("schema: kind not a non-empty str")
    if "institution" in rec and not _nonempty(rec["institution"]):
        errs.append("schema: institution not a non-empty str")
    if "intent_or_label_as_in_source" in rec and not is_str(rec["intent_or_label_as_in_source"]):
        errs.append("schema: intent_or_label_as_in_source not str")
    if "source" in rec and not (is_str(rec["source"]) and URL_OK.match(rec["source"])):
        errs.append("schema: source not an http(s) URL")
    return errs


def kind_of(problem: str) -> str:
    """Problem kind for the summary: counts, line numbers and indices taken out."""
    k = re.sub(r"\s*\(.*\)$", "", problem)
    k = re.sub(r"line \d+", "line N", k)
    return re.sub(r"\[\d+\]", "[i]", k)


def _sha8(s: str) -> str:
    return "sha1:" + hashlib.sha1(s.encode(), usedforsecurity=False).hexdigest()[:8]


class FileState:
    """What earlier lines of the file left behind: sites, hashes, distributions."""

    def __init__(self, mode: str, per_page: bool = False) -> None:
        self.per_page = per_page
        fields = ("lang", "domain") if mode == "jobs" else ("team", "lang", "kind")
        self.dist: dict[str, collections.Counter[str]] = {k: collections.Counter() for k in fields}
        self.hosts_seen: set[str] = set()
        self.site_count: collections.Counter[str] = collections.Counter()
        self.file_text: dict[int, int] = {}  # whole-text hash -> first line
        self.file_ngr: dict[int, int] = {}  # 8-gram hash -> first line


def _text_problems(idx: Index, st: FileState, ln: int, text: str) -> list[str]:
    """Exact and 8-gram overlap with the index and with earlier lines of the file."""
    toks = norm_tokens(text)
    if not toks:
        return []
    probs = []
    th = text_hash(toks)
    if idx.text_hit(th):
        probs.append("exact text in index")
    if th in st.file_text:
        probs.append(f"duplicate of line {st.file_text[th]}")
    else:
        st.file_text[th] = ln
    hs = set(ngram_hashes(toks))
    n_idx = sum(1 for h in hs if idx.ngram_hit(h))
    if n_idx:
        probs.append(f"8-gram overlap ({n_idx}/{len(hs)})")
    prev = collections.Counter(st.file_ngr[h] for h in hs if h in st.file_ngr)
    for other, n in sorted(prev.items()):
        if other != st.file_text[th]:  # exact duplicates already reported
            probs.append(f"8-gram overlap with line {other} ({n})")
    for h in hs:
        st.file_ngr.setdefault(h, ln)
    return probs


def check_record(
    mode: str, idx: Index, st: FileState, ln: int, line: str, rec: dict[str, Any]
) -> list[str]:
    """Every problem of one parsed line; updates the file-level state."""
    text = rec["text"] if is_str(rec.get("text")) else ""
    probs = schema_jobs(rec) if mode == "jobs" else schema_routing(rec)
    for k, c in st.dist.items():
        v = rec.get(k)
        c[v if isinstance(v, str) else repr(v)] += 1
    src = rec["source"] if is_str(rec.get("source")) else ""
    host = url_host(src)
    if host:
        st.hosts_seen.add(host)
    if host and host not in REPO_HOSTS and idx.host_hit(host):
        probs.append("excluded host")
    reps = idx.repo_hits(find_repos(line) | github_io_repos(host))
    if reps:
        probs.append(f"excluded repo ({len(reps)})")
    if REDDIT.search(src):
        probs.append("excluded reddit: source")
    elif REDDIT.search(line):
        probs.append("excluded reddit: elsewhere in line")
    if mode == "routing" and is_str(rec.get("institution")):
        how = idx.inst_hit(rec["institution"])
        if how:
            probs.append("excluded institution: " + how)
    sk = src.split("#", 1)[0] if st.per_page and src else site_key(src)
    if sk:
        st.site_count[sk] += 1
        if st.site_count[sk] > 3:
            probs.append(f"site over 3 (#{st.site_count[sk]})")
    probs += _text_problems(idx, st, ln, text)
    if mode == "jobs" and isinstance(rec.get("job_changes"), list):
        for ch in rec["job_changes"]:
            if not isinstance(ch, dict):
                continue
            for fld in ("person", "organization", "title"):
                v = ch.get(fld)
                if isinstance(v, str) and v not in text:
                    probs.append(f"value not in text: {fld}")
    return probs


def parse_args(argv: Sequence[str]) -> tuple[list[str], set[str], dict[str, str]] | None:
    """Positionals, flags and ``--index``/``--repo`` values, or None on a usage error."""
    args: list[str] = []
    flags: set[str] = set()
    opts: dict[str, str] = {}
    it = iter(argv)
    for a in it:
        name, eq, value = a.partition("=")
        if name in VALUE_OPTIONS:
            v = value if eq else next(it, None)
            if not v:
                return None
            opts[name] = v
        elif a.startswith("--"):
            flags.add(a)
        else:
            args.append(a)
    if len(args) != 2 or args[0] not in ("jobs", "routing") or flags - FLAGS:
        return None
    return args, flags, opts


def main(argv: Sequence[str]) -> int:
    """Check FILE line by line, print problems and a summary; the exit status says clean or not."""
    parsed = parse_args(argv)
    if parsed is None:
        print(USAGE)
        return 2
    (mode, path), flags, opts = parsed
    ignore_self = "--ignore-self" in flags
    quiet = "--summary-only" in flags
    t0 = time.time()
    idx = Index(
        Path(opts.get("--index", DEFAULT_INDEX)),
        Path(opts.get("--repo", ROOT)),
        path if ignore_self else None,
    )
    t_load = time.time() - t0
    if idx.self_note:
        print("note:", idx.self_note)

    n_lines = n_bad = 0
    by_kind: collections.Counter[str] = collections.Counter()
    st = FileState(mode, per_page="--per-page" in flags)
    raw_lines = Path(path).read_text(encoding="utf-8").splitlines()
    for ln, line in enumerate(raw_lines, 1):
        if not line.strip():
            continue
        n_lines += 1
        probs = []
        label = _sha8(line)
        try:
            rec = json.loads(line)
        except ValueError:
            rec = None
            probs.append("invalid JSON")
        if rec is not None and not isinstance(rec, dict):
            probs.append("schema: not an object")
            rec = None
        if rec is not None:
            if mode == "jobs" and is_str(rec.get("id")):
                label = "id:" + rec["id"]
            else:
                label = _sha8(rec["text"] if is_str(rec.get("text")) else "")
            probs += check_record(mode, idx, st, ln, line, rec)
        if probs:
            n_bad += 1
            for p in probs:
                by_kind[kind_of(p)] += 1
            if not quiet:
                print(f"L{ln} {label}: {'; '.join(probs)}")
    dt = time.time() - t0
    print(f"== summary: {mode} {Path(path).name}{' (--ignore-self)' if ignore_self else ''}")
    print(f"lines: {n_lines}  lines with problems: {n_bad}")
    for k, v in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  problem {k:<40} {v}")
    for k, c in st.dist.items():
        print(f"  by {k}: {', '.join(f'{a}={b}' for a, b in sorted(c.items()))}")
    max_site = max(st.site_count.values() or [0])
    print(f"distinct hosts: {len(st.hosts_seen)}  max lines per site: {max_site}")
    print(f"time: index load {t_load:.2f}s, total {dt:.2f}s")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
