"""The question page: the case as an unknown, and nothing that gives the answer away until it is committed."""

import html
import re
from datetime import timedelta

import pytest

from cases.anatomy import Level
from cases.models import Case, Diagnosis
from quiz.models import Attempt, Question
from tests.factories import make_case, make_diagnosis
from tests.quiz_helpers import leaked, load_demo_cases, options_offered, question_url, shown, spoilers, start_quiz

pytestmark = pytest.mark.django_db

MODES_AND_FORMATS = [
    ("practice", "free_text"),
    ("practice", "multiple_choice"),
    ("exam", "free_text"),
    ("exam", "multiple_choice"),
]
_RADIO = re.compile(r"<input type=\"radio\" name=\"choice\"[^>]*>")


def three_cases():
    make_diagnosis("Spinal lymphoma")
    make_diagnosis("Spinal dural arteriovenous fistula", aliases="SDAVF")
    make_diagnosis("Multiple sclerosis", aliases="MS plaque")
    return [
        make_case(levels=((Level.L1, Level.L1),)),
        make_case(
            final="Infectious spondylodiscitis",
            final_aliases="Spondylodiscite infectieuse\nPyogenic discitis",
            differentials=("Modic type 1 change", "Vertebral metastasis"),
            levels=((Level.L4, Level.L5),),
            findings=[{"compartment": "disc_endplates"}],
            primary=None,
        ),
        make_case(
            final="Radiation myelitis",
            final_aliases="Radiation-induced myelopathy",
            differentials=("Intramedullary spinal cord metastasis", "Transverse myelitis"),
            levels=((Level.T4, Level.T6),),
            findings=[{"compartment": "intramedullary"}],
        ),
    ]


def answer_for(run):
    if run.is_multiple_choice:
        return {"choice": "0"}
    return {"answer": "Not an entity anyone knows", "differential_1": "Another guess"}


def take_quiz_checking_spoilers(client, cases, *, mode, answer_format):
    """Answer every question, checking each response before its commit gives nothing away, and the reveals after."""
    run = start_quiz(client, mode=mode, answer_format=answer_format, count=len(cases))
    questions = list(run.questions.select_related("case"))
    assert {q.case for q in questions} == set(cases)
    unrevealed = set(cases)
    for question in questions:
        url = question_url(run, question.position)
        page = client.get(url)
        assert page.status_code == 200
        assert f"<title>Unknown {question.position} of {len(cases)} ·" in page.content.decode()
        before_commit = [
            page,
            client.post(url, {"choice": "99"} if run.is_multiple_choice else {"answer": ""}),  # refused
            client.get(url + "reveal/"),  # not answered yet: sent back to the question
            client.get(f"/quiz/{run.token}/"),  # results: not yet
        ]
        for response in before_commit:
            assert leaked(response, unrevealed) == [], response.request["PATH_INFO"]
            assert unnamed(response, unrevealed) == [], response.request["PATH_INFO"]
        assert not Attempt.objects.filter(question=question).exists()
        if run.is_multiple_choice:
            check_options(page, question.case)

        commit = client.post(url, answer_for(run))
        assert commit.status_code == 302
        assert leaked(commit, unrevealed) == []
        reveal = client.get(url + "reveal/")
        if mode == "practice":
            assert reveal.status_code == 200
            assert shown(reveal, question.case)
            unrevealed.discard(question.case)
        elif question.position < len(cases):
            assert reveal.status_code == 403  # the delayed reveal: no answer before the run ends
            assert leaked(reveal, unrevealed) == []
    assert Attempt.objects.filter(question__run=run).count() == len(cases)
    summary = client.get(f"/quiz/{run.token}/")
    for question in questions:
        assert shown(client.get(question_url(run, question.position) + "reveal/"), question.case)
        assert spoilers(question.case)["final"] in summary.content.decode()
    return run


def unnamed(response, cases):
    """Whatever in the response would say which case a question is: its title, its slug, a link to it."""
    text = html.unescape(response.content.decode()) + "\n" + "\n".join(response.headers.values())
    found = [case.title for case in cases if case.title.casefold() in text.casefold()]
    found += [case.slug for case in cases if case.slug in text]
    return found + re.findall(r"/cases/[\w-]+", text)


