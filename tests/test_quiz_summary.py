"""End of a run: the score, time per case, a breakdown by facet, and links to each answer page."""

import re
from datetime import timedelta

import pytest

from cases.anatomy import Level
from cases.models import Case
from quiz.models import Question
from tests.factories import make_case
from tests.quiz_helpers import question_url, start_quiz

pytestmark = pytest.mark.django_db


def finish(client, run, answers):
    """Answer the run's questions in order, each case's answer chosen by ``answers(case)``."""
    for question in run.questions.select_related("case").order_by("position"):
        client.post(question_url(run, question.position), {"answer": answers(question.case)})


def breakdown_row(page, facet, value):
    table = re.search(rf"<caption>By {facet}</caption>(.*?)</table>", page, re.S).group(1)
    return re.search(rf"<th scope=\"row\">{value}</th><td>(\d+ of \d+)</td><td>([^<]+)</td>", table).groups()


def test_an_exam_ends_with_every_answer_revealed_together_with_the_score(client):
    lumbar = make_case(levels=((Level.L2, Level.L2),), difficulty=Case.Difficulty.FOUNDATION)
    cervical = make_case(
        final="Radiation myelitis",
        final_aliases="",
        levels=((Level.C5, Level.C6),),
        findings=[{"compartment": "intramedullary"}],
        primary=None,
        difficulty=Case.Difficulty.ADVANCED,
    )
    run = start_quiz(client, mode="exam", count=2)
    finish(client, run, lambda case: "IDEM metastasis" if case == lumbar else "Multiple sclerosis")
    page = client.get(f"/quiz/{run.token}/").content.decode()

    assert "<strong>1 of 2</strong> correct (50%)" in page
    for case, answer, final, result in [
        (lumbar, "IDEM metastasis", "Intradural extramedullary metastasis", "Correct"),
        (cervical, "Multiple sclerosis", "Radiation myelitis", "Wrong"),
    ]:
        row = re.search(rf'<a href="{case.get_answer_url()}">{re.escape(case.title)}</a>(.*?)</tr>', page, re.S)
        assert row, case.title
        cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
        assert [cells[0].strip(), cells[1], cells[2]] == [answer, final, result]
        assert re.fullmatch(r"\d+ s", cells[3])  # time per case
    assert breakdown_row(page, "region", "Lumbar") == ("1 of 1", "100%")
    assert breakdown_row(page, "region", "Cervical") == ("0 of 1", "0%")
    assert breakdown_row(page, "compartment", "Intramedullary") == ("0 of 1", "0%")
    assert breakdown_row(page, "compartment", "Intradural extramedullary") == ("1 of 1", "100%")
    assert breakdown_row(page, "known primary", "Breast carcinoma") == ("1 of 1", "100%")
    assert breakdown_row(page, "known primary", "None known") == ("0 of 1", "0%")
    assert breakdown_row(page, "difficulty", "Foundation") == ("1 of 1", "100%")
    assert breakdown_row(page, "difficulty", "Advanced") == ("0 of 1", "0%")


def test_time_per_case_is_shown(client):
    make_case()
    run = start_quiz(client, mode="exam", count=1)
    client.get(question_url(run, 1))
    question = Question.objects.get()
    Question.objects.filter(pk=question.pk).update(served_at=question.served_at - timedelta(seconds=125))
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    assert "<td>2 min 05 s</td>" in client.get(f"/quiz/{run.token}/").content.decode()


def test_an_unfinished_run_shows_progress_and_no_answers(client):
    make_case()
    make_case()
    run = start_quiz(client, mode="exam", count=2)
    client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    page = client.get(f"/quiz/{run.token}/").content.decode()
    assert "You have answered 1 of 2 questions" in page
    assert f'href="{question_url(run, 2)}">Continue' in page
    assert "Intradural extramedullary metastasis" not in page and "Correct" not in page


def test_a_close_answer_awaiting_confirmation_is_flagged_and_not_yet_counted(client):
    make_case()
    run = start_quiz(client, mode="exam", count=1)
    client.post(question_url(run, 1), {"answer": "intradural extramedulary metastasis"})
    page = client.get(f"/quiz/{run.token}/").content.decode()
    assert "<strong>0 of 1</strong> correct" in page
    assert "1 answer was close to the diagnosis" in page
    client.post(question_url(run, 1) + "confirm/", {"meant_it": "yes"})
    assert "<strong>1 of 1</strong> correct" in client.get(f"/quiz/{run.token}/").content.decode()


@pytest.mark.parametrize("size", [2, 10])
def test_summary_query_count_is_constant(client, django_assert_num_queries, size):
    for _ in range(size):
        make_case()
    run = start_quiz(client, mode="exam", count=size)
    finish(client, run, lambda case: "Meningioma")
    # 1 session, 2 run with progress counts, 3 questions with attempts, 4 cases with known primaries,
    # 5 level spans, 6 findings (modality and compartment), 7 final diagnoses
    with django_assert_num_queries(7):
        assert client.get(f"/quiz/{run.token}/").status_code == 200


def test_partial_credit_is_summed_and_said_plainly(client):
    from tests.factories import make_diagnosis

    spinal = make_diagnosis("Spinal metastasis")
    make_diagnosis("Intradural extramedullary metastasis", aliases="IDEM metastasis", broader=spinal)
    lumbar = make_case(levels=((Level.L2, Level.L2),))
    thoracic = make_case(levels=((Level.T8, Level.T8),))
    run = start_quiz(client, mode="exam", count=2)
    finish(client, run, lambda case: "IDEM metastasis" if case == lumbar else "spinal mets")
    page = client.get(f"/quiz/{run.token}/").content.decode()

    assert "<strong>1.5 of 2</strong> correct (75%)" in page
    assert "1 answer names the right family rather than the diagnosis: 0.5 of a point each." in page
    row = re.search(rf'<a href="{thoracic.get_answer_url()}">.*?</tr>', page, re.S).group(0)
    assert "<td>Right family: a broader term</td>" in row
    assert re.search(
        r'<tr class="result result--broader">\s*<td>\d</td>\s*<td><a href="' + re.escape(thoracic.get_answer_url()),
        page,
    )
    assert re.search(r"<th scope=\"row\">Thoracic</th><td>0.5 of 1</td><td>50%</td>", page)
    assert re.search(r"<th scope=\"row\">Lumbar</th><td>1 of 1</td><td>100%</td>", page)


def test_a_run_without_partial_credit_says_nothing_about_it(client):
    make_case()
    run = start_quiz(client, count=1)
    finish(client, run, lambda case: "IDEM metastasis")
    assert "right family" not in client.get(f"/quiz/{run.token}/").content.decode()
