"""Cases held for assessment (an exam's) and cases scheduled for a later date.

Until its time, such a case is absent for residents and anonymous visitors from everything that
could lead to it: the list and its counts, search, the diagnosis pages, its own addresses and
images. Faculty and editors still see it. When its time comes, the first request anywhere lets it
into the library.
"""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from cases.casefiles import export_cases, import_cases
from cases.editorial import PublishRefused, hold_case, publish_case, release_case
from cases.models import Case, ContentVersion, release_due_cases
from teaching.models import Assignment, AssignmentCase

from .factories import make_case

pytestmark = pytest.mark.django_db

# Words only the held case uses: its title, its presentation and its final diagnosis.
TITLE = "Rower with thoracic pain (held)"
PRESENTATION_WORD = "quadrireme"
ENTITY = "Zygomorphic vertebral hamartoma"


@pytest.fixture
def held():
    case = make_case(
        title=TITLE,
        presentation=f"Thoracic pain after a {PRESENTATION_WORD} regatta.",
        final=ENTITY,
        final_aliases="",
        status=Case.Status.DRAFT,
    )
    case.held_until = timezone.now() + timedelta(days=7)
    case.save()
    hold_case(case=case, by=None)
    case.refresh_from_db()
    return case


@pytest.fixture
def library():
    return make_case(title="Library case everyone may open")


@pytest.fixture
def resident():
    return User.objects.create_user("resident")


@pytest.fixture
def faculty():
    user = User.objects.create_user("faculty")
    user.user_permissions.add(Permission.objects.get(codename="view_held_case"))
    return user


def pages_of(client, case):
    """Every response through which a resident could meet the case."""
    entity = case.differentials.get(is_final=True).diagnosis
    return {
        "list": client.get("/"),
        "french list": client.get("/fr/"),
        "filtered list": client.get("/?compartment=intradural_extramedullary"),
        "search": client.get(f"/?q={PRESENTATION_WORD}"),
        "diagnoses": client.get("/diagnoses/"),
        "entity": client.get(f"/diagnoses/{entity.slug}/"),
        "entity's cases": client.get(f"/diagnoses/{entity.slug}/cases/"),
        "case page": client.get(case.get_absolute_url()),
        "answer page": client.get(case.get_answer_url()),
        "quiz start": client.get("/quiz/"),
    }


def mentions(response):
    text = response.content.decode()
    if f"q={PRESENTATION_WORD}" in response.request["QUERY_STRING"]:
        text = text.replace(PRESENTATION_WORD, "")  # the search box and the quiz link echo the query
    # The vocabulary lists the held case's entity among the others (an exam offers it as an option;
    # missing from the list, it would single the held case out), but nothing names the case.
    if response.request["PATH_INFO"].startswith("/diagnoses/"):
        text = text.replace(ENTITY, "")
    return [word for word in (TITLE, PRESENTATION_WORD, ENTITY, "(held)") if word in text]


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_a_held_case_is_absent_from_every_page_a_resident_can_reach(client, held, library, resident, who):
    if who == "resident":
        client.force_login(resident)
    responses = pages_of(client, held)
    assert {name: mentions(response) for name, response in responses.items() if mentions(response)} == {}
    assert responses["case page"].status_code == 404
    assert responses["answer page"].status_code == 404
    assert ENTITY in responses["diagnoses"].content.decode()  # in the vocabulary, with no case named
    assert responses["entity's cases"].status_code == 200  # and lists no case (mentions above)
    assert "1 case" in responses["list"].content.decode()  # the count leaves it out too
    assert "0 cases match your filters" in responses["search"].content.decode()


def test_faculty_open_a_held_case_with_a_notice_and_editors_see_it_in_the_list(client, admin_client, held, faculty):
    client.force_login(faculty)
    page = client.get(held.get_absolute_url())
    assert page.status_code == 200
    assert TITLE in page.content.decode() and "Held for assessment" in page.content.decode()
    assert client.get(held.get_answer_url()).status_code == 200
    assert TITLE not in client.get("/").content.decode()  # the library itself stays the residents'
    listed = admin_client.get("/").content.decode()
    assert TITLE in listed and "Held for assessment" in listed


