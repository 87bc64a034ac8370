"""Faculty set assignments: /teaching/assignments/new/ and /teaching/assignments/<pk>/edit/."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.utils import timezone

from cases.anatomy import Level
from cases.models import Case
from quiz.models import QuizRun
from teaching.models import Assignment, AssignmentCase
from tests.factories import make_case
from tests.teaching_helpers import make_assignment, make_cohort, make_faculty

pytestmark = pytest.mark.django_db
FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def grace(client):
    user = make_faculty("grace")
    client.force_login(user)
    return user


@pytest.fixture
def cohort(grace):
    return make_cohort("PGY-2", faculty=[grace], residents=[User.objects.create_user("ada")])


def form_data(cohort, cases, **kw):
    now = timezone.now()
    return {
        "title": "Thursday unknowns",
        "cohorts": [cohort.pk],
        "source": "picked",
        "picked": [case.pk for case in cases],
        "count": "",
        "mode": "exam",
        "answer_format": "free_text",
        "opens_at": now.strftime(FORMAT),
        "due_at": (now + timedelta(days=2)).strftime(FORMAT),
        "time_limit_minutes": "30",
        "reveal": "after_due",
        "token": "one-time-token",
        **kw,
    }


def test_faculty_create_a_hand_picked_assignment_for_their_cohort(client, grace, cohort):
    first, held = make_case(), make_case(status=Case.Status.HELD)
    response = client.post("/teaching/assignments/new/", form_data(cohort, [first, held]))
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert response["Location"] == f"/teaching/assignments/{assignment.pk}/edit/"
    assert assignment.title == "Thursday unknowns" and assignment.created_by == grace
    assert list(assignment.cohorts.all()) == [cohort]
    assert [(row.position, row.case) for row in AssignmentCase.objects.filter(assignment=assignment)] == [
        (1, first),
        (2, held),
    ]
    assert assignment.time_limit == timedelta(minutes=30)
    assert (assignment.mode, assignment.reveal) == ("exam", "after_due")


def test_the_case_checklist_offers_held_cases_marked_held_and_never_drafts(client, grace, cohort):
    make_case(title="Library case")
    make_case(title="Exam case", status=Case.Status.HELD)
    make_case(title="Unfinished draft", status=Case.Status.DRAFT)
    page = client.get("/teaching/assignments/new/").content.decode()
    assert "Library case" in page and "Exam case (held)" in page
    assert "Unfinished draft" not in page
    assert "Cases cannot change once a resident has started" in page


def test_cases_drawn_from_the_filters_are_drawn_once_and_stored(client, grace, cohort):
    lumbar = {make_case(levels=((Level.L3, Level.L3),)) for _ in range(3)}
    for _ in range(2):
        make_case(levels=((Level.T8, Level.T8),))
    data = form_data(cohort, [], source="filters", count="2", region="lumbar")
    assert client.post("/teaching/assignments/new/", data).status_code == 302
    drawn = [row.case for row in AssignmentCase.objects.order_by("position")]
    assert len(drawn) == 2 and set(drawn) <= lumbar
    assert [row.position for row in AssignmentCase.objects.order_by("position")] == [1, 2]


def test_a_draw_that_matches_nothing_is_an_error_not_an_empty_assignment(client, grace, cohort):
    make_case(levels=((Level.T8, Level.T8),))
    response = client.post(
        "/teaching/assignments/new/", form_data(cohort, [], source="filters", count="5", region="lumbar")
    )
    assert response.status_code == 200
    assert "No case matches these filters." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_form_error_keeps_everything_typed(client, grace, cohort):
    case = make_case()
    now = timezone.now()
    data = form_data(cohort, [case], opens_at=now.strftime(FORMAT), due_at=(now - timedelta(days=1)).strftime(FORMAT))
    response = client.post("/teaching/assignments/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The due date must come after the opening date." in page
    assert 'value="Thursday unknowns"' in page
    assert f'name="picked" value="{case.pk}" id="id_picked_0" checked' in page
    assert 'value="30"' in page
    assert f'value="{data["due_at"]}"' in page
    assert 'value="after_due" required id="id_reveal_2" checked' in page
    assert not Assignment.objects.exists()


def test_no_cases_and_no_cohort_are_errors(client, grace, cohort):
    make_case()
    response = client.post("/teaching/assignments/new/", form_data(cohort, [], cohorts=[]))
    page = response.content.decode()
    assert "Choose at least one case" in page and "This field is required." in page
    assert not Assignment.objects.exists()


def test_a_double_submit_creates_one_assignment(client, grace, cohort):
    data = form_data(cohort, [make_case()])
    first = client.post("/teaching/assignments/new/", data)
    caches["default"].clear()  # as if the second submit reached another server, with a cache of its own
    second = client.post("/teaching/assignments/new/", data)
    assert Assignment.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]
    # A fresh form (a new token) creates another.
    assert client.post("/teaching/assignments/new/", {**data, "token": "another"}).status_code == 302
    assert Assignment.objects.count() == 2


def test_another_faculty_members_cohorts_are_neither_offered_nor_accepted(client, grace, cohort):
    other = make_cohort("Other programme", faculty=[make_faculty("alan")])
    page = client.get("/teaching/assignments/new/").content.decode()
    assert "PGY-2" in page and "Other programme" not in page
    response = client.post("/teaching/assignments/new/", form_data(cohort, [make_case()], cohorts=[other.pk]))
    assert response.status_code == 200 and not Assignment.objects.exists()


def test_another_faculty_members_assignment_is_not_found(client, grace, cohort):
    alan = make_faculty("alan")
    theirs = make_assignment(cohorts=[make_cohort("Other", faculty=[alan])], cases=[make_case()], created_by=alan)
    assert client.get(f"/teaching/assignments/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/teaching/assignments/{theirs.pk}/edit/", {"title": "Mine now"}).status_code == 404
    assert client.get("/teaching/assignments/999999/edit/").status_code == 404
    assert Assignment.objects.get().title == "Thursday conference"


def test_residents_are_refused_and_visitors_asked_to_sign_in(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case()])
    client.logout()
    assert client.get("/teaching/assignments/new/")["Location"].startswith("/accounts/login/")
    assert client.get(f"/teaching/assignments/{assignment.pk}/edit/")["Location"].startswith("/accounts/login/")
    client.force_login(User.objects.get(username="ada"))
    assert client.get("/teaching/assignments/new/").status_code == 403
    assert client.get(f"/teaching/assignments/{assignment.pk}/edit/").status_code == 403


def test_cases_cannot_change_once_a_resident_has_started_but_dates_can(client, grace, cohort):
    first, second = make_case(), make_case()
    assignment = make_assignment(cohorts=[cohort], cases=[first], created_by=grace)
    QuizRun.objects.create(user=User.objects.get(username="ada"), assignment=assignment, mode="exam")
    page = client.get(f"/teaching/assignments/{assignment.pk}/edit/").content.decode()
    assert "1 resident has started this assignment, so its cases can no longer change" in page
    data = form_data(cohort, [second], title="Renamed")
    assert client.post(f"/teaching/assignments/{assignment.pk}/edit/", data).status_code == 302
    assignment.refresh_from_db()
    assert assignment.title == "Renamed" and assignment.reveal == "after_due"
    assert [row.case for row in assignment.assignment_cases.all()] == [first]


def test_before_anyone_starts_the_cases_can_change(client, grace, cohort):
    first, second = make_case(), make_case()
    assignment = make_assignment(cohorts=[cohort], cases=[first], created_by=grace)
    page = client.get(f"/teaching/assignments/{assignment.pk}/edit/").content.decode()
    assert f'value="{first.pk}" id="id_picked_0" checked' in page
    assert client.post(f"/teaching/assignments/{assignment.pk}/edit/", form_data(cohort, [second])).status_code == 302
    assert [row.case for row in assignment.assignment_cases.all()] == [second]


def test_editing_keeps_the_cohorts_of_other_faculty(client, grace, cohort):
    theirs = make_cohort("Other", faculty=[make_faculty("alan")])
    assignment = make_assignment(cohorts=[cohort, theirs], cases=[make_case()], created_by=grace)
    assert (
        client.post(f"/teaching/assignments/{assignment.pk}/edit/", form_data(cohort, [make_case()])).status_code == 302
    )
    assert set(assignment.cohorts.all()) == {cohort, theirs}


def test_a_co_teacher_reads_the_results_but_cannot_change_another_teachers_assignment(client, grace, cohort):
    alan = make_faculty("alan")
    cohort.faculty.add(alan)
    assignment = make_assignment(
        cohorts=[cohort], cases=[make_case()], created_by=grace, mode="exam", reveal="after_due"
    )
    client.force_login(alan)
    assert client.get(f"/teaching/assignments/{assignment.pk}/results/").status_code == 200
    data = form_data(cohort, [make_case()]) | {"mode": "practice", "reveal": "after_each", "title": "Now practice"}
    assert client.post(f"/teaching/assignments/{assignment.pk}/edit/", data).status_code == 404
    assignment.refresh_from_db()
    assert (assignment.title, assignment.mode, assignment.reveal) == ("Thursday conference", "exam", "after_due")


def test_practice_reveals_after_each_case_and_an_exam_does_not(client, grace, cohort):
    for mode, reveal in [("practice", "after_due"), ("exam", "after_each")]:
        response = client.post(
            "/teaching/assignments/new/", form_data(cohort, [make_case()]) | {"mode": mode, "reveal": reveal}
        )
        assert response.status_code == 200 and "Practice shows each answer after its case" in response.content.decode()
    assert not Assignment.objects.exists()


def test_the_admin_lists_and_edits_assignments_with_their_cases(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case(title="First unknown")])
    client.force_login(User.objects.create_superuser("root", password="x"))
    assert "Thursday conference" in client.get("/admin/teaching/assignment/").content.decode()
    page = client.get(f"/admin/teaching/assignment/{assignment.pk}/change/").content.decode()
    assert "Assignment cases" in page and "First unknown" in page
