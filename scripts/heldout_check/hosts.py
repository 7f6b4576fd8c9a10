"""Build the exclusion index a new held-out part is checked against (prints counts only).

Why: a frozen evaluation part must share no text, site, repository or institution with anything
the project ever committed or collected, or its score measures memory, not generalisation. This
gathers all of it once (~12 s on the real repository) so that ``check`` answers in a second.

Run from the repository root::

    python -m scripts.heldout_check.hosts [--repo DIR] [--shared DIR] [--index DIR]

Outputs, under ``--index`` (default ``out/heldout_index``, git-ignored):

- ``hosts.txt``: hosts (lower, no www.) and their registrable domains
- ``repos.txt``: github owner/name (lower-case) and the reserved repositories
- ``institutions.txt``: normalised institution names
- ``ngrams.bin``: sorted 8-byte blake2b hashes of normalised 8-grams + int32 provenance id
- ``texts.bin``: same format, whole normalised texts (exact duplicates shorter than 8 tokens)
- ``prov.json``: provenance ids of hosts/repos/institutions and the id -> path table
  (id -1 = several paths, -2 = always excluded), read by ``check --ignore-self``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from scripts.heldout_check.common import (
    ALWAYS,
    DEFAULT_INDEX,
    DEFAULT_SHARED,
    MULTI,
    NPZ_REL,
    REPO_HOSTS,
    ROOT,
    clean_host,
    find_repos,
    find_urls,
    is_ip,
    ngram_hashes,
    norm_name,
    norm_tokens,
    registrable,
    text_hash,
    write_hash_index,
)

EXTS = (".jsonl", ".json", ".md", ".toml", ".txt", ".tsv", ".csv", ".py", ".yaml", ".yml")
NGRAM_SHARED_EXTS = (".jsonl", ".json", ".txt", ".tsv", ".csv")
#: Repositories that must never feed a held-out part, whether or not anything cites them.
RESERVED_REPOS = [
    "emorynlp/reddit-college", "yelynn1/sguniversities_tweets_analysis", "Bcastet/chatbot",
    "latifa262/PFE_chatbot", "daddykeba/ChatbotENA", "daddykeba/Chatwork",
    "UniversalDependencies/UD_French-GSD", "ahnineamine/RasaCore_RasaNlu_Flask",
    "master-hn/master-hn.github.io", "harshilkhara/College-Chatbot",
]  # fmt: skip
EXTRA_HOSTS = ["reddit.com", "redd.it"]
INST_KW = re.compile(
    r"\b(universite|universites|university|universitat|universidad|universita|univ|"
    r"college|ecole|school|institut|institute|iut|polytechnique|polytechnic|academy|"
    r"academie|faculte|faculty|conservatoire|insa)\b"
)
#: Bare domains inside npz group strings (e.g. "www.unige.ch — ...").
BARE_DOMAIN = re.compile(
    r"(?<![\w@/.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+([a-z]{2,6}))(?![\w-])", re.IGNORECASE
)
#: "Domains" whose last label is a file extension (readme.md, model.npz): not hosts.
FILE_EXTS = {
    "md", "py", "sh", "pl", "rs", "js", "ts", "cc", "so", "gz", "jsonl", "json", "txt", "csv",
    "tsv", "html", "htm", "xml", "yml", "yaml", "toml", "npz", "npy", "pdf", "png", "jpg", "rss",
    "php", "aspx", "asp", "cfm", "ipynb", "zip", "doc", "docx", "ppt", "cfg", "ini",
}  # fmt: skip
GTLDS = {
    "com", "org", "net", "edu", "gov", "int", "info", "io", "eu", "biz", "app", "dev", "news",
    "online", "site", "africa", "paris", "quebec", "bzh", "alsace", "corsica", "university",
    "school", "academy",
}  # fmt: skip
GIT = shutil.which("git") or "git"


class Prov:
    """Key -> provenance id (path id, MULTI if seen at several paths, ALWAYS if reserved)."""

    def __init__(self) -> None:
        self.d: dict[str, int] = {}

    def add(self, key: str, pid: int) -> None:
        """Record that ``key`` was seen at path ``pid``; a reserved key stays reserved."""
        old = self.d.get(key)
        if old is None:
            self.d[key] = pid
        elif old not in (pid, ALWAYS):
            self.d[key] = ALWAYS if pid == ALWAYS else MULTI


def npy_strings(raw: bytes) -> list[str]:
    """Parse a little-endian unicode (``<U``) 1-D .npy array with the stdlib only.

    Why: the tool must run without numpy (a bare ``python3``).
    """
    if raw[:6] != b"\x93NUMPY":
        msg = "not a .npy array"
        raise ValueError(msg)
    major = raw[6]
    if major == 1:
        hlen, off = int.from_bytes(raw[8:10], "little"), 10
    else:
        hlen, off = int.from_bytes(raw[8:12], "little"), 12
    header = raw[off : off + hlen].decode("latin1")
    descr_m = re.search(r"'descr':\s*'([^']+)'", header)
    shape_m = re.search(r"'shape':\s*\(([^)]*)\)", header)
    m = re.match(r"[<|=]U(\d+)$", descr_m.group(1)) if descr_m else None
    if not m or not shape_m:
        msg = f"unsupported .npy header {header!r}"
        raise ValueError(msg)
    shape = tuple(int(x) for x in shape_m.group(1).split(",") if x.strip())
    width = int(m.group(1))
    data = raw[off + hlen :]
    return [
        data[i * 4 * width : (i + 1) * 4 * width].decode("utf-32-le").rstrip("\x00")
        for i in range(shape[0])
    ]


def _git(repo: Path, *args: str) -> bytes:
    """Output of a read-only git command in ``repo``."""
    return subprocess.run(  # noqa: S603 (fixed git sub-commands, no shell)
        [GIT, "-C", str(repo), *args], capture_output=True, check=True
    ).stdout


def git_blobs(repo: Path) -> tuple[list[str], dict[str, set[str]]]:
    """Commits, and blob sha -> paths over every commit reachable from any ref.

    Why every commit: a text removed from the tree was still seen (and maybe trained on).
    """
    commits = _git(repo, "rev-list", "--all").decode().split()
    blob_paths: dict[str, set[str]] = {}
    trees_seen = set()
    for c in commits:
        tree = _git(repo, "rev-parse", c + "^{tree}").decode().strip()
        if tree in trees_seen:
            continue
        trees_seen.add(tree)
        for rec in _git(repo, "ls-tree", "-r", "-z", "--full-tree", tree).split(b"\0"):
            if not rec:
                continue
            meta, raw_path = rec.split(b"\t", 1)
            _mode, typ, sha = meta.split()
            path = raw_path.decode("utf-8", "replace")
            if typ == b"blob" and path.lower().endswith(EXTS):
                blob_paths.setdefault(sha.decode(), set()).add(path)
    # Blobs reachable from refs via rev-list --objects: the same set in practice, kept as a net.
    for line in _git(repo, "rev-list", "--all", "--objects").decode().splitlines():
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1].lower().endswith(EXTS):
            blob_paths.setdefault(parts[0], set()).add(parts[1])
    return commits, blob_paths


def cat_blobs(repo: Path, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Yield (sha, content) through one ``git cat-file --batch`` (one process, not thousands)."""
    p = subprocess.Popen(  # noqa: S603 (fixed git sub-command, no shell)
        [GIT, "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    stdin, stdout = p.stdin, p.stdout
    if stdin is None or stdout is None:
        msg = "git cat-file has no pipes"
        raise RuntimeError(msg)

    def feed() -> None:
        # A writer thread: git blocks on a full stdout pipe while we would block on stdin.
        for s in shas:
            stdin.write((s + "\n").encode())
        stdin.close()

    t = threading.Thread(target=feed)
    t.start()
    for s in shas:
        header = stdout.readline().decode().split()
        if len(header) < 3 or header[1] != "blob":
            continue
        data = stdout.read(int(header[2]))
        stdout.read(1)
        yield s, data
    t.join()
    p.wait()


class Builder:
    """Accumulates hosts, repos, institutions and hashes with the path ids they came from."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.pid_of: dict[str, int] = {}
        self.hosts, self.repos, self.insts = Prov(), Prov(), Prov()
        self.ngr: dict[int, int] = {}
        self.txt: dict[int, int] = {}
        self.blob_paths: dict[str, set[str]] = {}
        self.stats = dict.fromkeys(
            (
                "blobs", "blob_bytes", "shared_files", "shared_binary_skipped", "jsonl_records",
                "jsonl_bad_lines", "jsonl_no_text", "shared_lines", "urls", "routing_inst_values",
                "npz_rows", "npz_distinct", "npz_inst_groups", "npz_bare_hosts",
            ),
            0,
        )  # fmt: skip

    def pid(self, path: str) -> int:
        """Provenance id of ``path`` (allocated on first sight)."""
        if path not in self.pid_of:
            self.pid_of[path] = len(self.paths)
            self.paths.append(path)
        return self.pid_of[path]

    def add_host(self, h: str | None, p: int) -> None:
        """Record a host and its registrable domain (github hosts go through repos instead)."""
        if not h or h in REPO_HOSTS:
            return
        self.hosts.add(h, p)
        r = registrable(h)
        if r and r != h and r not in REPO_HOSTS and not is_ip(h):
            self.hosts.add(r, p)

    def scan_text(self, text: str, pids: Iterable[int]) -> None:
        """Record every URL host and github repository named in ``text``."""
        pids = list(pids)
        for u in find_urls(text):
            self.stats["urls"] += 1
            m = re.match(r"(?i)https?://([^/?#\\]+)", u)
            h = clean_host(m.group(1)) if m else None
            for p in pids:
                self.add_host(h, p)
        for r in find_repos(text):
            for p in pids:
                self.repos.add(r, p)

    def add_ngrams(self, text: str, pids: Iterable[int]) -> None:
        """Record the 8-gram and whole-text hashes of ``text``."""
        toks = norm_tokens(text)
        if not toks:
            return
        hs = ngram_hashes(toks)
        th = text_hash(toks)
        for p in pids:
            for hh in hs:
                old = self.ngr.get(hh)
                if old is None:
                    self.ngr[hh] = p
                elif old != p:
                    self.ngr[hh] = MULTI
            old = self.txt.get(th)
            if old is None:
                self.txt[th] = p
            elif old != p:
                self.txt[th] = MULTI

    def jsonl_records(self, text: str) -> Iterator[object]:
        """Parsed non-empty lines of a jsonl text (bad lines counted, skipped)."""
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                self.stats["jsonl_bad_lines"] += 1
                continue
            yield rec

    def scan_repo(self, repo: Path) -> list[str]:
        """Every blob ever committed in ``repo``; returns the commits scanned."""
        commits, blob_paths = git_blobs(repo)
        for sha, data in cat_blobs(repo, sorted(blob_paths)):
            self.stats["blobs"] += 1
            self.stats["blob_bytes"] += len(data)
            bpaths = sorted(blob_paths[sha])
            pids = [self.pid(p) for p in bpaths]
            text = data.decode("utf-8", "replace")
            self.scan_text(text, pids)
            if not any(p.lower().endswith(".jsonl") for p in bpaths):
                continue
            is_routing = any("routing" in p.lower() for p in bpaths if p.lower().endswith(".jsonl"))
            for rec in self.jsonl_records(text):
                if not isinstance(rec, dict):
                    continue
                self.stats["jsonl_records"] += 1
                if isinstance(rec.get("text"), str):
                    self.add_ngrams(rec["text"], pids)
                else:
                    self.stats["jsonl_no_text"] += 1
                inst = rec.get("institution")
                if is_routing and isinstance(inst, str) and inst.strip():
                    n = norm_name(inst)
                    if n:
                        self.stats["routing_inst_values"] += 1
                        for p in pids:
                            self.insts.add(n, p)
        self.blob_paths = blob_paths
        return commits

    def scan_shared(self, shared: Path) -> dict[str, set[str]]:
        """Every text file under ``shared``; returns file name -> its ``shared/...`` paths."""
        shared_base: dict[str, set[str]] = {}
        for root, _dirs, files in os.walk(shared):
            for fn in sorted(files):
                full = Path(root) / fn
                rel = "shared/" + str(full.relative_to(shared))
                data = full.read_bytes()
                if b"\x00" in data[:8192]:
                    self.stats["shared_binary_skipped"] += 1
                    continue
                self.stats["shared_files"] += 1
                p = self.pid(rel)
                shared_base.setdefault(fn, set()).add(rel)
                text = data.decode("utf-8", "replace")
                self.scan_text(text, [p])
                low = fn.lower()
                if low.endswith(".jsonl"):
                    for rec in self.jsonl_records(text):
                        self.stats["jsonl_records"] += 1
                        if isinstance(rec, dict) and isinstance(rec.get("text"), str):
                            self.add_ngrams(rec["text"], [p])
                        else:
                            self.stats["jsonl_no_text"] += 1
                elif low.endswith(NGRAM_SHARED_EXTS):
                    for line in text.splitlines():
                        if line.strip():
                            self.stats["shared_lines"] += 1
                            self.add_ngrams(line, [p])
        return shared_base

    def scan_npz(self, npz: Path, shared_base: dict[str, set[str]]) -> None:
        """The ``group`` and ``source`` arrays of the routing head's training embeddings.

        Rows are attributed to the file named in ``source`` (its committed or shared path when
        unique), so that --ignore-self also ignores what the npz derived from the checked file.
        """
        base_to_path: dict[str, set[str]] = {}
        for pp in {p for ps in self.blob_paths.values() for p in ps}:
            base_to_path.setdefault(Path(pp).name, set()).add(pp)
        for b, s in shared_base.items():
            base_to_path.setdefault(b, set()).update(s)

        def npz_pid(srcname: str) -> int:
            cands = base_to_path.get(srcname, set())
            return self.pid(sorted(cands)[0]) if len(cands) == 1 else self.pid("npz:" + srcname)

        with zipfile.ZipFile(npz) as z:
            groups = npy_strings(z.read("group.npy"))
            sources = npy_strings(z.read("source.npy"))
        self.stats["npz_rows"] = len(groups)
        seen = set()
        for g, s in zip(groups, sources, strict=False):
            if (g, s) in seen:
                continue
            seen.add((g, s))
            srcname = g.split("#", 1)[0] if "#" in g else s
            p = npz_pid(srcname)
            title = g.split("#", 1)[1] if "#" in g else g
            for text in (title, s):
                self.scan_text(text, [p])
            for m in BARE_DOMAIN.finditer(title):
                dom, tld = m.group(1).lower(), m.group(2).lower()
                if tld in FILE_EXTS or not (len(tld) == 2 or tld in GTLDS):
                    continue
                h = clean_host(dom)
                if h:
                    self.stats["npz_bare_hosts"] += 1
                    self.add_host(h, p)
            n = norm_name(title)
            if n and INST_KW.search(n) and len(n.split()) <= 10:
                self.stats["npz_inst_groups"] += 1
                self.insts.add(n, p)
        self.stats["npz_distinct"] = len(seen)

    def write(self, index: Path, commits: int) -> dict[str, int]:
        """Write the index files; return their entry counts."""
        index.mkdir(parents=True, exist_ok=True)

        def write_list(name: str, prov: Prov) -> int:
            (index / name).write_text("".join(k + "\n" for k in sorted(prov.d)), encoding="utf-8")
            return len(prov.d)

        counts = {
            "hosts": write_list("hosts.txt", self.hosts),
            "repos": write_list("repos.txt", self.repos),
            "insts": write_list("institutions.txt", self.insts),
            "ngr": write_hash_index(index / "ngrams.bin", self.ngr),
            "txt": write_hash_index(index / "texts.bin", self.txt),
        }
        prov = {
            "paths": self.paths,
            "hosts": self.hosts.d,
            "repos": self.repos.d,
            "institutions": self.insts.d,
            "commits": commits,
        }
        with (index / "prov.json").open("w", encoding="utf-8") as f:
            json.dump(prov, f)
        return counts


def build(repo: Path, shared: Path, index: Path, npz: Path | None = None) -> None:
    """Build the index of ``repo``'s history, ``shared`` and the npz into ``index``; print counts.

    A missing ``shared`` folder or npz contributes nothing (a bare clone, or a synthetic test).
    """
    t0 = time.time()
    b = Builder()
    commits = b.scan_repo(repo)
    t1 = time.time()
    shared_base = b.scan_shared(shared) if shared.is_dir() else {}
    t2 = time.time()
    npz = repo / NPZ_REL if npz is None else npz
    if npz.is_file():
        b.scan_npz(npz, shared_base)
    for h in EXTRA_HOSTS:
        b.hosts.add(h, ALWAYS)
    for r in RESERVED_REPOS:
        b.repos.add(r.lower(), ALWAYS)
    c = b.write(index, len(commits))
    t3 = time.time()

    st = b.stats
    print("commits scanned:", len(commits))
    print("blobs read:", st["blobs"], "bytes:", st["blob_bytes"])
    print("shared text files:", st["shared_files"], "binary skipped:", st["shared_binary_skipped"])
    print("provenance paths:", len(b.paths))
    print("urls seen:", st["urls"])
    print(
        "jsonl records:", st["jsonl_records"], "without text:", st["jsonl_no_text"],
        "bad lines:", st["jsonl_bad_lines"], "| shared non-jsonl lines:", st["shared_lines"],
    )  # fmt: skip
    print(
        "npz rows:", st["npz_rows"], "distinct (group,source):", st["npz_distinct"],
        "institution-like groups:", st["npz_inst_groups"], "bare hosts:", st["npz_bare_hosts"],
    )  # fmt: skip
    print("routing institution values:", st["routing_inst_values"])
    print("hosts.txt:", c["hosts"], " repos.txt:", c["repos"], " institutions.txt:", c["insts"])
    print("ngrams.bin hashes:", c["ngr"], " texts.bin hashes:", c["txt"])
    print(
        f"time: git {t1 - t0:.1f}s, shared {t2 - t1:.1f}s, npz+write {t3 - t2:.1f}s,"
        f" total {t3 - t0:.1f}s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: paths default to this checkout, ``../shared`` and ``out/heldout_index``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="git repository (all history)")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared material")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="output folder")
    parser.add_argument("--npz", type=Path, default=None, help=f"default: REPO/{NPZ_REL}")
    a = parser.parse_args(argv)
    build(a.repo, a.shared, a.index, a.npz)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
