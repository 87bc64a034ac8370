"""Starting a quiz: cases chosen with the case list's filters, drawn at random without repeats."""
import pytest

from cases.anatomy import Level
from cases.models import Case, Differential
from quiz.models import Question, QuizRun
from tests.factories import make_case, make_diagnosis
from tests.quiz_helpers import question_url, start_quiz

pytestmark = pytest.mark.django_db


def test_the_start_page_offers_filters_count_mode_and_format(client):
    make_case()
    page = client.get("/quiz/").content.decode()
    for expected in ['name="region"', 'name="compartment"', 'name="primary"', 'name="difficulty"',
                     'name="count"', 'value="10"', 'value="practice"', 'value="exam"',
                     'value="free_text"', 'value="multiple_choice"', "1 published case matches these filters."]:
        assert expected in page
    assert 'name="sort"' not in page
    assert '<label for="id_region">Region:</label>' in page and '<option value="" selected>Any</option>' in page
    assert "invalid name" not in page


def test_the_case_list_link_carries_its_filters_to_the_start_page(client):
    make_case(levels=((Level.C4, Level.C5),))
    make_case(levels=((Level.L2, Level.L2),))
    case_list = client.get("/?region=lumbar").content.decode()
    assert 'href="/quiz/?region=lumbar">Quiz me on these cases</a>' in case_list
    page = client.get("/quiz/?region=lumbar").content.decode()
    assert '<option value="lumbar" selected>' in page
    assert "1 published case matches these filters." in page


def test_a_run_draws_matching_cases_without_repeats_and_starts_at_question_one(client):
    lumbar = [make_case(levels=((Level.L3, Level.L3),)) for _ in range(4)]
    make_case(levels=((Level.C2, Level.C2),))
    response = client.post("/quiz/", {"count": 3, "mode": "practice", "answer_format": "free_text",
                                      "region": "lumbar"})
    run = QuizRun.objects.get()
    assert response["Location"] == question_url(run, 1)
    cases = [q.case for q in run.questions.order_by("position")]
    assert len(cases) == 3 == len(set(cases))
    assert set(cases) <= set(lumbar)
    assert [q.position for q in run.questions.all()] == [1, 2, 3]


def test_the_count_is_capped_by_what_matches(client):
    make_case()
    make_case()
    run = start_quiz(client, count=10)
    assert run.questions.count() == 2


def test_drafts_and_cases_without_a_final_diagnosis_are_never_drawn(client):
    make_case(status=Case.Status.DRAFT)
    unfinished = make_case()
    Differential.objects.filter(case=unfinished, is_final=True).delete()
    response = client.post("/quiz/", {"count": 10, "mode": "practice", "answer_format": "free_text"})
    assert response.status_code == 200
    assert "No cases match" in response.content.decode()
    assert not QuizRun.objects.exists()


def test_a_quiz_with_no_matching_cases_says_so_and_links_back(client):
    make_case(levels=((Level.L1, Level.L1),))
    response = client.post("/quiz/", {"count": 5, "mode": "exam", "answer_format": "free_text",
                                      "region": "cervical"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "No published case matches these filters" in page
    assert 'href="/">Back to the case list</a>' in page
    assert not QuizRun.objects.exists()


@pytest.mark.parametrize("data, message", [
    ({"count": 0}, "greater than or equal to 1"),
    ({"count": 51}, "less than or equal to 50"),
    ({"count": "many"}, "Enter a whole number"),
    ({"mode": "cheat"}, "Select a valid choice"),
    ({"answer_format": "essay"}, "Select a valid choice"),
    ({"region": "mars"}, "Select a valid choice"),
])
def test_bad_start_choices_are_explained_and_start_nothing(client, data, message):
    make_case()
    response = client.post("/quiz/", {"count": 5, "mode": "practice", "answer_format": "free_text", **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not QuizRun.objects.exists()


def test_multiple_choice_offers_the_differential_list_and_three_distractors(client):
    case = make_case(differentials=("Meningioma", "Schwannoma"))
    distractors = {make_diagnosis(f"Distractor {n}").pk for n in range(8)}
    run = start_quiz(client, answer_format="multiple_choice", count=1)
    offered = Question.objects.get(run=run).option_ids
    own = set(case.differentials.values_list("diagnosis", flat=True))
    assert own <= set(offered)
    assert len(set(offered) - own) == 3 and set(offered) - own <= distractors


def test_an_anonymous_run_belongs_to_the_session(client):
    make_case()
    run = start_quiz(client, count=1)
    assert run.user is None
    assert client.session["quiz_runs"] == [run.token]


@pytest.mark.parametrize("size", [1, 20])
def test_start_page_query_count_does_not_grow(client, django_assert_num_queries, size):
    from tests.factories import make_case

    for n in range(size):
        make_case(primary=f"Primary {n}")
    # 1 the matching cases counted, 2 the known-primary options (those of published cases)
    with django_assert_num_queries(2):
        assert client.get("/quiz/").status_code == 200
