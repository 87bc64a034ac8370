"""Keyboard only: filter, reveal, answer a quiz question and rate recall, with a visible focus."""

import re

import pytest

from cases.anatomy import Level
from quiz.models import Attempt

from .factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector, text="", limit=80):
    """Press Tab until the element matching the selector (and text) has focus; that focus must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "([s, t]) => document.activeElement.matches(s) && document.activeElement.textContent.includes(t)",
            [selector, text],
        ):
            style = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
            )
            assert style[0] != "none" and style[1] != "0px", f"focus on {selector} is invisible: {style}"
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.fixture
def cases():
    make_case(title="Man with neck pain", levels=((Level.C5, Level.C6),), sex="male")
    return make_case(
        title="35-year-old woman with left leg weakness",
        levels=((Level.L1, Level.L1),),
        final="Intradural extramedullary metastasis",
        final_aliases="IDEM metastasis",
    )


def test_filter_open_and_reveal_without_a_mouse(live_server, page, cases):
    page.goto(live_server.url + "/")
    tab_to(page, "#id_region")
    for _ in range(3):  # Any → Cervical → Thoracic → Lumbar
        page.keyboard.press("ArrowDown")
    assert page.eval_on_selector("#id_region", "el => el.value") == "lumbar"
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**region=lumbar**")
    assert page.locator(".card").count() == 1
    tab_to(page, ".card__title a")
    page.keyboard.press("Enter")
    # The card carries the list's filters (for "Previous" / "Next" on the case page).
    page.wait_for_url(re.compile(re.escape(cases.get_absolute_url()) + r"\?list=region%3Dlumbar"))
    page.keyboard.press("r")
    page.wait_for_selector("#answer")
    assert page.evaluate("document.activeElement.id") == "answer-heading"
    assert page.locator(".final-diagnosis").inner_text() == "Intradural extramedullary metastasis"


def test_answer_a_quiz_question_and_rate_recall_without_a_mouse(live_server, page, cases):
    page.goto(live_server.url + "/quiz/?region=lumbar")
    tab_to(page, "button[type=submit]", "Start the quiz")
    page.keyboard.press("Enter")
    page.wait_for_url("**/1/")
    tab_to(page, "#id_answer")
    page.keyboard.type("IDEM metastasis")
    page.keyboard.press("Enter")
    page.wait_for_selector(".verdict")
    assert page.locator("#verdict-heading").inner_text() == "Correct"
    tab_to(page, "input[name=recall]:checked")
    page.keyboard.press("ArrowRight")  # Good → Easy
    tab_to(page, "button[type=submit]", "Save rating")
    page.keyboard.press("Enter")
    page.wait_for_url("**/quiz/*/")
    attempt = Attempt.objects.get()
    assert attempt.recall == 4
