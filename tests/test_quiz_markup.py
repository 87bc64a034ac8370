"""Every quiz page type is valid HTML according to the Nu HTML checker (vnu)."""

import pytest
from django.contrib.auth.models import User

from .factories import make_case
from .markup import assert_valid_html
from .quiz_helpers import question_url, start_quiz

pytestmark = pytest.mark.django_db


def quiz_pages(client):
    """(name, response) for each quiz page type, walking through a free-text and a multiple-choice run."""
    make_case()
    make_case()
    pages = [("start", client.get("/quiz/")), ("start-empty", client.get("/quiz/?region=sacral"))]
    run = start_quiz(client, mode="exam", count=2)
    pages += [
        ("question", client.get(question_url(run, 1))),
        ("question-error", client.post(question_url(run, 1), {"answer": "x" * 201})),
    ]
    client.post(question_url(run, 1), {"answer": "intradural extramedulary metastasis", "differential_1": "Meningioma"})
    pages += [
        ("locked", client.get(question_url(run, 1) + "reveal/")),
        ("in-progress", client.get(f"/quiz/{run.token}/")),
    ]
    client.post(question_url(run, 2), {"answer": "Meningioma"})
    pages += [
        ("reveal-close", client.get(question_url(run, 1) + "reveal/")),
        ("reveal-rate", client.get(question_url(run, 2) + "reveal/")),
        ("summary", client.get(f"/quiz/{run.token}/")),
        ("progress-anonymous", client.get("/progress/")),
    ]
    mc = start_quiz(client, answer_format="multiple_choice", count=1)
    pages += [
        ("question-choice", client.get(question_url(mc, 1))),
        ("question-choice-error", client.post(question_url(mc, 1), {"choice": "99"})),
    ]
    client.force_login(User.objects.create_user("ada", password="a long enough password 42"))
    signed_in = start_quiz(client, count=2)
    for n in (1, 2):
        client.post(question_url(signed_in, n), {"answer": "Meningioma"})
        client.post(question_url(signed_in, n) + "rate/", {"recall": "1"})
    pages += [
        ("progress", client.get("/progress/")),
        ("password-change", client.get("/accounts/password_change/")),
        ("password-change-done", client.get("/accounts/password_change/done/")),
    ]
    return pages


def test_quiz_pages_have_no_html_errors(client, tmp_path):
    pages = quiz_pages(client)
    assert [name for name, response in pages if response.status_code not in (200, 403)] == []
    assert_valid_html(pages, tmp_path)
