"""Starting a quiz: cases chosen with the case list's filters, drawn at random without repeats."""

import pytest

from cases.anatomy import Level
from cases.models import Case, Diagnosis, Differential
from quiz.models import Question, QuizRun
from tests.factories import make_case, make_diagnosis
from tests.quiz_helpers import load_demo_cases, options_offered, question_url, start_quiz

pytestmark = pytest.mark.django_db


def test_the_start_page_offers_filters_count_mode_and_format(client):
    make_case()
    page = client.get("/quiz/").content.decode()
    for expected in [
        'name="region"',
        'name="compartment"',
        'name="primary"',
        'name="difficulty"',
        'name="count"',
        'value="10"',
        'value="practice"',
        'value="exam"',
        'value="free_text"',
        'value="multiple_choice"',
        "1 published case matches these filters.",
    ]:
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
    response = client.post("/quiz/", {"count": 3, "mode": "practice", "answer_format": "free_text", "region": "lumbar"})
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
    response = client.post("/quiz/", {"count": 5, "mode": "exam", "answer_format": "free_text", "region": "cervical"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "No published case matches these filters" in page
    assert 'href="/">Back to the case list</a>' in page
    assert not QuizRun.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"count": 0}, "greater than or equal to 1"),
        ({"count": 51}, "less than or equal to 50"),
        ({"count": "many"}, "Enter a whole number"),
        ({"mode": "cheat"}, "Select a valid choice"),
        ({"answer_format": "essay"}, "Select a valid choice"),
        ({"region": "mars"}, "Select a valid choice"),
    ],
)
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


def _vocabulary_by_compartment():
    """Twelve entities beside the case's own: six tagged intramedullary, six elsewhere."""
    inside = [make_diagnosis(f"Cord entity {n}", compartments=["intramedullary"]) for n in range(6)]
    outside = [make_diagnosis(f"Bone entity {n}", compartments=["vertebral_body", "extradural"]) for n in range(6)]
    return inside, outside


def test_distractors_share_the_compartment_of_the_case_findings_and_are_the_same_every_run(client):
    inside, outside = _vocabulary_by_compartment()
    make_case(
        final="Intramedullary spinal cord metastasis",
        final_aliases="",
        differentials=("Radiation myelitis",),
        findings=[{"compartment": "intramedullary"}],
    )
    shown = []
    for _ in range(3):
        run = start_quiz(client, answer_format="multiple_choice", count=1)
        shown.append(options_offered(client.get(question_url(run, 1))))
    assert shown[0] == shown[1] == shown[2]
    distractors = set(shown[0]) - {"Intramedullary spinal cord metastasis", "Radiation myelitis"}
    assert len(distractors) == 3
    assert distractors <= {d.name for d in inside}


def test_without_tagged_findings_the_differentials_compartments_choose_the_distractors(client):
    inside, outside = _vocabulary_by_compartment()
    make_diagnosis("Spinal cord astrocytoma", compartments=["intramedullary"])
    make_case(
        final="Intramedullary spinal cord metastasis",
        final_aliases="",
        differentials=("Spinal cord astrocytoma",),
        findings=[{"compartment": ""}],
    )
    run = start_quiz(client, answer_format="multiple_choice", count=1)
    distractors = set(options_offered(client.get(question_url(run, 1)))) - {
        "Intramedullary spinal cord metastasis",
        "Spinal cord astrocytoma",
    }
    assert len(distractors) == 3 and distractors <= {d.name for d in inside}


def test_too_few_in_the_compartment_are_topped_up_from_the_differentials_family(client):
    metastasis = make_diagnosis("Spinal metastasis")
    siblings = [make_diagnosis(f"Metastasis kind {n}", broader=metastasis) for n in range(3)]
    [make_diagnosis(f"Unrelated entity {n}") for n in range(6)]
    make_diagnosis("Cord entity", compartments=["intramedullary"])
    final = make_diagnosis("Intramedullary spinal cord metastasis", broader=metastasis)
    make_case(
        final=final.name,
        final_aliases="",
        differentials=("Radiation myelitis",),
        findings=[{"compartment": "intramedullary"}],
    )
    run = start_quiz(client, answer_format="multiple_choice", count=1)
    offered = set(options_offered(client.get(question_url(run, 1))))
    distractors = offered - {final.name, "Radiation myelitis"}
    assert "Cord entity" in distractors
    assert distractors - {"Cord entity"} <= {d.name for d in siblings}


def test_one_distractor_is_a_relative_of_a_differential_and_choosing_the_broader_term_earns_half(client):
    metastasis = make_diagnosis("Metastasis")  # a bare family term: no compartment, never offered
    vertebral = make_diagnosis("Vertebral metastasis", broader=metastasis, compartments=["vertebral_body"])
    net = make_diagnosis("NET metastasis", broader=vertebral, compartments=["vertebral_body"])
    [make_diagnosis(f"Bone entity {n}", compartments=["vertebral_body"]) for n in range(8)]
    make_case(
        final=net.name,
        final_aliases="",
        differentials=("Spinal lymphoma",),
        findings=[{"compartment": "vertebral_body"}],
    )
    run = start_quiz(client, answer_format="multiple_choice", count=1)
    offered = options_offered(client.get(question_url(run, 1)))
    assert "Vertebral metastasis" in offered  # NET metastasis is not the only metastasis on offer
    assert "Metastasis" not in offered and len(offered) == 5

    client.post(question_url(run, 1), {"choice": str(offered.index("Vertebral metastasis"))})
    attempt = Question.objects.get(run=run).attempt
    assert (attempt.outcome, attempt.score, attempt.answer_text) == ("broader", 0.5, "Vertebral metastasis")


@pytest.mark.parametrize("size", [1, 20])
def test_starting_a_multiple_choice_run_reads_the_vocabulary_once_whatever_the_size(
    client, django_assert_num_queries, size
):
    for n in range(size):
        make_case(findings=[{"compartment": "intramedullary" if n % 2 else "extradural"}])
    _vocabulary_by_compartment()
    # form: count matching cases; draw the ids; savepoint, run, vocabulary (names, links, compartments),
    # differentials, findings' compartments, questions, release; the first question's id for the
    # redirect; session: exists, savepoint, insert, release; the run, read back by the test helper
    with django_assert_num_queries(15):
        start_quiz(client, answer_format="multiple_choice", count=10)


def test_demo_cases_offer_distractors_from_their_own_compartments(client):
    load_demo_cases()
    run = start_quiz(client, answer_format="multiple_choice", count=8)
    for question in Question.objects.filter(run=run).select_related("case"):
        findings = set(question.case.findings.exclude(compartment="").values_list("compartment", flat=True))
        own = set(question.case.differentials.values_list("diagnosis", flat=True))
        distractors = Diagnosis.objects.filter(pk__in=set(question.option_ids) - own)
        assert distractors.count() == 3, question.case.slug
        if findings:  # the spondylodiscitis case has only two eligible entities in its compartments
            assert sum(bool(findings & set(d.compartments)) for d in distractors) >= 2, question.case.slug
        if findings == {"intramedullary"}:
            assert all("intramedullary" in d.compartments for d in distractors)
