"""Accessibility checks of a page in Chromium: axe-core (vendored, see vendor/README.md) and the
size and reachability of every control (WCAG 2.2 2.5.8: at least 24 x 24 CSS pixels)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
#: What axe checks: WCAG 2.0-2.2 A and AA, and its best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary"


@cache
def axe_source() -> str:
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, "vendor/axe.min.js was changed"
    return source.decode()


def axe_violations(page: Page) -> list[str]:
    """axe's violations on the page as it is now: ``rule: target`` for each node."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{violation['id']}: {node['target']} ({violation['help']})"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def small_or_hidden_controls(page: Page) -> list[str]:
    """Visible controls smaller than 24 x 24 px, or covered at their centre by another element.
    Links inside a sentence are exempt (WCAG 2.5.8 "inline")."""
    return list(
        page.evaluate(
            """(selector) => {
              const bad = [];
              for (const el of document.querySelectorAll(selector)) {
                const box = el.getBoundingClientRect();
                const style = getComputedStyle(el);
                if (!el.checkVisibility({visibilityProperty: true})) continue;
                const inline = el.tagName === 'A' && style.display === 'inline';
                const name = el.id || el.name || el.textContent.trim().slice(0, 30);
                if (!inline && (box.width < 24 || box.height < 24)) {
                  bad.push(`${el.tagName} ${name}: ${box.width}x${box.height}`);
                }
                el.scrollIntoView({block: 'center'});
                const now = el.getClientRects()[0];
                const x = now.x + now.width / 2, y = now.y + now.height / 2;
                const hit = document.elementFromPoint(x, y);
                if (hit && hit !== el && !el.contains(hit) && !hit.contains(el)) {
                  bad.push(`${el.tagName} ${name}: covered by ${hit.tagName}`);
                }
              }
              return bad;
            }""",
            CONTROLS,
        )
    )


def page_is_wider_than_the_viewport(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1"))


def wider(page: Page) -> list[str]:
    """The elements that reach past the right edge of the viewport (the first few)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                 .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                 .slice(0, 8).map((e) => `${e.tagName}#${e.id}.${e.className}`)"""
        )
    )


def check_accessible(page: Page) -> None:
    """No axe violation, no small or covered control, no horizontal scrolling. Measured once
    the page has loaded: a caller that waited for a text after a click may hold a page whose
    stylesheet is still on its way (unstyled controls are 21 px high)."""
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"
    small = small_or_hidden_controls(page)
    assert small == [], f"{page.url}: {small}"
    assert not page_is_wider_than_the_viewport(page), f"{page.url} scrolls sideways: {wider(page)}"
