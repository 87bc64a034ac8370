"""Pages only their visitor may see carry `Cache-Control: private, no-store`: no shared proxy keeps them."""

import pytest
from django.contrib.auth.models import User

from tests.factories import make_case
from tests.quiz_helpers import question_url, start_quiz

pytestmark = pytest.mark.django_db


def private(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_quiz_progress_reveal_and_answer_pages_are_never_kept_by_a_shared_cache(client):
    case = make_case()
    client.force_login(User.objects.create_user("ada"))
    responses = {"start": client.get("/quiz/")}
    run = start_quiz(client, count=1)
    responses["question"] = client.get(question_url(run, 1))
    responses["commit"] = client.post(question_url(run, 1), {"answer": "Meningioma"})
    responses["reveal"] = client.get(question_url(run, 1) + "reveal/")
    responses["rate"] = client.post(question_url(run, 1) + "rate/", {"recall": "3"})
    responses["results"] = client.get(f"/quiz/{run.token}/")
    responses["progress"] = client.get("/progress/")
    responses["answer page"] = client.get(case.get_answer_url())
    assert [name for name, response in responses.items() if not private(response)] == []


def test_the_public_case_list_and_case_page_may_be_cached(client):
    case = make_case()
    assert not private(client.get("/"))
    assert not private(client.get(case.get_absolute_url()))
