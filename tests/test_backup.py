"""manage.py backup and restore: a restore into an empty database gives back the same cases and quiz records."""

import pytest
from django.core.management import CommandError, call_command

from quiz.models import Attempt, QuizRun
from tests.quiz_helpers import load_demo_cases, question_url, start_quiz

pytestmark = pytest.mark.django_db(transaction=True)


def exported(tmp_path, name):
    target = tmp_path / name
    call_command("export_cases", output=str(target))
    return target.read_bytes()


def quiz_records():
    return list(
        Attempt.objects.order_by("pk").values_list(
            "question__run__token", "question__case__slug", "answer_text", "outcome", "score"
        )
    )


def test_a_backup_restored_into_an_empty_database_gives_the_same_cases_and_quiz_records(client, tmp_path):
    load_demo_cases()
    run = start_quiz(client, count=3)
    for n in (1, 2, 3):
        client.post(question_url(run, n), {"answer": "Vertebral metastasis"})
    before_cases, before_quiz = exported(tmp_path, "before.yaml"), quiz_records()
    assert len(before_quiz) == 3 and b"model: cases.case" in before_cases

    call_command("backup", str(tmp_path / "casebook.backup"))
    call_command("flush", interactive=False)  # an empty database: no case, no run
    assert not QuizRun.objects.exists() and b"model: cases.case" not in exported(tmp_path, "empty.yaml")

    call_command("restore", str(tmp_path / "casebook.backup"))
    assert exported(tmp_path, "after.yaml") == before_cases
    assert quiz_records() == before_quiz


def test_restore_refuses_to_overwrite_a_database_in_use_and_a_file_that_is_no_backup(tmp_path):
    load_demo_cases()
    call_command("backup", str(tmp_path / "casebook.backup"))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "casebook.backup"))
    (tmp_path / "notes.txt").write_text("not a backup")
    call_command("flush", interactive=False)
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "notes.txt"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.backup"))
