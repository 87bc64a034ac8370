"""axe-core, inside headless Chromium, finds no serious or critical problem on any public page type."""

import pytest

from .pages import public_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_public_pages_have_no_serious_accessibility_violations(live_server, browser, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    console = []
    page.on("console", lambda msg: console.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    problems = []
    for name, path in public_pages():
        page.goto(live_server.url + path)
        results = axe.run(page)
        problems += [
            f"{name}: {v['id']} ({v['impact']}) on {len(v['nodes'])} node(s): {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    context.close()
    assert not problems, "\n".join(problems)
    # The one expected console error is the not-found page's own 404 status.
    assert [e for e in console if "404" not in e or "no-such-case" not in e] == [], console


def test_focus_is_visible_when_tabbing(live_server, page):
    pages = dict(public_pages())
    page.goto(live_server.url + pages["case"])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
