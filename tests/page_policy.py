"""Reading a response as a browser does: its Content-Security-Policy, and whether the page
obeys it (nothing inline, everything it loads allowed).

Written apart from Kassa's own code so that the tests do not check the policy with the code
that makes it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from werkzeug.test import TestResponse

#: Where the test client's pages live (Flask's default test host).
PAGE_ORIGIN = "http://localhost"


def policy_of(response: TestResponse) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as ``{directive: [sources]}``."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def sources_for(policy: dict[str, list[str]], directive: str) -> list[str]:
    """The sources ``directive`` allows, falling back to ``default-src`` as browsers do."""
    return policy.get(directive, policy.get("default-src", []))


def allows(sources: list[str], url: str) -> bool:
    """Whether a source list lets the page load ``url`` (exact origins, ``'self'``,
    ``https://*.host`` and ``data:``)."""
    if url.startswith("data:"):
        return "data:" in sources
    parts = urlsplit(urljoin(PAGE_ORIGIN + "/", url))
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin == PAGE_ORIGIN and "'self'" in sources:
        return True
    for source in sources:
        if source == origin:
            return True
        if source.startswith(f"{parts.scheme}://*.") and parts.netloc.endswith(source[len(
                parts.scheme) + 4:]):
            return True
    return False


class PageParts(HTMLParser):
    """What a page loads (scripts, stylesheets, images) and what it has inline."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.images: list[str] = []
        #: inline code a policy without 'unsafe-inline' refuses, as "tag attribute"
        self.inline: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=...>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.inline.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            if attributes.get("src"):
                self.scripts.append(attributes["src"] or "")
            else:
                self.inline.append("<script> without src")
        elif tag == "style":
            self.inline.append("<style>")
        elif tag == "link" and "stylesheet" in (attributes.get("rel") or "").split():
            self.stylesheets.append(attributes.get("href") or "")
        elif tag == "img":
            self.images.append(attributes.get("src") or "")


def assert_obeys_its_policy(response: TestResponse) -> PageParts:
    """The HTML page has no inline code and its policy allows every script, stylesheet and
    image it loads; no policy source is ``'unsafe-inline'`` or ``'unsafe-eval'``."""
    policy = policy_of(response)
    for directive, sources in policy.items():
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, directive
        assert "*" not in sources, directive
    page = PageParts(response.get_data(as_text=True))
    assert page.inline == []
    for directive, urls in (("script-src", page.scripts), ("style-src", page.stylesheets),
                            ("img-src", page.images)):
        refused = [url for url in urls if not allows(sources_for(policy, directive), url)]
        assert refused == [], f"{directive} {sources_for(policy, directive)} refuses {refused}"
    return page
