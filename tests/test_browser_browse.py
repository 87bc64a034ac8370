"""A resident browsing in a real browser: list, filter, open a case, reveal."""

import re

import pytest
from playwright.sync_api import expect

from cases.anatomy import Level

from .factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cases():
    conus = make_case(
        title="35-year-old woman with left leg weakness",
        levels=((Level.T12, Level.L1),),
        findings=[{"compartment": "intramedullary", "description": "Three nodules in the conus."}],
        final="Intramedullary spinal cord metastasis",
        final_aliases="ISCM",
        differentials=("Radiation myelitis",),
    )
    make_case(title="Man with neck pain", levels=((Level.C5, Level.C6),), sex="male")
    return conus


def test_filter_open_and_reveal_in_place_with_the_keyboard(live_server, page, cases):
    page.goto(live_server.url + "/")
    assert page.locator(".card").count() == 2
    page.select_option("#id_region", "lumbar")
    page.click("text=Apply filters")
    page.wait_for_url(re.compile(r"region=lumbar"))
    expect(page.locator(".card")).to_have_count(1)
    page.click(f"text={cases.title}")
    expect(page).to_have_title(f"{cases.title} · Casebook")
    page.wait_for_load_state()  # the page's script is listening before a key is pressed
    assert page.locator("text=Intramedullary spinal cord metastasis").count() == 0
    page.keyboard.press("r")
    page.wait_for_selector("#answer")
    assert page.locator(".final-diagnosis").inner_text() == "Intramedullary spinal cord metastasis"
    assert page.evaluate("document.activeElement.id") == "answer-heading"
    # The answer's address keeps the list's filters (for "Previous" / "Next").
    assert page.url.split("?")[0].endswith(cases.get_answer_url()) and "?list=region%3Dlumbar" in page.url
    assert "Radiation myelitis" in page.locator(".differentials").inner_text()
    assert page.console_errors == []  # no missing asset, no CSP refusal, no script error


def test_a_reveal_in_place_shows_the_related_cases_as_the_answer_page_does(live_server, page, cases):
    other = make_case(
        title="Woman with a second conus deposit",
        levels=((Level.L1, Level.L1),),
        final="Intramedullary spinal cord metastasis",
        differentials=("Radiation myelitis",),
    )
    page.goto(live_server.url + cases.get_absolute_url())
    page.wait_for_load_state()
    assert page.locator(".related-cases").count() == 0  # answer side: chosen by diagnosis
    page.click("text=Reveal diagnosis")
    page.wait_for_selector("#answer")
    expect(page.locator(".related-cases a")).to_have_text([other.title])
    assert page.console_errors == []


def test_reveal_by_clicking_works_without_javascript(live_server, browser, cases):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + cases.get_absolute_url())
    assert page.locator("#answer").count() == 0
    page.click("text=Reveal diagnosis")
    page.wait_for_url(f"**{cases.get_answer_url()}")
    assert page.locator(".final-diagnosis").inner_text() == "Intramedullary spinal cord metastasis"
    context.close()


def test_phone_width_has_no_horizontal_scroll(live_server, browser, cases):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for url in ("/", cases.get_absolute_url(), cases.get_answer_url()):
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
    context.close()
