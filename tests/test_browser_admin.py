"""An editor writes, previews and publishes a case in the admin; a resident then finds it. Under the strict CSP."""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from cases.models import Case, Diagnosis
from tests.factories import make_diagnosis, make_primary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-enough-passphrase"
TITLE = "61-year-old man with thoracic back pain and a known lung primary"


@pytest.fixture(autouse=True)
def groups():
    """The groups, made as their data migration makes them: an earlier live-server test's flush removed them."""
    import_module("cases.migrations.0003_editor_and_resident_groups").make_groups(django_apps)
    import_module("imaging.migrations.0002_editors_manage_images").add_to_editors(django_apps)


def make_user(username, *, group, is_staff):
    user = User.objects.create_user(username, password=PASSWORD, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=group))
    return user


def sign_in(page, username):
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form [type=submit]").click()


def test_an_editor_writes_previews_and_publishes_a_case_that_a_resident_then_finds(live_server, page):
    make_user("editor", group="Editors", is_staff=True)
    make_user("resident", group="Residents", is_staff=False)
    make_primary("Lung adenocarcinoma")
    make_diagnosis("Vertebral metastasis")
    make_diagnosis("Multiple myeloma")

    page.goto(live_server.url + "/admin/")
    sign_in(page, "editor")
    page.get_by_text("Site administration").wait_for()
    page.goto(live_server.url + "/admin/cases/case/add/")

    page.locator("#id_title_en").press_sequentially(TITLE)  # the slug follows as one types
    assert page.input_value("#id_slug") == "61-year-old-man-with-thoracic-back-pain-and-a-known-lung-primary"
    page.fill("#id_age", "61")
    page.select_option("#id_sex", "male")
    page.select_option("#id_known_primary", label="Lung adenocarcinoma")
    page.fill("#id_presentation_en", "Six weeks of *thoracic* back pain, worse at night.")
    page.select_option("#id_level_spans-0-first_level", label="T8")
    page.select_option("#id_level_spans-0-last_level", label="T9")

    page.select_option("#id_findings-0-modality", "mri")
    page.fill("#id_findings-0-description_en", "Diffuse low T1 signal in T8.")
    page.get_by_role("button", name="Add another Imaging finding").click()
    page.select_option("#id_findings-1-modality", "ct")
    page.fill("#id_findings-1-description_en", "Lytic destruction of the left pedicle.")

    page.select_option("#id_differentials-0-diagnosis", label="Vertebral metastasis")
    page.check("#id_differentials-0-is_final")
    page.select_option("#id_differentials-1-diagnosis", label="Multiple myeloma")
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_text("was added successfully").wait_for()

    case = Case.objects.get()
    assert case.status == Case.Status.DRAFT
    assert [f.modality for f in case.findings.all()] == ["mri", "ct"]
    assert case.differentials.count() == 2

    page.get_by_role("link", name="View on site").click()
    page.get_by_role("heading", name=TITLE).wait_for()
    assert "Draft preview" in page.content()
    assert "thoracic</em> back pain" in page.content()

    page.goto(live_server.url + "/admin/cases/case/")
    page.get_by_role("row", name=re.compile(TITLE)).get_by_role("checkbox").check()
    page.select_option("select[name=action]", "publish")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("Published 1 case.").wait_for()
    page.get_by_role("button", name="Log out").click()

    page.goto(live_server.url + "/accounts/login/")
    sign_in(page, "resident")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name=TITLE).wait_for()
    case.refresh_from_db()
    assert case.published_by.username == "editor"


def test_an_editor_merges_two_diagnosis_entries_through_the_confirmation_page(live_server, page):
    make_user("editor", group="Editors", is_staff=True)
    make_diagnosis("Spinal epidural abscess")
    make_diagnosis("Epidural abscess")

    page.goto(live_server.url + "/admin/cases/diagnosis/")
    sign_in(page, "editor")
    # Tick each row itself: the select-all box needs the admin's script, which may not be ready yet.
    rows = page.locator("input[name=_selected_action]")
    expect(rows).to_have_count(2)
    for n in range(2):
        rows.nth(n).check()
    page.select_option("select[name=action]", "merge")
    page.get_by_role("button", name="Go").click()
    page.get_by_role("radio", name=re.compile("Spinal epidural abscess")).check()
    page.get_by_role("button", name="Merge").click()

    page.get_by_text("Merged Epidural abscess into Spinal epidural abscess.").wait_for()
    assert [d.name for d in Diagnosis.objects.all()] == ["Spinal epidural abscess"]
