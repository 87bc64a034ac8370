"""In a real browser: faculty create a cohort and an invitation link; a resident signs up through it and joins."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from teaching.models import Cohort

from .teaching_helpers import PASSWORD, make_faculty

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_faculty_invite_and_a_resident_signs_up_through_the_link(live_server, browser, page):
    make_faculty("dr-grey")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "dr-grey")
    page.fill("#id_password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    page.click("nav >> text=Teaching")
    page.get_by_role("link", name="Cohorts and invitations").click()
    expect(page).to_have_title("My cohorts · Casebook")
    page.fill("#id_name", "Neuroradiology 2027")
    page.click("button:text('Create the cohort')")
    expect(page.locator("h1")).to_have_text("Neuroradiology 2027")
    page.fill("#id_max_uses", "10")
    page.click("button:text('Create the link')")
    link = page.locator(".invitation-link").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/join/[\w-]+/", link)
    expect(page.locator("text=0 of 10")).to_have_count(1)

    # The resident, in a browser of their own.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    resident = context.new_page()
    errors = []
    resident.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    resident.goto(live_server.url + "/accounts/login/")
    resident.click("text=Join")
    resident.fill("#id_code", link)
    resident.click("button:text('Continue')")
    expect(resident.locator("h1")).to_have_text("Join Neuroradiology 2027")
    resident.fill("#id_username", "ada")
    resident.fill("#id_email", "ada@example.org")
    resident.fill("#id_password1", PASSWORD)
    resident.fill("#id_password2", PASSWORD)
    resident.click("button:text('Create my account and join')")
    expect(resident.locator(".messages")).to_contain_text("Welcome, ada: you have joined Neuroradiology 2027.")
    expect(resident.get_by_role("navigation", name="Main")).to_contain_text("Sign out ada")
    expect(resident.get_by_role("navigation", name="Main").get_by_text("Teaching")).to_have_count(0)
    context.close()
    assert errors == []

    ada = User.objects.get(username="ada")
    assert list(Cohort.objects.get(name="Neuroradiology 2027").residents.all()) == [ada]
    page.reload()
    expect(page.locator("text=ada@example.org")).to_have_count(1)
    expect(page.locator("text=1 of 10")).to_have_count(1)