def check_options(page, case):
    """The options: the case's whole differential list and at least three distractors, alphabetical."""
    options = options_offered(page)
    secrets = spoilers(case)
    own = {secrets["final"], *secrets["differentials"]}
    assert own <= set(options)
    assert len(set(options) - own) >= 3
    assert options == sorted(options, key=str.casefold)
    radios = [re.sub(r"\d+", "N", radio) for radio in _RADIO.findall(page.content.decode())]
    assert len(set(radios)) == 1 and len(radios) == len(options)  # no option's markup differs


@pytest.mark.parametrize("mode, answer_format", MODES_AND_FORMATS)
def test_question_pages_never_contain_the_diagnosis_before_commit(client, mode, answer_format):
    take_quiz_checking_spoilers(client, three_cases(), mode=mode, answer_format=answer_format)


@pytest.mark.parametrize("mode, answer_format", MODES_AND_FORMATS)
def test_demo_cases_never_give_the_diagnosis_away_before_commit(client, mode, answer_format):
    load_demo_cases()
    cases = list(Case.objects.published())
    assert len(cases) == 8
    take_quiz_checking_spoilers(client, cases, mode=mode, answer_format=answer_format)


def test_free_text_offers_the_whole_vocabulary_not_this_cases_list(client):
    three_cases()
    for n in range(5):
        make_diagnosis(f"Unrelated entity {n}")
    run = start_quiz(client, count=1)
    page = client.get(question_url(run, 1)).content.decode()
    datalist = re.search(r"<datalist id=\"diagnosis-names\">(.*?)</datalist>", page, re.S).group(1)
    vocabulary = list(Diagnosis.objects.values_list("name", flat=True))
    assert re.findall(r"<option value=\"([^\"]*)\">", datalist) == vocabulary


def test_multiple_choice_options_are_the_same_on_reload_and_in_every_run(client):
    three_cases()
    for n in range(6):
        make_diagnosis(f"Unrelated entity {n}")
    first = start_quiz(client, answer_format="multiple_choice", count=3)
    second = start_quiz(client, answer_format="multiple_choice", count=3)
    for question in first.questions.all():
        offered = options_offered(client.get(question_url(first, question.position)))
        assert offered == options_offered(client.get(question_url(first, question.position)))
        again = second.questions.get(case=question.case)
        assert offered == options_offered(client.get(question_url(second, again.position)))


def test_run_and_question_ids_in_urls_are_opaque(client):
    case = make_case()
    run = start_quiz(client, count=1)
    assert len(run.token) >= 16 and run.token != str(run.pk)
    page = client.get(question_url(run, 1)).content.decode()
    assert case.slug not in page and f"/cases/{case.slug}" not in page


def test_time_taken_is_measured_by_the_server_from_first_serving(client):
    make_case()
    run = start_quiz(client, count=1)
    client.get(question_url(run, 1))
    question = run.questions.get()
    served = question.served_at
    Question.objects.filter(pk=question.pk).update(served_at=served - timedelta(seconds=95))
    client.get(question_url(run, 1))  # a reload does not restart the clock
    client.post(question_url(run, 1), {"answer": "Meningioma", "time_taken": "1"})
    attempt = Attempt.objects.get(question=question)
    assert timedelta(seconds=95) <= attempt.time_taken < timedelta(seconds=100)


def test_an_empty_answer_is_refused_and_nothing_is_recorded(client):
    make_case()
    run = start_quiz(client, count=1)
    response = client.post(question_url(run, 1), {"answer": "  ...  "})
    assert response.status_code == 200
    assert "Type a diagnosis" in response.content.decode()
    assert not Attempt.objects.exists()


def test_an_overlong_answer_is_refused_keeping_what_was_typed(client):
    make_case()
    run = start_quiz(client, count=1)
    typed = "Intradural extramedullary metastasis or maybe a meningioma, " * 4
    response = client.post(question_url(run, 1), {"answer": typed})
    assert response.status_code == 200
    assert f"Keep it under 200 characters (this has {len(typed.strip())})" in response.content.decode()
    assert f'value="{typed}"' in response.content.decode()
    assert not Attempt.objects.exists()


