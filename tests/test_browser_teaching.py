"""The faculty side end to end, in Chromium: a cohort, an invitation, an exam of three held cases,
a resident who signs up through the link and takes it, then the dashboard and its CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from quiz.models import Attempt
from teaching.models import Assignment

from .factories import make_case
from .teaching_helpers import PASSWORD, make_faculty

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINALS = ["Kummell disease", "Hemangioblastoma", "Epidural lipomatosis"]


def sign_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def test_faculty_give_an_exam_of_held_cases_and_read_what_the_resident_answered(live_server, browser, page):
    base = live_server.url
    make_faculty("dr-grey")
    held = [
        make_case(title=f"Exam unknown {n}", final=final, final_aliases="", status=Case.Status.HELD)
        for n, final in enumerate(FINALS, start=1)
    ]
    make_case(title="A library case")

    # Faculty: a cohort and its invitation link.
    sign_in(page, base, "dr-grey")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teaching").click()
    page.get_by_role("link", name="Cohorts and invitations").click()
    page.fill("#id_name", "Neuroradiology 2027")
    page.click("button:text('Create the cohort')")
    page.click("button:text('Create the link')")
    link = page.locator(".invitation-link").input_value()

    # Faculty: the three held cases as an exam, answers revealed only after the due date.
    page.goto(base + "/teaching/")
    page.get_by_role("link", name="New assignment").click()
    page.fill("#id_title", "Thursday exam")
    page.get_by_label("Neuroradiology 2027").check()
    for case in held:
        page.get_by_label(f"{case.title} (held)").check()
    page.get_by_label("Exam", exact=True).check()
    page.get_by_label("Only after the due date, for everyone").check()
    page.fill("#id_due_at", (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.click("button:text('Create the assignment')")
    assignment = Assignment.objects.get(title="Thursday exam")
    assert [row.case_id for row in assignment.assignment_cases.order_by("position")] == [c.pk for c in held]

    # The resident, on a phone: signs up through the link and takes the exam.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    resident = context.new_page()
    errors = []
    resident.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    resident.goto(link)
    resident.fill("#id_username", "ada")
    resident.fill("#id_email", "ada@example.org")
    resident.fill("#id_password1", PASSWORD)
    resident.fill("#id_password2", PASSWORD)
    resident.click("button:text('Create my account and join')")
    home = resident.content()
    assert "Thursday exam" in home and not any(case.title in home for case in held)
    resident.get_by_role("link", name="Thursday exam").first.click()
    resident.get_by_role("button", name="Start").click()
    for answer in ["Kummell disease", "Schwannoma", "Schwannomas"]:
        expect(resident).to_have_title(re.compile(r"^Unknown \d of 3"))
        page_text = resident.content()
        assert not any(case.title in page_text or case.slug in page_text for case in held)
        resident.fill("#id_answer", answer)
        resident.click("button:text('Commit my answer')")
    results = resident.content()
    assert "Correct" not in results and "Wrong" not in results and FINALS[0] not in results
    # A held case's own page does not exist for residents.
    assert resident.request.get(base + held[0].get_absolute_url()).status == 404
    context.close()
    assert errors == []
    assert Attempt.objects.filter(question__run__assignment=assignment).count() == 3

    # Faculty: the dashboard, the results and the CSV.
    page.goto(base + "/teaching/")
    expect(page.get_by_role("row", name=re.compile("Thursday exam"))).to_contain_text("1")
    page.get_by_role("link", name="Thursday exam").click()
    expect(page.locator("h1")).to_have_text("Results: Thursday exam")
    expect(page.get_by_role("row", name=re.compile("^ada"))).to_contain_text("Finished")
    instead = page.locator("table", has=page.get_by_text("What residents answered instead"))
    expect(instead.first).to_contain_text("Schwannoma")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the results (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert len(rows) == 3
    assert [row[next(k for k in row if "answer" in k.lower())] for row in rows] == [
        "Kummell disease",
        "Schwannoma",
        "Schwannomas",
    ]
