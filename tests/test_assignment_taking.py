"""Residents take assignments: /assignments/, /assignments/<pk>/, and the rules while answering."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, Diagnosis
from quiz.models import Attempt, QuizRun
from teaching.models import Assignment
from tests.factories import make_case
from tests.quiz_helpers import question_url
from tests.teaching_helpers import make_assignment, make_cohort

pytestmark = pytest.mark.django_db
DIAGNOSIS = "Kummell disease"  # distinctive: no other case, page or string of the site names it


@pytest.fixture
def ada(client):
    user = User.objects.create_user("ada")
    client.force_login(user)
    return user


@pytest.fixture
def cohort(ada):
    return make_cohort("PGY-2", residents=[ada])


def section(page, group):
    """The titles listed under one heading of /assignments/ (due_soon, open, upcoming, done)."""
    match = re.search(rf'<section class="assigned assigned--{group}".*?</section>', page, re.S)
    return re.findall(r'<a href="/assignments/\d+/">([^<]+)</a>', match.group(0)) if match else []


def start(client, assignment):
    response = client.post(f"/assignments/{assignment.pk}/")
    assert response.status_code == 302, response
    return response


def test_assigned_to_me_groups_due_soon_open_upcoming_and_done(client, cohort, ada):
    case = make_case()
    make_assignment(cohorts=[cohort], cases=[case], title="Due tomorrow", due_in=24)
    make_assignment(cohorts=[cohort], cases=[case], title="Due next week", due_in=24 * 7)
    make_assignment(cohorts=[cohort], cases=[case], title="Opens Monday", opens_in=48, due_in=96)
    make_assignment(cohorts=[cohort], cases=[case], title="Last week", opens_in=-24 * 8, due_in=-24)
    finished = make_assignment(cohorts=[cohort], cases=[case], title="Already done", due_in=24 * 3)
    QuizRun.objects.create(user=ada, assignment=finished, mode="exam", finished_at=timezone.now())
    make_assignment(cohorts=[make_cohort("Others")], cases=[case], title="Not for this cohort")

    page = client.get("/assignments/").content.decode()
    assert section(page, "due_soon") == ["Due tomorrow"]
    assert section(page, "open") == ["Due next week"]
    assert section(page, "upcoming") == ["Opens Monday"]
    assert section(page, "done") == ["Last week", "Already done"]
    assert page.index("Due soon") < page.index("Open") < page.index("Upcoming") < page.index("Done")
    assert "Not for this cohort" not in page
    assert case.title not in page


def test_the_home_and_progress_pages_list_open_assignments_only(client, cohort):
    make_assignment(cohorts=[cohort], cases=[make_case()], title="Due tomorrow", due_in=24)
    make_assignment(cohorts=[cohort], cases=[make_case()], title="Opens Monday", opens_in=48, due_in=96)
    for url in ["/", "/progress/"]:
        page = client.get(url).content.decode()
        assert "Assigned to me" in page and "Due tomorrow" in page and "Opens Monday" not in page
        assert 'href="/assignments/"' in page
    client.logout()
    assert "Assigned to me" not in client.get("/").content.decode()


def test_the_assignment_page_gives_the_rules_never_the_cases(client, cohort):
    held = make_case(title="Held exam case with a telling title", status=Case.Status.HELD, final=DIAGNOSIS)
    assignment = make_assignment(
        cohorts=[cohort], cases=[held, make_case()], mode="exam", reveal="after_due", time_limit=timedelta(minutes=20)
    )
    page = client.get(f"/assignments/{assignment.pk}/").content.decode()
    assert "Thursday conference" in page and "20 minutes once started" in page
    assert "<dt>Cases</dt><dd>2</dd>" in page
    assert "Only after the due date, for everyone" in page
    assert held.title not in page and DIAGNOSIS not in page


def test_visitors_are_asked_to_sign_in(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case()])
    client.logout()
    for response in [
        client.get("/assignments/"),
        client.get(f"/assignments/{assignment.pk}/"),
        client.post(f"/assignments/{assignment.pk}/"),
    ]:
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not QuizRun.objects.exists()


def test_a_resident_outside_the_cohorts_gets_not_found(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case()])
    client.force_login(User.objects.create_user("bob"))
    assert client.get(f"/assignments/{assignment.pk}/").status_code == 404
    assert client.post(f"/assignments/{assignment.pk}/").status_code == 404
    assert client.get("/assignments/999999/").status_code == 404
    assert "Thursday conference" not in client.get("/assignments/").content.decode()
    assert not QuizRun.objects.exists()


def test_starting_twice_continues_the_same_run_with_the_cases_in_order(client, cohort, ada):
    cases = [make_case() for _ in range(3)]
    assignment = make_assignment(cohorts=[cohort], cases=cases[::-1], reveal="after_each", answer_format="free_text")
    first = start(client, assignment)
    run = QuizRun.objects.get()
    assert first["Location"] == question_url(run, 1)
    assert [q.case for q in run.questions.order_by("position")] == cases[::-1]
    assert (run.user, run.assignment, run.mode, run.answer_format) == (ada, assignment, "practice", "free_text")
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    second = start(client, assignment)  # another tab, or the button again
    assert QuizRun.objects.count() == 1
    assert second["Location"] == question_url(run, 2)


def test_a_second_start_racing_the_first_finds_its_run(cohort, ada, monkeypatch):
    from quiz import runs

    assignment = make_assignment(cohorts=[cohort], cases=[make_case()], reveal="on_submit")
    first, created = runs.start_assignment_run(assignment=assignment, user=ada)
    assert created and first.mode == "exam"
    # The other request did not see the run when it looked, and meets the constraint when it creates.
    monkeypatch.setattr(runs.QuizRun.objects, "filter", lambda **kw: QuizRun.objects.none())
    again, created = runs.start_assignment_run(assignment=assignment, user=ada)
    assert (again, created) == (first, False)
    assert QuizRun.objects.count() == 1


def test_an_assignment_not_yet_open_or_past_due_cannot_be_started(client, cohort):
    upcoming = make_assignment(cohorts=[cohort], cases=[make_case()], opens_in=2, due_in=48)
    past = make_assignment(cohorts=[cohort], cases=[make_case()], opens_in=-48, due_in=-1)
    page = client.post(f"/assignments/{upcoming.pk}/", follow=True).content.decode()
    assert "This assignment is not open yet." in page
    page = client.post(f"/assignments/{past.pk}/", follow=True).content.decode()
    assert "past its due date" in page
    assert not QuizRun.objects.exists()


def test_an_answer_after_the_time_limit_is_refused_and_the_run_finished(client, cohort):
    cases = [make_case(), make_case()]
    assignment = make_assignment(cohorts=[cohort], cases=cases, time_limit=timedelta(minutes=30))
    start(client, assignment)
    run = QuizRun.objects.get()
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    QuizRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    response = client.post(question_url(run, 2), {"answer": "IDEM metastasis"})
    assert response.status_code == 409
    assert "your answer was not recorded" in response.content.decode()
    assert Attempt.objects.count() == 1
    run.refresh_from_db()
    assert run.finished_at is not None
    # The results show the unanswered question as such.
    page = client.get(f"/quiz/{run.token}/").content.decode()
    assert "Not answered in time" in page and "<strong>0 of 2</strong>" in page


def test_an_answer_after_the_due_date_is_refused_even_without_a_time_limit(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case()], reveal="after_each")
    start(client, assignment)
    run = QuizRun.objects.get()
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    assert client.post(question_url(run, 1), {"answer": "IDEM metastasis"}).status_code == 409
    assert not Attempt.objects.exists()


def test_a_double_submitted_answer_counts_once(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case(), make_case()], reveal="after_due")
    start(client, assignment)
    run = QuizRun.objects.get()
    client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    assert Attempt.objects.get().answer_text == "IDEM metastasis"


def test_a_held_case_is_served_in_the_run_without_its_title(client, cohort):
    held = make_case(title="Held exam case with a telling title", status=Case.Status.HELD, final=DIAGNOSIS)
    assignment = make_assignment(cohorts=[cohort], cases=[held], reveal="after_due", mode="exam")
    start(client, assignment)
    response = client.get(question_url(QuizRun.objects.get(), 1))
    page = shown(response)
    assert response.status_code == 200
    assert "Unknown 1 of 1" in page and "Progressive heaviness of the left leg" in page
    assert held.title not in page and DIAGNOSIS not in page


HIDDEN = ["Correct", "Wrong", "Close", DIAGNOSIS, "answers correct", "Score:", "score 1", "Accuracy"]


def shown(response):
    """The page's text, less the free-text box's suggestions: the whole vocabulary, the same for every case."""
    return re.sub(r"<datalist.*?</datalist>", "", html.unescape(response.content.decode()), flags=re.S)


def hidden_exam(client, cohort):
    """A held-case exam revealed after the due date, answered right, close (a typo) and wrong."""
    cases = [make_case(status=Case.Status.HELD, final=DIAGNOSIS, final_aliases="") for _ in range(3)]
    assignment = make_assignment(cohorts=[cohort], cases=cases, mode="exam", reveal="after_due", title="Spine exam")
    responses = {"start": client.post(f"/assignments/{assignment.pk}/", follow=True)}
    run = QuizRun.objects.get()
    for n, answer in enumerate([DIAGNOSIS, "Kummel diseas", "Meningioma"], start=1):
        responses[f"commit {n}"] = client.post(question_url(run, n), {"answer": answer}, follow=True)
    return assignment, run, responses


def test_before_the_due_date_nothing_tells_the_resident_how_an_answer_went(client, cohort):
    assignment, run, responses = hidden_exam(client, cohort)
    assert sorted(Attempt.objects.values_list("outcome", flat=True)) == ["close", "correct", "wrong"]
    for n in (1, 2, 3):
        responses[f"reveal {n}"] = client.get(question_url(run, n) + "reveal/")
        responses[f"confirm {n}"] = client.post(question_url(run, n) + "confirm/", {"meant_it": "yes"})
        responses[f"rate {n}"] = client.post(question_url(run, n) + "rate/", {"recall": "3"})
        responses[f"question {n} again"] = client.get(question_url(run, n), follow=True)
    responses["summary"] = client.get(f"/quiz/{run.token}/")
    responses["progress"] = client.get("/progress/")
    responses["review start"] = client.post("/progress/review/", {"answer_format": "free_text"}, follow=True)
    responses["assigned"] = client.get("/assignments/")
    responses["assignment"] = client.get(f"/assignments/{assignment.pk}/")
    responses["home"] = client.get("/")
    leaks = {name: [word for word in HIDDEN if word in shown(response)] for name, response in responses.items()}
    assert {name: words for name, words in leaks.items() if words} == {}
    page = html.unescape(responses["summary"].content.decode())
    assert "Answers for “Spine exam” are revealed on" in page
    # The near miss was recorded as typed, unconfirmed (it counts 0 until confirmed after the due date).
    assert Attempt.objects.get(outcome="close").answer_text == "Kummel diseas"
    assert Attempt.objects.filter(recall__isnull=False).count() == 0

    # The due date passes: everything shows.
    Assignment.objects.filter(pk=assignment.pk).update(
        opens_at=timezone.now() - timedelta(days=2), due_at=timezone.now() - timedelta(minutes=1)
    )
    summary = html.unescape(client.get(f"/quiz/{run.token}/").content.decode())
    assert DIAGNOSIS in summary and "Correct" in summary and "Wrong" in summary and "Close" in summary
    assert "<strong>1 of 3</strong> correct" in summary
    close = Attempt.objects.get(outcome="close").question.position
    reveal = html.unescape(client.get(question_url(run, close) + "reveal/").content.decode())
    assert f"did you mean <strong>{DIAGNOSIS}</strong>?" in reveal
    assert "<strong>1 of 3</strong> answers correct" in client.get("/progress/").content.decode()
    assert "score 1 of 3" in client.get("/assignments/").content.decode()
    assert "Score: 1 of 3." in client.get(f"/assignments/{assignment.pk}/").content.decode()


def test_revealed_on_submit_the_score_shows_once_finished(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case(), make_case()], reveal="on_submit")
    start(client, assignment)
    run = QuizRun.objects.get()
    client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    assert "score" not in client.get("/assignments/").content.decode()
    client.post(question_url(run, 2), {"answer": "Meningioma"})
    assert "score 1 of 2" in client.get("/assignments/").content.decode()
    assert "<strong>1 of 2</strong> correct" in client.get(f"/quiz/{run.token}/").content.decode()


def make_many(cohort, ada, count):
    case = make_case()
    for n in range(count):
        assignment = make_assignment(cohorts=[cohort], cases=[case], title=f"Assignment {n}", due_in=24 + n)
        if n % 2:
            QuizRun.objects.create(user=ada, assignment=assignment, mode="exam")


@pytest.mark.parametrize("count", [2, 10])
def test_assigned_page_query_count_is_constant(client, cohort, ada, django_assert_num_queries, count):
    make_many(cohort, ada, count)
    # 1 session, 2 user, 3 assignments of my cohorts with their case counts, 4 my runs of them with progress,
    # 5 whether I teach (the menu's Teaching link)
    with django_assert_num_queries(5):
        assert client.get("/assignments/").status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_assignment_page_query_count_is_constant(client, cohort, ada, django_assert_num_queries, count):
    make_many(cohort, ada, count)
    assignment = Assignment.objects.get(title="Assignment 1")
    # 1 session, 2 user, 3 the assignment (in my cohorts) with its case count, 4 my run with progress and score,
    # 5 whether I teach (the menu)
    with django_assert_num_queries(5):
        assert client.get(f"/assignments/{assignment.pk}/").status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_home_page_query_count_signed_in_is_constant(client, cohort, ada, django_assert_num_queries, count):
    make_many(cohort, ada, count)
    client.get("/")  # the list's HTML is cached from here on
    # 1 session, 2 user, 3 content version (the cache key), 4 my open assignments (at most six),
    # 5 my runs of them, 6 whether I teach (the menu), 7 the seen/answered marks of the page's cards
    with django_assert_num_queries(7):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_progress_page_query_count_with_assignments_is_constant(client, cohort, ada, django_assert_num_queries, count):
    make_many(cohort, ada, count)
    # 1 session, 2 user, 3 answered questions (none), 4 cards due, 5 open assignments, 6 my runs of them,
    # 7 whether I teach (the menu)
    with django_assert_num_queries(7):
        assert client.get("/progress/").status_code == 200


def test_an_answer_typed_while_the_time_ran_out_is_not_recorded(cohort, ada):
    """The view looks at the clock before the form; record_attempt looks again at the moment of commit."""
    from quiz.runs import RunClosed, record_attempt, start_assignment_run

    assignment = make_assignment(cohorts=[cohort], cases=[make_case()], time_limit=timedelta(minutes=5))
    run, _ = start_assignment_run(assignment=assignment, user=ada)
    question = run.questions.get()
    with pytest.raises(RunClosed):
        record_attempt(question=question, text="IDEM metastasis", now=run.created_at + timedelta(minutes=6))
    assert not Attempt.objects.exists()
    assert QuizRun.objects.get().finished_at == run.created_at + timedelta(minutes=5)


def test_the_assignment_pages_are_valid_html(client, cohort, ada, tmp_path):
    from tests.markup import assert_valid_html
    from tests.teaching_helpers import make_faculty

    held = make_case(status=Case.Status.HELD)
    assignment = make_assignment(cohorts=[cohort], cases=[held, make_case()], time_limit=timedelta(minutes=20))
    make_assignment(cohorts=[cohort], cases=[held], title="Upcoming", opens_in=24, due_in=48)
    pages = [("assigned", client.get("/assignments/")), ("assignment", client.get(f"/assignments/{assignment.pk}/"))]
    start(client, assignment)
    pages += [("home", client.get("/")), ("progress", client.get("/progress/"))]
    run = QuizRun.objects.get()
    QuizRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=21))
    pages.append(("closed", client.post(question_url(run, 1), {"answer": "Meningioma"})))
    pages.append(("summary", client.get(f"/quiz/{run.token}/")))
    grace = make_faculty("grace")
    cohort.faculty.add(grace)
    Assignment.objects.filter(pk=assignment.pk).update(created_by=grace)
    client.force_login(grace)
    pages += [
        ("new", client.get("/teaching/assignments/new/")),
        ("edit", client.get(f"/teaching/assignments/{assignment.pk}/edit/")),
        ("new with errors", client.post("/teaching/assignments/new/", {"title": ""})),
    ]
    assert [name for name, r in pages if r.status_code not in (200, 409)] == []
    assert_valid_html(pages, tmp_path)


def test_after_the_exam_a_still_held_case_is_named_in_its_own_run_only(client, cohort):
    held = make_case(title="Held exam case with a telling title", status=Case.Status.HELD, final=DIAGNOSIS)
    assignment = make_assignment(cohorts=[cohort], cases=[held], reveal="on_submit", mode="exam")
    start(client, assignment)
    run = QuizRun.objects.get()
    client.post(question_url(run, 1), {"answer": "Schwannoma"})  # wrong: it would top "most often missed"
    summary = client.get(f"/quiz/{run.token}/").content.decode()
    assert held.title in summary
    assert held.get_answer_url() not in summary  # a 404 until released: the run's own reveal instead
    assert f'href="{question_url(run, 1)}reveal/"' in summary
    progress = client.get("/progress/").content.decode()
    assert held.title not in progress and "missed 1 of 1" not in progress
    Case.objects.filter(pk=held.pk).update(status=Case.Status.PUBLISHED)  # released
    assert held.title in client.get("/progress/").content.decode()


def test_a_finished_practice_quiz_does_not_hide_the_residents_assignments(client, cohort, ada):
    make_assignment(cohorts=[cohort], cases=[make_case()], title="Due next week", due_in=24 * 7)
    QuizRun.objects.create(user=ada, mode="practice", finished_at=timezone.now())  # an ordinary run
    assert "Due next week" in client.get("/").content.decode()
    assert "Due next week" in client.get("/progress/").content.decode()


def test_once_the_due_date_passes_an_unfinished_runs_answers_open_without_the_summary(client, cohort):
    assignment = make_assignment(cohorts=[cohort], cases=[make_case(), make_case()], reveal="after_due", mode="exam")
    start(client, assignment)
    run = QuizRun.objects.get()
    client.post(question_url(run, 1), {"answer": "Meningioma"})  # the second is never answered
    assert client.get(question_url(run, 1) + "reveal/").status_code == 403
    Assignment.objects.filter(pk=assignment.pk).update(
        opens_at=timezone.now() - timedelta(days=2), due_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(question_url(run, 1) + "reveal/")
    assert response.status_code == 200 and "Wrong" in response.content.decode()


def test_multiple_choice_on_a_held_case_offers_its_entities_among_the_others_in_one_order(client, cohort):
    held = make_case(
        title="Held exam case", status=Case.Status.HELD, final="Zzz held only entity", differentials=("Mmm held alt",)
    )
    for name in ("Aardvark lesion", "Nnn distractor", "Yak lesion"):
        make_case(final=name, differentials=())  # entities of library cases, sharing the compartment
    assignment = make_assignment(cohorts=[cohort], cases=[held], reveal="after_each", answer_format="multiple_choice")
    start(client, assignment)
    options = QuizRun.objects.get().questions.get().option_ids
    names = [Diagnosis.objects.get(pk=pk).name for pk in options]
    assert names == sorted(names, key=str.casefold)  # alphabetical through and through
    assert {"Zzz held only entity", "Mmm held alt"} <= set(names) and len(names) == 5
