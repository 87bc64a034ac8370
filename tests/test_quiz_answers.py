"""Committing an answer: once per question, graded on the server, whatever the browser sends twice."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError
from django.utils import timezone

from quiz.models import Attempt, Question, QuizRun
from tests.factories import make_case
from tests.quiz_helpers import question_url, start_quiz

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_a_replayed_commit_changes_nothing_and_is_not_counted_twice(client):
    make_case()
    make_case()
    run = start_quiz(client, count=2)
    first = client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    again = client.post(question_url(run, 1), {"answer": "Meningioma"}, follow=True)
    assert first["Location"] == again.redirect_chain[0][0] == question_url(run, 1) + "reveal/"
    assert "your first answer stands" in again.content.decode()
    attempt = Attempt.objects.get()
    assert (attempt.answer_text, attempt.outcome, attempt.score) == ("IDEM metastasis", "correct", 1)


@pytest.mark.django_db
def test_a_stale_exam_tab_cannot_overwrite_an_answer(client):
    make_case()
    make_case()
    run = start_quiz(client, mode="exam", count=2)
    client.get(question_url(run, 1))  # tab A
    client.get(question_url(run, 1))  # tab B, same question
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    response = client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    assert response["Location"] == question_url(run, 2)
    assert list(Attempt.objects.values_list("answer_text", flat=True)) == ["Meningioma"]


@pytest.mark.django_db
def test_the_score_comes_from_the_server_never_the_client(client):
    make_case()
    run = start_quiz(client, count=1)
    client.post(question_url(run, 1), {"answer": "Meningioma", "score": "1", "outcome": "correct", "time_taken": "1"})
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.score) == ("wrong", 0)


@pytest.mark.django_db
def test_a_run_finishes_when_its_last_question_is_answered(client):
    make_case()
    make_case()
    run = start_quiz(client, count=2)
    client.post(question_url(run, 2), {"answer": "Meningioma"})  # questions may be answered in any order
    run.refresh_from_db()
    assert run.finished_at is None
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    run.refresh_from_db()
    assert run.finished_at is not None


@pytest.mark.django_db
def test_a_finished_run_records_nothing_more(client):
    make_case()
    run = start_quiz(client, mode="exam", count=1)
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    response = client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    assert response["Location"] == question_url(run, 1) + "reveal/"  # the run is over: see the answer
    assert Attempt.objects.get().answer_text == "Meningioma"


@pytest.mark.django_db
def test_the_database_refuses_a_second_attempt_at_a_question():
    question = Question.objects.create(run=QuizRun.objects.create(), position=1, case=make_case())
    fields = {"answer_text": "x", "outcome": "wrong", "time_taken": timedelta(0), "created_at": timezone.now()}
    Attempt.objects.create(question=question, **fields)
    with pytest.raises(IntegrityError):
        Attempt.objects.create(question=question, **fields)


# SQLite's in-memory test database cannot queue concurrent writers (it fails at once with "table is
# locked"), so the race runs in a child process on a file database configured as in production.
RACE = """
import json, threading
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
from quiz.models import Attempt
from tests.factories import make_case
from tests.quiz_helpers import question_url, start_quiz

setup_test_environment()
call_command("migrate", verbosity=0)
make_case()
client = Client()
run = start_quiz(client, count=1)
client.get(question_url(run, 1))
barrier, statuses = threading.Barrier(4), []

def commit(answer):
    tab = Client()
    tab.cookies = client.cookies
    barrier.wait()
    try:
        statuses.append(tab.post(question_url(run, 1), {"answer": answer}).status_code)
    finally:
        connection.close()

tabs = [threading.Thread(target=commit, args=(a,)) for a in ("Meningioma", "Schwannoma", "IDEM metastasis", "Lipoma")]
for tab in tabs:
    tab.start()
for tab in tabs:
    tab.join()
print(json.dumps({"statuses": statuses, "attempts": Attempt.objects.count()}))
"""


def test_four_tabs_committing_at_once_leave_one_attempt(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "casebook.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", RACE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"statuses": [302, 302, 302, 302], "attempts": 1}


@pytest.mark.django_db
def test_a_final_diagnosis_withdrawn_mid_run_is_no_error(client):
    case = make_case()
    run = start_quiz(client, count=1)
    case.differentials.filter(is_final=True).update(is_final=False)
    response = client.post(question_url(run, 1), {"answer": "IDEM metastasis"}, follow=True)
    assert response.status_code == 200
    assert "This case has no final diagnosis yet." in response.content.decode()
    assert Attempt.objects.get().outcome == "wrong"
