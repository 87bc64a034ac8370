"""The assignment pages in Chromium: no serious accessibility problem, no console error, light or dark."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from cases.models import Case
from tests.factories import make_case
from tests.teaching_helpers import make_assignment, make_cohort, make_faculty

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, user, scheme):
    client = Client()
    client.force_login(user)
    context = browser.new_context(color_scheme=scheme)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_assignment_pages_have_no_serious_accessibility_violations(live_server, browser, scheme):
    from axe_playwright_python.sync_playwright import Axe

    ada, grace = User.objects.create_user("ada"), make_faculty("grace")
    cohort = make_cohort("PGY-2", faculty=[grace], residents=[ada])
    assignment = make_assignment(
        cohorts=[cohort],
        cases=[make_case(status=Case.Status.HELD), make_case()],
        time_limit=timedelta(minutes=20),
        created_by=grace,
    )
    make_assignment(cohorts=[cohort], cases=[make_case()], title="Upcoming", opens_in=24, due_in=48)
    problems, console = [], []
    for user, paths in [
        (ada, ["/", "/assignments/", f"/assignments/{assignment.pk}/", "/progress/"]),
        (grace, ["/teaching/assignments/new/", f"/teaching/assignments/{assignment.pk}/edit/"]),
    ]:
        context = signed_in(browser, live_server, user, scheme)
        page = context.new_page()
        page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
        for path in paths:
            page.goto(live_server.url + path)
            problems += [
                f"{path}: {v['id']} ({v['impact']}): {v['help']}"
                for v in Axe().run(page).response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        if user == ada:  # start it, without JavaScript's help: a plain form
            page.goto(live_server.url + f"/assignments/{assignment.pk}/")
            page.get_by_role("button", name="Start").click()
            assert "Unknown 1 of 2" in page.title()
        context.close()
    assert not problems, "\n".join(problems)
    assert console == []
