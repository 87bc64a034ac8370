"""The reveal: the resident's answer beside the final diagnosis, the case's answer page, and recall."""

import re

import pytest

from quiz.models import Attempt, Recall
from tests.factories import make_case, make_diagnosis
from tests.quiz_helpers import question_url, start_quiz

pytestmark = pytest.mark.django_db


def reveal_url(run, n):
    return question_url(run, n) + "reveal/"


def checked_recall(page):
    return re.search(r'<input type="radio" name="recall" value="(\d)"[^>]* checked', page).group(1)


def answered(client, text, **case_kw):
    make_case(**case_kw)
    run = start_quiz(client, count=1)
    client.post(question_url(run, 1), {"answer": text})
    return run


def test_practice_reveal_shows_the_answer_beside_the_diagnosis_then_the_whole_answer_page(client):
    case = make_case(discussion="Epidural spread explains the deposit.")
    run = start_quiz(client, count=1)
    response = client.post(question_url(run, 1), {"answer": "schwannoma", "differential_1": "Meningioma"})
    assert response["Location"] == reveal_url(run, 1)
    page = client.get(reveal_url(run, 1)).content.decode()
    assert re.search(r"<dt>Your answer</dt><dd>schwannoma</dd>", page)
    assert re.search(r"<dt>Final diagnosis</dt><dd>Intradural extramedullary metastasis</dd>", page)
    assert '<h2 id="verdict-heading">Wrong</h2>' in page
    assert "Meningioma — <strong>credited</strong>" in page
    for answer_side in [
        "Epidural spread explains the deposit.",
        "Look for epidural thickening",
        "Decompression, then radiotherapy.",
        case.references.get().citation,
        "Histology",
    ]:
        assert answer_side in page
    assert case.presentation in page  # and the presentation, as on the answer page


def test_a_wrong_answer_preselects_again_and_a_right_one_good(client):
    wrong = answered(client, "Meningioma")
    assert checked_recall(client.get(reveal_url(wrong, 1)).content.decode()) == str(Recall.AGAIN)
    right = answered(client, "IDEM metastasis")
    assert checked_recall(client.get(reveal_url(right, 1)).content.decode()) == str(Recall.GOOD)


def test_a_close_answer_asks_and_the_resident_confirms_it(client):
    run = answered(client, "Intradural extramedulary metastasis")
    page = client.get(reveal_url(run, 1)).content.decode()
    assert "did you mean <strong>Intradural extramedullary metastasis</strong>?" in page
    assert 'name="recall"' not in page  # rating waits for the answer to the question
    client.post(question_url(run, 1) + "confirm/", {"meant_it": "yes"})
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.score) == (Attempt.Outcome.CLOSE_CONFIRMED, 1)
    page = client.get(reveal_url(run, 1)).content.decode()
    assert "Close (typo confirmed)" in page
    assert checked_recall(page) == str(Recall.HARD)
    client.post(question_url(run, 1) + "confirm/", {"meant_it": "no"})  # asked once: a change of mind is ignored
    assert Attempt.objects.get().outcome == Attempt.Outcome.CLOSE_CONFIRMED


def test_a_close_answer_the_resident_rejects_is_wrong(client):
    run = answered(client, "Intradural extramedulary metastasis")
    client.post(question_url(run, 1) + "confirm/", {"meant_it": "no"})
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.score) == (Attempt.Outcome.WRONG, 0)


def test_confirming_an_answer_that_was_not_close_changes_nothing(client):
    run = answered(client, "Meningioma")
    client.post(question_url(run, 1) + "confirm/", {"meant_it": "yes"})
    assert (Attempt.objects.get().outcome, Attempt.objects.get().score) == (Attempt.Outcome.WRONG, 0)


def test_rating_recall_is_recorded_once(client):
    run = answered(client, "Meningioma")
    response = client.post(question_url(run, 1) + "rate/", {"recall": "2"})
    assert response["Location"] == f"/quiz/{run.token}/"  # the last question: on to the results
    client.post(question_url(run, 1) + "rate/", {"recall": "4"})
    assert Attempt.objects.get().recall == Recall.HARD
    assert "You rated your recall <strong>Hard</strong>" in client.get(reveal_url(run, 1)).content.decode()


