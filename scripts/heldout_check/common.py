"""Normalisation, URL and hash-index helpers shared by the index builder and the checker.

Why one module: the index and the check must normalise texts, hosts and names the same way, or a
text seen before would hash differently and pass. Nothing here prints data values.
"""

from __future__ import annotations

import array
import hashlib
import ipaddress
import re
import struct
import unicodedata
from pathlib import Path

#: Repository root: this package lives in ``scripts/heldout_check/``.
ROOT = Path(__file__).resolve().parents[2]
#: The shared working material sits beside the checkout.
DEFAULT_SHARED = ROOT.parent / "shared"
#: Git-ignored (``out/``), so the index never lands in a tracked path.
DEFAULT_INDEX = ROOT / "out" / "heldout_index"
NPZ_REL = "enrich/routing_head/train_embeddings.npz"

URL_RE = re.compile(r"""https?://[^\s"'<>\)\]]+""", re.IGNORECASE)
# github.com/OWNER/NAME, raw.githubusercontent.com/OWNER/NAME, git@github.com:OWNER/NAME
REPO_RE = re.compile(
    r"(?<![\w.-])(?:www\.)?(github\.com|raw\.githubusercontent\.com)[/:]"
    r"([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)",
    re.IGNORECASE,
)
#: First path segments of github.com that are site pages, not repository owners.
GITHUB_NON_OWNERS = {
    "orgs", "topics", "settings", "features", "marketplace", "about", "login", "join", "sponsors",
    "apps", "collections", "explore", "search", "notifications", "pricing", "site", "security",
    "enterprise", "customer-stories", "readme", "trending", "new", "organizations", "users",
    "pulls", "issues", "codespaces", "events", "contact", "team", "home", "dashboard", "account",
}  # fmt: skip
#: Second-to-last labels that make a 3-label registrable domain under a 2-letter TLD.
GENERIC_SLD = {
    "co", "com", "ac", "gov", "edu", "org", "net", "gouv", "qc", "or", "ne", "go", "gob", "mil",
    "nic", "sch", "asso", "nom", "ltd", "plc", "gv",
}  # fmt: skip
#: Shared-hosting platforms: the registrable domain keeps the user label (x.github.io, ...), or
#: every blog on the platform would count as one site.
PRIVATE_SUFFIXES = {
    "github.io", "gitlab.io", "blogspot.com", "wordpress.com", "hypotheses.org", "netlify.app",
    "herokuapp.com", "wixsite.com", "over-blog.com", "canalblog.com", "substack.com",
    "tumblr.com", "webflow.io", "vercel.app", "pages.dev", "readthedocs.io", "sites.google.com",
}  # fmt: skip
#: Hosts never written to hosts.txt: github material is judged per repository (repos.txt).
REPO_HOSTS = {
    "github.com", "raw.githubusercontent.com", "githubusercontent.com", "gist.github.com",
    "codeload.github.com", "objects.githubusercontent.com", "user-images.githubusercontent.com",
    "avatars.githubusercontent.com", "camo.githubusercontent.com",
}  # fmt: skip
HOST_RE = re.compile(r"^(?:[\w](?:[\w-]*[\w])?\.)+[\w](?:[\w-]*[\w])?$")
WORD_RE = re.compile(r"\w+")

#: Hash-index file header: magic, count, sorted uint64 hashes, int32 provenance ids.
MAGIC = b"VNGR0001"
#: Provenance id of a key seen at several paths (never ignored by --ignore-self).
MULTI = -1
#: Provenance id of a reserved key (always excluded).
ALWAYS = -2


