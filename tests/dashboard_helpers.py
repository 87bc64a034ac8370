"""Rows the teaching dashboard reads, written straight to the tables (not through the assignment pages)."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from cases.anatomy import Level
from quiz.models import Attempt, Question, QuizRun
from tests.factories import make_case, make_diagnosis
from tests.teaching_helpers import make_assignment, make_cohort, make_faculty, make_resident


def faculty(username):
    return make_faculty(username)


def resident(username, **kw):
    return make_resident(username, **kw)


def cohort(name, teacher, residents):
    return make_cohort(name, faculty=[teacher], residents=residents)


def assignment(title, cohorts, cases, **kw):
    """An exam that opened a day ago and is due in six days."""
    return make_assignment(cohorts=cohorts, cases=cases, title=title, opens_in=-24, due_in=24 * 6, mode="exam", **kw)


def answer(given, user, case, text, *, score=0.0, outcome=None, seconds=30, finished=False, run=None):
    """The resident's attempt at one case of the assignment, written straight to the tables."""
    run, _ = QuizRun.objects.get_or_create(user=user, assignment=given, defaults={"mode": given.mode})
    if finished:
        QuizRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    position = given.assignment_cases.get(case=case).position
    question = Question.objects.create(run=run, position=position, case=case)
    return Attempt.objects.create(
        question=question,
        answer_text=text,
        outcome=outcome or ("correct" if score == 1 else "wrong"),
        score=score,
        time_taken=timedelta(seconds=seconds),
        created_at=timezone.now(),
    )


def signed_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def thursday_exam():
    """Fay teaches Year 1 (ada, ben, cy); an exam of two cases; ada finished, ben half-way, cy not started."""
    fay = faculty("fay")
    ada = resident("ada", first_name="Ada", last_name="Lovelace")
    ben, cy = resident("ben"), resident("cy")
    make_diagnosis("Schwannoma", aliases="Neurinoma")
    lumbar = make_case(title="Woman with leg heaviness", levels=((Level.L3, Level.L3),))
    thoracic = make_case(title="Man with back pain", levels=((Level.T8, Level.T8),), final="Ependymoma")
    year1 = cohort("Year 1", fay, [ada, ben, cy])
    given = assignment("Thursday unknowns", [year1], [lumbar, thoracic])
    answer(given, ada, lumbar, "IDEM metastasis", score=1, seconds=50)
    answer(given, ada, thoracic, "Schwannomas", seconds=70, finished=True)
    answer(given, ben, lumbar, "neurinoma", seconds=20)
    return {"fay": fay, "ada": ada, "ben": ben, "cy": cy, "cohort": year1, "exam": given, "cases": (lumbar, thoracic)}
