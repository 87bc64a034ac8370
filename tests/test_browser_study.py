"""In a browser: bookmark a case, keep a note, and press "j" to go to the next case of the filtered list."""

import re

import pytest
from django.contrib.auth.models import User

from study.models import Bookmark, Note

from .factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough password 42"


def make(title, compartment):
    return make_case(title=title, findings=[{"compartment": compartment}])


def test_bookmark_note_and_next_case_with_the_keyboard(live_server, page):
    User.objects.create_user("ada", password=PASSWORD)
    make("A: woman with back pain", "intramedullary")
    make("B: man with numb feet", "extradural")
    make("C: woman with leg weakness", "intramedullary")

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button:text('Sign in')")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    page.goto(live_server.url + "/?compartment=intramedullary")
    page.click("text=A: woman with back pain")
    assert "?list=compartment%3Dintramedullary" in page.url

    page.click("button:has-text('Bookmark this case')")
    page.wait_for_selector("text=Remove bookmark")
    page.fill("textarea[name=text]", "Check the conus next time")
    page.keyboard.press("j")  # typing in the note: no navigation
    assert page.input_value("textarea[name=text]") == "Check the conus next timej"
    page.fill("textarea[name=text]", "Check the conus next time")
    page.click("button:has-text('Save note')")
    page.wait_for_load_state()
    assert page.input_value("textarea[name=text]") == "Check the conus next time"
    assert Bookmark.objects.filter(user__username="ada").count() == 1
    assert Note.objects.get().text == "Check the conus next time"

    page.locator("body").click(position={"x": 5, "y": 5})  # leave the form field
    page.keyboard.press("j")
    page.wait_for_url("**/cases/c-woman-with-leg-weakness/**")  # B is extradural: skipped
    assert page.locator("h1").inner_text() == "C: woman with leg weakness"
    page.keyboard.press("k")
    page.wait_for_url("**/cases/a-woman-with-back-pain/**")

    page.goto(live_server.url + "/")
    marks = page.locator("article.card", has_text="A: woman with back pain").locator(".card__marks")
    assert marks.inner_text().split() == ["◉", "Seen"]
    page.goto(live_server.url + "/bookmarks/")
    assert "Check the conus next time" in page.content()


def test_signed_in_study_pages_have_no_serious_accessibility_violations(live_server, page):
    from axe_playwright_python.sync_playwright import Axe

    User.objects.create_user("ada", password=PASSWORD)
    case = make("A: woman with back pain", "intramedullary")
    make("B: man with numb feet", "intramedullary")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button:text('Sign in')")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    page.goto(live_server.url + case.get_absolute_url())
    page.click("button:has-text('Bookmark this case')")
    page.wait_for_selector("text=Remove bookmark")
    page.fill("textarea[name=text]", "A note")
    page.click("button:has-text('Save note')")
    page.wait_for_load_state()
    problems = []
    for path in ("/", case.get_absolute_url(), case.get_answer_url(), "/bookmarks/"):
        page.goto(live_server.url + path)
        problems += [
            f"{path}: {v['id']} ({v['impact']}): {v['help']}"
            for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    assert not problems, "\n".join(problems)