def strip_accents(s: str) -> str:
    """``s`` without combining marks, so "Université" and "Universite" compare equal."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def norm_tokens(s: str) -> list[str]:
    """Lower-case, accent-free word tokens: what n-grams are built from."""
    return WORD_RE.findall(strip_accents(s).lower())


def norm_name(s: str) -> str:
    """Institution key: lower, accents stripped, punctuation (and ``_``) to space, collapsed."""
    s = strip_accents(s).lower()
    s = re.sub(r"[\W_]+", " ", s)
    return " ".join(s.split())


def h64(s: str) -> int:
    """8-byte blake2b of ``s``: small enough to index millions of n-grams, no text kept."""
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")


def ngram_hashes(tokens: list[str], n: int = 8) -> list[int]:
    """Hash of each ``n``-gram of ``tokens`` (none when the text is shorter than ``n``)."""
    return [h64(" ".join(tokens[i : i + n])) for i in range(len(tokens) - n + 1)]


def text_hash(tokens: list[str]) -> int:
    """Hash of a whole text: catches exact duplicates shorter than one 8-gram."""
    return h64("T\x00" + " ".join(tokens))


def clean_host(h: str) -> str | None:
    """Host name (lower, no ``www.``, no port or user), or None when it is not a host."""
    h = h.strip().lower().rstrip(".")
    if "@" in h:
        h = h.rsplit("@", 1)[1]
    if h.startswith("["):
        return None
    h = h.split(":", 1)[0].rstrip(".")
    h = h.strip(".,;!?*'`\\")
    h = h.removeprefix("www.")
    if not h:
        return None
    if h == "localhost":
        return h
    if "." not in h or not HOST_RE.match(h):
        return None
    return h


def url_host(url: str | None) -> str | None:
    """Host (lower, no ``www.``) of an http(s) URL, or None."""
    m = re.match(r"(?i)^\s*https?://([^/?#\s\\]+)", url or "")
    if not m:
        return None
    return clean_host(m.group(1))


def is_ip(h: str) -> bool:
    """Whether ``h`` is an IP address (which has no registrable domain)."""
    try:
        ipaddress.ip_address(h)
    except ValueError:
        return False
    return True


def registrable(h: str) -> str:
    """The domain a site owner registers: two labels, three under co.uk-like or platform hosts."""
    if not h or is_ip(h) or "." not in h:
        return h
    labels = h.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in PRIVATE_SUFFIXES:
        return ".".join(labels[-3:])
    if len(labels) >= 4 and ".".join(labels[-3:]) in PRIVATE_SUFFIXES:
        return ".".join(labels[-4:])
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in GENERIC_SLD:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def find_urls(text: str) -> list[str]:
    """Every http(s) URL in ``text``, JSON-escaped slashes included."""
    return URL_RE.findall(text.replace("\\/", "/"))


def find_repos(text: str) -> set[str]:
    """Every github ``owner/name`` (lower-case) referenced in ``text``."""
    out = set()
    for _host, owner, name in REPO_RE.findall(text.replace("\\/", "/")):
        owner_l = owner.lower()
        name_l = name.lower().rstrip(".").removesuffix(".git")
        if not name_l or owner_l in GITHUB_NON_OWNERS:
            continue
        out.add(owner_l + "/" + name_l)
    return out


def github_io_repos(host: str | None) -> set[str]:
    """``owner.github.io`` is served from the repository ``owner/owner.github.io``."""
    if host and host.endswith(".github.io"):
        owner = host[: -len(".github.io")].split(".")[-1]
        return {owner + "/" + owner + ".github.io"}
    return set()


def site_key(url: str | None) -> str | None:
    """Key of the 'site over 3' rule: the github repo for github material, else the domain."""
    rs = find_repos(url or "")
    if rs:
        return "repo:" + sorted(rs)[0]
    h = url_host(url)
    if h and h.endswith(".github.io"):
        return h
    return registrable(h) if h else None


def write_hash_index(path: Path, d: dict[int, int]) -> int:
    """Write ``hash -> provenance id`` sorted, for bisection at check time; return the count."""
    keys = sorted(d)
    ha = array.array("Q", keys)
    pa = array.array("i", (d[k] for k in keys))
    with path.open("wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<Q", len(keys)))
        f.write(ha.tobytes())
        f.write(pa.tobytes())
    return len(keys)


def read_hash_index(path: Path) -> tuple[array.array[int], array.array[int]]:
    """The sorted hashes and their provenance ids, as written by :func:`write_hash_index`."""
    with path.open("rb") as f:
        if f.read(8) != MAGIC:
            msg = f"{path} is not a heldout_check hash index: rebuild it with hosts.py"
            raise ValueError(msg)
        (n,) = struct.unpack("<Q", f.read(8))
        ha = array.array("Q")
        ha.frombytes(f.read(8 * n))
        pa = array.array("i")
        pa.frombytes(f.read(4 * n))
    return ha, pa