@pytest.mark.parametrize("recall", ["0", "5", "Good", ""])
def test_a_tampered_rating_is_refused(client, recall):
    run = answered(client, "Meningioma")
    response = client.post(question_url(run, 1) + "rate/", {"recall": recall}, follow=True)
    assert "Choose Again, Hard, Good or Easy." in response.content.decode()
    assert Attempt.objects.get().recall is None


def test_practice_rating_moves_on_to_the_next_question(client):
    make_case()
    make_case()
    run = start_quiz(client, count=2)
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    assert client.post(question_url(run, 1) + "rate/", {"recall": "1"})["Location"] == question_url(run, 2)


def test_an_unanswered_question_has_no_reveal_yet(client):
    make_case()
    run = start_quiz(client, count=1)
    response = client.get(reveal_url(run, 1))
    assert response.status_code == 302 and response["Location"] == question_url(run, 1)
    assert client.post(question_url(run, 1) + "rate/", {"recall": "3"}).status_code == 302
    assert not Attempt.objects.exists()


def test_exam_reveals_are_refused_until_every_question_is_answered(client):
    make_case()
    make_case()
    run = start_quiz(client, mode="exam", count=2)
    response = client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    assert response["Location"] == question_url(run, 2)  # no reveal in between
    refused = client.get(reveal_url(run, 1))
    assert refused.status_code == 403
    assert "Answers come at the end" in refused.content.decode()
    assert "Intradural extramedullary metastasis" not in refused.content.decode()
    assert client.post(question_url(run, 1) + "rate/", {"recall": "3"}).status_code == 403
    assert client.post(question_url(run, 1) + "confirm/", {"meant_it": "yes"}).status_code == 403
    assert Attempt.objects.get().recall is None

    assert client.post(question_url(run, 2), {"answer": "Meningioma"})["Location"] == f"/quiz/{run.token}/"
    revealed = client.get(reveal_url(run, 1))
    assert revealed.status_code == 200
    assert "Intradural extramedullary metastasis" in revealed.content.decode()
    assert f'href="{reveal_url(run, 2)}">Next answer' in revealed.content.decode()
    assert client.post(question_url(run, 1) + "rate/", {"recall": "3"})["Location"] == reveal_url(run, 2)
    assert client.post(question_url(run, 2) + "rate/", {"recall": "1"})["Location"] == f"/quiz/{run.token}/"
    assert list(Attempt.objects.order_by("question__position").values_list("recall", flat=True)) == [3, 1]


@pytest.mark.parametrize("size", [2, 10])
def test_reveal_query_count_is_constant(client, django_assert_num_queries, size):
    for _ in range(size):
        make_case()
    run = start_quiz(client, count=size)
    client.post(question_url(run, 1), {"answer": "Meningioma", "differential_1": "Schwannoma"})
    # 1 session, 2 run with progress counts, 3 question with attempt, 4 case with known primary,
    # 5 level spans, 6 findings, 7 their image series (none here), 8 differentials with diagnoses,
    # 9 references, 10 next unanswered question
    with django_assert_num_queries(10):
        assert client.get(reveal_url(run, 1)).status_code == 200


def test_a_broader_term_earns_partial_credit_and_the_reveal_names_the_specific_diagnosis(client):
    spinal = make_diagnosis("Spinal metastasis", aliases="Spine metastasis")
    make_diagnosis("Intradural extramedullary metastasis", aliases="IDEM metastasis", broader=spinal)
    run = answered(client, "spinal mets")
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.score) == (Attempt.Outcome.BROADER, 0.5)
    page = client.get(reveal_url(run, 1)).content.decode()
    assert '<h2 id="verdict-heading">Right family: a broader term</h2>' in page
    assert "Right family — the specific diagnosis is <strong>Intradural extramedullary metastasis</strong>" in page
    assert "earns 0.5 of a point" in page
    assert "hedged" not in page


def test_a_hedged_answer_is_wrong_and_the_reveal_says_to_commit_to_one(client):
    run = answered(client, "IDEM metastasis or meningioma")
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.score) == (Attempt.Outcome.WRONG, 0)
    page = client.get(reveal_url(run, 1)).content.decode()
    assert '<h2 id="verdict-heading">Wrong</h2>' in page
    assert "A hedged answer names more than one diagnosis" in page
    assert "Right family" not in page


def test_a_plain_wrong_answer_gets_no_hedge_note(client):
    run = answered(client, "Meningioma")
    assert "hedged" not in client.get(reveal_url(run, 1)).content.decode()
