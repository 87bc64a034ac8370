"""Whose run is it: a resident sees only their own; an anonymous run is kept when its taker signs in."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from quiz.models import Attempt, QuizRun, ReviewCard
from tests.factories import make_case
from tests.quiz_helpers import question_url, start_quiz

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough password 42"


def resident(username):
    return User.objects.create_user(username, password=PASSWORD)


def sign_in(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def every_url(run):
    base = f"/quiz/{run.token}/"
    return [
        ("get", base),
        ("get", base + "1/"),
        ("post", base + "1/"),
        ("get", base + "1/reveal/"),
        ("post", base + "1/rate/"),
        ("post", base + "1/confirm/"),
    ]


def test_another_residents_run_is_not_found(client):
    make_case()
    resident("ada")
    resident("ben")
    sign_in(client, "ada")
    run = start_quiz(client, count=1)
    assert run.user.username == "ada"
    client.post(question_url(run, 1), {"answer": "Meningioma"})

    other = Client()
    sign_in(other, "ben")
    for method, url in every_url(run):
        data = {"answer": "IDEM metastasis", "recall": "4", "meant_it": "yes"}
        assert getattr(other, method)(url, data if method == "post" else None).status_code == 404, url
    attempt = Attempt.objects.get()
    assert (attempt.answer_text, attempt.recall) == ("Meningioma", None)


def test_an_anonymous_run_is_not_found_from_another_browser(client):
    make_case()
    run = start_quiz(client, count=1)
    for method, url in every_url(run):
        assert getattr(Client(), method)(url).status_code == 404, url
    signed_in = Client()
    resident("ben")
    sign_in(signed_in, "ben")
    assert signed_in.get(question_url(run, 1)).status_code == 404  # user=None does not mean anyone's
    assert not Attempt.objects.exists()


def test_a_residents_run_is_not_found_once_signed_out(client):
    make_case()
    resident("ada")
    sign_in(client, "ada")
    run = start_quiz(client, count=1)
    client.post("/accounts/logout/")
    assert client.get(question_url(run, 1)).status_code == 404


def test_signing_in_during_a_run_keeps_it_and_schedules_what_was_rated(client):
    make_case()
    make_case()
    run = start_quiz(client, count=2)
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    client.post(question_url(run, 1) + "rate/", {"recall": "1"})
    assert not ReviewCard.objects.exists()  # anonymous: nothing to schedule for

    ada = resident("ada")
    sign_in(client, "ada")
    run.refresh_from_db()
    assert run.user == ada
    first_case = run.questions.get(position=1).case
    assert list(ReviewCard.objects.values_list("user", "case")) == [(ada.pk, first_case.pk)]

    assert client.get(question_url(run, 2)).status_code == 200  # the run carries on, signed in
    client.post(question_url(run, 2), {"answer": "IDEM metastasis"})
    client.post(question_url(run, 2) + "rate/", {"recall": "3"})
    assert ReviewCard.objects.filter(user=ada).count() == 2
    progress = client.get("/progress/").content.decode()
    assert "<strong>1 of 2</strong> answers correct" in progress


def test_signing_in_claims_only_this_browsers_anonymous_runs(client):
    make_case()
    mine = start_quiz(client, count=1)
    elsewhere = Client()
    theirs = start_quiz(elsewhere, count=1)
    resident("ada")
    sign_in(client, "ada")
    assert QuizRun.objects.get(pk=mine.pk).user.username == "ada"
    assert QuizRun.objects.get(pk=theirs.pk).user is None
    assert elsewhere.get(question_url(theirs, 1)).status_code == 200
