"""A resident taking quizzes in a real browser, by clicking: a practice run and an exam run."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cases.anatomy import Level
from quiz.models import Attempt, QuizRun, ReviewCard

from .factories import make_case, make_diagnosis

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough password 42"


@pytest.fixture
def cases():
    for name in ("Spinal lymphoma", "Multiple sclerosis", "Spinal arachnoid web", "Disc herniation"):
        make_diagnosis(name)
    return [
        make_case(title="35-year-old woman with left leg weakness", levels=((Level.L1, Level.L2),)),
        make_case(
            title="Man with neck pain",
            levels=((Level.C5, Level.C6),),
            sex="male",
            final="Radiation myelitis",
            final_aliases="",
            differentials=("Multiple sclerosis",),
            findings=[{"compartment": "intramedullary"}],
        ),
    ]


def final_of(n):
    """The final diagnosis of question n of the latest run (looked up in the database, as a cheat sheet)."""
    question = QuizRun.objects.latest("created_at").questions.get(position=n)
    return question.case.differentials.get(is_final=True).diagnosis.name


def test_a_practice_quiz_from_the_case_list_by_clicking(live_server, page, cases):
    User.objects.create_user("ada", password=PASSWORD)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button:text('Sign in')")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    page.goto(live_server.url + "/")
    page.click("text=Quiz me on these cases")
    expect(page.locator("text=2 published cases match these filters.")).to_have_count(1)
    page.fill("#id_count", "2")
    page.click("button:text('Start the quiz')")

    for n in (1, 2):
        expect(page).to_have_title(f"Unknown {n} of 2 · Casebook")
        final = final_of(n)
        assert page.locator(f"text={final}").count() == 0
        unknown = QuizRun.objects.latest("created_at").questions.get(position=n).case
        assert unknown.title not in page.content() and unknown.slug not in page.content()
        page.fill("#id_answer", final.lower() if n == 1 else "Spinal lymphoma")
        page.dblclick("button:text('Commit my answer')")  # a double click commits once
        page.wait_for_selector(".verdict")
        assert page.locator("#verdict-heading").inner_text() == ("Correct" if n == 1 else "Wrong")
        assert page.locator(".final-diagnosis").inner_text() == final
        checked = page.locator("input[name=recall]:checked").get_attribute("value")
        assert checked == ("3" if n == 1 else "1")  # Good for a hit, Again for a miss
        if n == 1:
            page.keyboard.press("4")  # quiz.js: 1–4 choose a rating
            assert page.locator("input[name=recall]:checked").get_attribute("value") == "4"
        page.click("button:text('Save rating and continue')")

    expect(page).to_have_title("Quiz results · Casebook")
    assert page.locator(".score").inner_text().startswith("1 of 2 correct")
    assert Attempt.objects.count() == 2
    assert sorted(Attempt.objects.values_list("recall", flat=True)) == [1, 4]
    assert ReviewCard.objects.filter(user__username="ada").count() == 2
    page.click("text=Your progress")
    expect(page.locator(".score")).to_contain_text("1 of 2 answers correct")


def test_an_exam_in_multiple_choice_by_clicking(live_server, page, cases):
    page.goto(live_server.url + "/quiz/")
    page.check("input[value=exam]")
    page.check("input[value=multiple_choice]")
    page.click("button:text('Start the quiz')")

    for n in (1, 2):
        expect(page).to_have_title(f"Unknown {n} of 2 · Casebook")
        options = page.locator(".options label").all_inner_texts()
        assert len(options) >= 5 and options == sorted(options, key=str.casefold)
        page.click(f".options label:text-is('{final_of(1)}')" if n == 1 else ".options label >> nth=0")
        page.click("button:text('Commit my answer')")
        if n == 1:
            page.wait_for_url(re.compile(r"/2/$"))
            assert page.locator(".verdict, .final-diagnosis").count() == 0  # no answer until the end

    expect(page).to_have_title("Quiz results · Casebook")
    results = page.locator(".results-table").inner_text()
    assert final_of(1) in results and final_of(2) in results
    page.locator("text=Review and rate").first.click()
    expect(page.locator(".final-diagnosis")).to_have_text(final_of(1))
    with page.expect_navigation():
        page.click("button:text('Save rating')")
    assert Attempt.objects.filter(recall__isnull=False).count() == 1


def test_a_quiz_works_without_javascript(live_server, browser, cases):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/quiz/?region=lumbar")
    page.click("button:text('Start the quiz')")
    page.fill("#id_answer", "Intradural extramedulary metastasis")  # a typo
    page.click("button:text('Commit my answer')")
    page.click("button:text('Yes, I meant Intradural extramedullary metastasis')")
    expect(page.locator("#verdict-heading")).to_have_text("Close (typo confirmed)")
    assert page.locator("input[name=recall]:checked").get_attribute("value") == "2"  # Hard
    page.click("button:text('Save rating and continue')")
    expect(page).to_have_title("Quiz results · Casebook")
    context.close()


def test_quiz_pages_have_no_serious_accessibility_violations(live_server, page, cases):
    from axe_playwright_python.sync_playwright import Axe

    axe, problems = Axe(), []

    def check(name):
        problems.extend(
            f"{name}: {v['id']} ({v['impact']}): {v['help']}"
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        )

    page.goto(live_server.url + "/quiz/")
    check("start")
    page.check("input[value=multiple_choice]")
    page.fill("#id_count", "1")
    page.click("button:text('Start the quiz')")
    check("question (multiple choice)")
    page.click("button:text('Commit my answer')")  # nothing chosen: the form explains
    check("question with an error")
    page.locator(".options label >> nth=0").click()
    page.click("button:text('Commit my answer')")
    check("reveal")
    page.click("button:text('Save rating and continue')")
    check("results")
    page.goto(live_server.url + "/progress/")
    check("progress (anonymous)")
    assert not problems, "\n".join(problems)
