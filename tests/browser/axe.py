"""Accessibility checks with axe-core in the browser tests.

axe-core comes from npm (pinned in ``package-lock.json``; ``make test`` runs ``npm ci`` into
the git-ignored ``node_modules/``), never from the web at run time. Without it the checks are
skipped on a developer's machine and fail in CI (``CI=true``): a missing checker must not pass
as green.

The script goes into the page with ``page.evaluate`` of its text, which Chromium runs through
the DevTools protocol, outside the page's Content-Security-Policy. So the page is checked as a
shopper gets it, under its real policy: ``page.add_script_tag`` would add an inline
``<script>`` that Kassa's ``script-src 'self'`` refuses, and a context with
``bypass_csp=True`` would check a page whose policy is off (a style the policy blocks would
still count).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: The impacts that fail a page (axe's others are "minor" and "moderate").
BLOCKING = ("serious", "critical")
#: ``axe.run`` in the page: only the violations, each node's target and a short summary.
_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), impact: n.impact,
                                summary: n.failureSummary || ""})),
  }));
}"""


@cache
def axe_source() -> str:
    """The text of axe-core's ``axe.min.js``; skips (locally) or fails (in CI) without it."""
    if not AXE_JS.exists():
        message = f"axe-core is not installed at {AXE_JS}: run `make test` (it runs `npm ci`)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS.read_text(encoding="utf-8")


def install_axe(context: Any) -> None:
    """Load axe-core into every page the Playwright ``context`` opens from now on (a test
    that checks many pages saves injecting it into each)."""
    context.add_init_script(script=axe_source())


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (any impact)."""
    source = axe_source()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source + "\n;undefined")  # the script's text, not a function
    violations: list[dict[str, Any]] = page.evaluate(_RUN)
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and one per node it found: for a failing test's message."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                     f" <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def accessibility_report(page: Any, label: str, *,
                         impacts: tuple[str, ...] = BLOCKING) -> str | None:
    """What axe-core finds on the page of the given impacts (default: serious or critical),
    as a message naming the page by ``label``; None when it finds none."""
    found = [v for v in axe_violations(page) if v["impact"] in impacts]
    if not found:
        return None
    return (f"{label} ({page.url}): {len(found)} accessibility violation(s) of impact "
            f"{'/'.join(impacts)}:\n{describe(found)}")


def assert_accessible(page: Any, label: str, *, impacts: tuple[str, ...] = BLOCKING) -> None:
    """Fail, listing each one (rule, help, the nodes), if axe-core finds violations of the
    given impacts on the page (default: serious or critical). ``label`` names the page."""
    report = accessibility_report(page, label, impacts=impacts)
    if report:
        pytest.fail(report, pytrace=False)