def test_a_held_case_joins_the_library_on_the_first_request_after_its_release_time(client, held):
    assert client.get(held.get_absolute_url()).status_code == 404
    # Time passes: the release date is now behind us.
    Case.objects.filter(pk=held.pk).update(held_until=timezone.now() - timedelta(minutes=1))
    ContentVersion.objects.filter(pk=1).update(next_release=time.time() - 60)
    assert TITLE in client.get("/").content.decode()
    assert client.get(held.get_absolute_url()).status_code == 200
    held.refresh_from_db()
    assert held.status == Case.Status.PUBLISHED
    assert held.published_at == held.held_until  # "Recently published" dates it from its release
    assert ContentVersion.objects.get().next_release is None  # nothing else waits


def test_the_next_release_time_follows_the_earliest_waiting_case(held):
    version = ContentVersion.objects.get()
    assert version.next_release == pytest.approx(held.held_until.timestamp())
    release_case(case=held, by=None)
    assert ContentVersion.objects.get().next_release is None
    assert Case.objects.get(pk=held.pk).status == Case.Status.PUBLISHED


def test_a_case_held_with_no_date_waits_for_faculty_to_release_it(client, library):
    case = make_case(title=TITLE, status=Case.Status.DRAFT)
    hold_case(case=case, by=None)
    assert release_due_cases(now=timezone.now() + timedelta(days=3650)) == []
    assert client.get(case.get_absolute_url()).status_code == 404
    release_case(case=case, by=None)
    assert client.get(case.get_absolute_url()).status_code == 200


def test_a_scheduled_case_stays_out_until_its_publication_time(client, library):
    case = make_case(title="Case of the week", status=Case.Status.DRAFT)
    case.publish_at = timezone.now() + timedelta(hours=2)
    case.save()
    publish_case(case=case, by=None)
    case.refresh_from_db()
    assert case.status == Case.Status.SCHEDULED and case.published_at is None
    assert "Case of the week" not in client.get("/").content.decode()
    assert client.get(case.get_absolute_url()).status_code == 404

    Case.objects.filter(pk=library.pk).update(published_at=timezone.now() - timedelta(days=2))
    Case.objects.filter(pk=case.pk).update(publish_at=timezone.now() - timedelta(seconds=5))
    ContentVersion.objects.filter(pk=1).update(next_release=time.time() - 5)
    recent = client.get("/?sort=recent").content.decode()
    assert recent.index("Case of the week") < recent.index("Library case everyone may open")


def test_holding_checks_the_case_like_publishing_does():
    case = make_case(title=f"{ENTITY} in a rower", final=ENTITY, status=Case.Status.DRAFT)
    with pytest.raises(PublishRefused, match="not held: it gives the answer away"):
        hold_case(case=case, by=None)
    assert Case.objects.get(pk=case.pk).status == Case.Status.DRAFT


def test_the_admin_holds_and_releases_cases_with_its_actions(admin_client, library):
    changelist = "/admin/cases/case/"
    admin_client.post(changelist, {"action": "hold", "_selected_action": [library.pk]})
    assert Case.objects.get(pk=library.pk).status == Case.Status.HELD
    assert admin_client.get(changelist + "?status__exact=held").content.decode().count(library.title) >= 1
    admin_client.post(changelist, {"action": "release", "_selected_action": [library.pk]})
    assert Case.objects.get(pk=library.pk).status == Case.Status.PUBLISHED


