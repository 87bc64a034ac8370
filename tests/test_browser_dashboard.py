"""Faculty read an assignment's results in a real browser: charts drawn, no CSP error, accessible."""

import pytest
from playwright.sync_api import expect

from .dashboard_helpers import thursday_exam
from .teaching_helpers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.goto(base + "/accounts/login/?next=/teaching/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def serious_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_faculty_read_the_results_with_charts_at_desktop_and_phone_width(live_server, page, scheme, tmp_path):
    exam = thursday_exam()
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server.url, "fay")
    expect(page.locator("h1")).to_have_text("Teaching")
    page.click("text=Thursday unknowns")
    expect(page.locator("h1")).to_contain_text("Results: Thursday unknowns")
    charts = page.locator("figure.chart svg[role=img]")
    expect(charts).to_have_count(4)
    box = charts.first.bounding_box()
    assert box["width"] > 300 and box["height"] > 40  # drawn, not collapsed
    assert page.locator(".chart__bar").first.bounding_box()["width"] > 0
    page.locator(".chart__numbers summary").first.click()
    expect(page.locator(".chart__numbers table").first).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / f"results-{scheme}-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    assert charts.first.bounding_box()["width"] <= 390
    page.screenshot(path=str(tmp_path / f"results-{scheme}-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/teaching/cohorts/{exam['cohort'].pk}/residents/{exam['ada'].pk}/")
    expect(page.locator("h1")).to_have_text("Ada Lovelace")
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / f"resident-{scheme}-phone.png"), full_page=True)