@pytest.mark.parametrize("choice", ["99", "-1", "abc", "", "0 OR 1=1"])
def test_a_tampered_choice_is_refused_and_nothing_is_recorded(client, choice):
    make_case()
    run = start_quiz(client, answer_format="multiple_choice", count=1)
    response = client.post(question_url(run, 1), {"choice": choice})
    assert response.status_code == 200
    assert "choose one of" in response.content.decode().lower()
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/quiz/not-a-run/1/",
        "/quiz/{token}/0/",
        "/quiz/{token}/3/",
        "/quiz/{token}/99999999999999999999/",
        "/quiz/{token}/3/reveal/",
        "/quiz/not-a-run/",
        "/quiz/not-a-run/1/reveal/",
    ],
)
def test_unknown_runs_and_out_of_range_questions_are_not_found(client, path):
    make_case()
    make_case()
    run = start_quiz(client, count=2)
    assert client.get(path.format(token=run.token)).status_code == 404
    assert client.post(path.format(token=run.token), {"answer": "Meningioma"}).status_code in (404, 405)
    assert not Attempt.objects.exists()


def test_an_answered_question_sends_the_resident_on_rather_than_showing_the_form_again(client):
    make_case()
    make_case()
    run = start_quiz(client, mode="exam", count=2)
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    response = client.get(question_url(run, 1))
    assert response.status_code == 302 and response["Location"] == question_url(run, 2)


@pytest.mark.parametrize("size", [2, 10])
def test_question_page_query_count_is_constant(client, django_assert_num_queries, size):
    for _ in range(size):
        make_case()
    run = start_quiz(client, count=size, answer_format="free_text")
    mc = start_quiz(client, count=size, answer_format="multiple_choice")
    # 1 session, 2 run (owned, with progress counts), 3 question with its attempt (not even the
    # case's title: it is an unknown), 4 first serving: served_at, 5 content version, then the
    # presentation, rendered once per content version: 6 case (presentation side), 7 level spans,
    # 8 findings, 9 their image series (none here); and the blank answer inputs, likewise: 10 the
    # diagnosis names to suggest
    with django_assert_num_queries(10):
        assert client.get(question_url(run, 2)).status_code == 200
    # Another question: its own served_at and presentation, but the same blank inputs (9); the same
    # question again: only session, run, question and content version (4). Multiple choice:
    # the options' names, rendered once per set of options and content version.
    with django_assert_num_queries(9):
        assert client.get(question_url(run, 1)).status_code == 200
    with django_assert_num_queries(4):
        assert client.get(question_url(run, 2)).status_code == 200
    client.get(question_url(mc, 2))
    with django_assert_num_queries(4):
        assert client.get(question_url(mc, 2)).status_code == 200


def test_the_suggestion_list_leaves_out_entities_only_drafts_use(client):
    three_cases()
    make_case(final="Chordoma", differentials=("Giant cell tumour",), status=Case.Status.DRAFT)
    run = start_quiz(client, count=1)
    page = client.get(question_url(run, 1)).content.decode()
    datalist = re.search(r"<datalist id=\"diagnosis-names\">(.*?)</datalist>", page, re.S).group(1)
    assert "Spinal lymphoma" in datalist
    assert "Chordoma" not in datalist and "Giant cell tumour" not in datalist


def test_multiple_choice_never_offers_an_entity_only_drafts_use(client):
    three_cases()
    for n in range(6):
        make_diagnosis(f"Unrelated entity {n}", compartments=["intramedullary"])
    make_case(
        final="Draft-only entity",
        differentials=(),
        status=Case.Status.DRAFT,
        findings=[{"compartment": "intramedullary"}],
    )
    Diagnosis.objects.filter(name="Draft-only entity").update(compartments=["intramedullary"])
    run = start_quiz(client, answer_format="multiple_choice", count=3)
    offered = {name for q in run.questions.all() for name in options_offered(client.get(question_url(run, q.position)))}
    assert "Unrelated entity 0" in offered or len(offered) > 6
    assert "Draft-only entity" not in offered