def test_case_files_carry_the_release_date_and_a_file_can_hold_a_term_of_exam_cases(held):
    data = export_cases(fmt="yaml")
    assert "held_until:" in data and "status: held" in data
    Case.objects.filter(pk=held.pk).delete()
    import_cases(text=data)  # raises CaseFileError on any problem
    again = Case.objects.get(slug=held.slug)
    assert again.status == Case.Status.HELD and again.held_until == held.held_until
    assert export_cases(fmt="yaml") == data

    # A file written ahead of term: published, held until the exam.
    later = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    line = next(line for line in data.splitlines() if "held_until:" in line)
    edited = data.replace("status: held", "status: published").replace(line, f"    held_until: {later.isoformat()}")
    assert "status: held" not in edited and later.isoformat() in edited
    import_cases(text=edited)
    again = Case.objects.get(slug=held.slug)
    assert again.status == Case.Status.HELD and again.held_until == later


def test_faculty_see_what_is_held_and_release_a_case_when_its_exam_is_over(client, held, faculty, resident):
    assert client.get("/teaching/held/").status_code == 302  # anonymous: sign in first
    client.force_login(resident)
    assert client.get("/teaching/held/").status_code == 403
    assert client.post(f"/teaching/held/{held.slug}/release/").status_code == 403
    assert Case.objects.get(pk=held.pk).status == Case.Status.HELD

    faculty.user_permissions.add(Permission.objects.get(codename="view_cohort"))
    client.force_login(faculty)
    listing = client.get("/teaching/held/").content.decode()
    assert TITLE in listing and "Release now" not in listing  # a colleague's exam case
    assert client.post(f"/teaching/held/{held.slug}/release/").status_code == 404
    exam = Assignment.objects.create(title="Exam", due_at=timezone.now() + timedelta(days=1), created_by=faculty)
    AssignmentCase.objects.create(assignment=exam, case=held, position=1)
    assert "Release now" in client.get("/teaching/held/").content.decode()
    response = client.post(f"/teaching/held/{held.slug}/release/", follow=True)
    assert "is now in the library" in response.content.decode()
    assert Case.objects.get(pk=held.pk).status == Case.Status.PUBLISHED
    assert client.post(f"/teaching/held/{held.slug}/release/").status_code == 404  # nothing left to release
    client.logout()
    assert client.get(held.get_absolute_url()).status_code == 200


def test_the_faculty_pages_on_held_cases_are_valid_html(client, held, faculty, tmp_path):
    from .markup import assert_valid_html

    faculty.user_permissions.add(Permission.objects.get(codename="view_cohort"))
    client.force_login(faculty)
    assert_valid_html(
        [
            ("held cases", client.get("/teaching/held/")),
            ("held case page", client.get(held.get_absolute_url())),
            ("held case answer", client.get(held.get_answer_url())),
        ],
        tmp_path,
    )


def test_holding_a_case_with_last_terms_release_date_keeps_it_held(client):
    case = make_case(title=TITLE, status=Case.Status.DRAFT)
    Case.objects.filter(pk=case.pk).update(held_until=timezone.now() - timedelta(days=90))
    case.refresh_from_db()
    hold_case(case=case, by=None)
    case.refresh_from_db()
    assert case.status == Case.Status.HELD and case.held_until is None  # until released by hand
    assert client.get(case.get_absolute_url()).status_code == 404


def test_publishing_again_dates_the_case_from_now_not_from_an_old_schedule():
    case = make_case(title="Once scheduled", status=Case.Status.DRAFT)
    Case.objects.filter(pk=case.pk).update(publish_at=timezone.now() - timedelta(days=400))
    case.refresh_from_db()
    publish_case(case=case, by=None)
    case.refresh_from_db()
    assert case.status == Case.Status.PUBLISHED
    assert case.published_at > timezone.now() - timedelta(minutes=1)


def test_a_case_file_date_without_an_offset_is_read_in_the_sites_time_zone(held):
    data = export_cases(fmt="yaml")
    line = next(line for line in data.splitlines() if "held_until:" in line)
    import_cases(text=data.replace(line, "    held_until: '2027-03-01T08:00'"))
    expected = timezone.make_aware(timezone.datetime(2027, 3, 1, 8, 0))
    assert Case.objects.get(pk=held.pk).held_until == expected
