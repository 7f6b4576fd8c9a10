"""What a failing target's error means, in a sentence people read (admin page and CLI).

Why a table: the crawlers write ``last_error`` for logs and operators (English,
with URLs and exception text); the "Listening sources" page and ``veille sources
status`` must say it in the reader's language, from the one catalogue. The
crawlers define the error shapes, so the table lives beside them: each row is a
pattern over a message raised in crawlers/ (http.py, web.py, feeds.py, the API
sources) or written by runner.py, with the catalogue message it means. The first
row that matches wins: the shapes that quote foreign text (a platform's error,
a parser's complaint, scrapy's stderr) come first, so a "404" inside that text
is never read as the target's own status. A pattern that reads a message from its
start also reads it after ``": "``: a source's error names its failing targets
(``"<target>: <error>"``, runner.py), and a runner warning stands alone, as the
crawl's note. A pattern's named groups fill the message's placeholders. An error
no row matches gives ``None``: the caller says so and keeps the raw text as a
technical detail, never as the reason.
"""

from __future__ import annotations

import re

from veille.i18n import _N, gettext

#: (pattern over the raw error, catalogue message), in the order they are tried.
REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), message)
    for pattern, message in (
        # runner.py and web.py: texts that quote others' words come first.
        (
            r"(?:^|: )scrapy worker exited with",
            _N("The web crawler stopped unexpectedly; it is tried again on the next run."),
        ),
        (
            r"(?:^|: )not asked: ",
            _N("Not asked this run: another target on the same site did not answer."),
        ),
        (
            r"(?:^|: )deferred until (\d{4}-\d\d-\d\d )?(?P<time>\d\d:\d\d)(:\d\d)? UTC",
            _N(
                "Postponed: the platform limits the number of requests; "
                "tried again after %(time)s UTC."
            ),
        ),
        # runner.py: a run cut short on purpose (budget, stop), said as the crawl's note.
        (
            r"^daily budget of (?P<n>\d+) items reached",
            _N("The daily budget of %(n)s items is reached; the source resumes tomorrow."),
        ),
        (
            r"^budget reached \((?P<n>\d+) items this run",
            _N("The budget is reached after %(n)s items; the next run resumes from there."),
        ),
        (
            r"^stopped after \d+ stored batch",
            _N("Stopped on request: the stored batches are kept; the next run resumes from there."),
        ),
        (r"^not started: stopping", _N("Not started: the crawl was stopping.")),
        # http.py (ErrorBody, json_of), feeds.py, reddit/mastodon/bluesky.
        (
            r": the platform answered an error:",
            _N("The platform answered with an error message instead of results."),
        ),
        (
            r": malformed feed \(",
            _N("The feed is partly malformed; its readable entries were kept."),
        ),
        (
            r": (not a feed \(|invalid JSON feed: |JSON without feed items)",
            _N("The address does not serve a readable feed (RSS, Atom or JSON Feed)."),
        ),
        (r": invalid JSON \(", _N("The platform's answer could not be read (invalid JSON).")),
        (r": unexpected answer \(", _N("The platform's answer did not have the expected form.")),
        # web.py: the whole site refused.
        (
            r"(?:^|: )robots\.txt could not be read",
            _N(
                "The site's robots.txt file could not be read: until it can, "
                "the site counts as closed to crawling."
            ),
        ),
        (
            r"(?:^|: )every page refused \(",
            _N("Every page was refused, by the site (403 or captcha) or by its robots.txt rules."),
        ),
        # web.py, a partial crawl's warning: some pages refused, the others collected.
        (
            r"page\(s\) answered 403 or a captcha",
            _N("Some pages refused access (403 or captcha); the others were collected."),
        ),
        (
            r"robots\.txt unreachable on \d+ site",
            _N("The robots.txt file of some sites could not be read; their pages were skipped."),
        ),
        # http.py and web.py: the address guard (Refused).
        (
            r"refused by the address guard|(?:^|: )refusing .*private/loopback/link-local",
            _N(
                "The address leads to a private or local network, which the crawlers may not reach."
            ),
        ),
        (r"(?:^|: )refusing ", _N("The address is not a valid web address (http or https).")),
        # http.py: answers that refuse us.
        (
            r"answered with a captcha page",
            _N("The site answered with a captcha page: it refuses automated visits."),
        ),
        (
            r": 401 Unauthorized",
            _N("The platform asks for credentials (HTTP 401): check the source's access keys."),
        ),
        (r": 451 Unavailable", _N("The content is unavailable for legal reasons (HTTP 451).")),
        (r": 403 Forbidden", _N("The site refuses access (HTTP 403).")),
        # twitter.py, http.py: the target does not exist (any more).
        (r"no account named @", _N("No account has this name (any more).")),
        (
            r": HTTP (?P<status>404|410)\b",
            _N("The page or account no longer exists (HTTP %(status)s)."),
        ),
        # http.py: rate limits (RateLimited).
        (
            r": rate limited for (?P<seconds>\d+)s",
            _N("The platform limits the number of requests; tried again in %(seconds)s s."),
        ),
        (
            r": still rate limited after",
            _N("The platform kept limiting the number of requests; tried again later."),
        ),
        # http.py: other HTTP errors, after retries for a 5xx.
        (
            r": HTTP (?P<status>5\d\d)\b",
            _N("The server failed (HTTP %(status)s); it is tried again on the next run."),
        ),
        (r": HTTP (?P<status>4\d\d)\b", _N("The server refused the request (HTTP %(status)s).")),
        # http.py: names, redirects, connections.
        (
            r"(?:^|: )cannot resolve ",
            _N("The site's name could not be found (DNS): check the address."),
        ),
        (r": too many redirects", _N("The address redirects in a loop (too many redirects).")),
        (
            r": invalid redirect location|Invalid URL in location header",
            _N("The site redirects to an invalid address."),
        ),
        (
            r"certificate verify failed|CERTIFICATE_VERIFY_FAILED",
            _N("The site's security certificate is not valid."),
        ),
        (r"timed out|timeout", _N("The site did not answer in time.")),
        (
            r"\(after \d+ attempts\)|connection refused|connection attempts failed",
            _N("The site could not be reached."),
        ),
    )
)


def explain(error: str | None) -> str | None:
    """The translated sentence for a crawler's raw ``error``; ``None`` when no row matches."""
    if not error:
        return None
    for pattern, message in REASONS:
        match = pattern.search(error)
        if match is not None:
            params = {k: v for k, v in match.groupdict().items() if v is not None}
            text = gettext(message)
            return text % params if params else text
    return None
