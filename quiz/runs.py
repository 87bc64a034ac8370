"""Quiz workflows: starting a run, committing an answer, confirming a near miss, rating recall."""

import random

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from cases.models import Case, Diagnosis, Differential, ImagingFinding

from .grading import Grade, credit_differentials, grade_answer, grade_choice, score_for
from .models import Attempt, Question, QuizRun, ReviewCard
from .scheduling import schedule_review

SESSION_KEY = "quiz_runs"
SESSION_RUN_LIMIT = 50
DISTRACTORS = 3


class RunClosed(Exception):
    """The assignment's time limit or due date has passed: no answer is recorded any more."""


def quizzable_cases():
    """Published cases with a final diagnosis to grade against."""
    has_final = Exists(Differential.objects.filter(case=OuterRef("pk"), is_final=True))
    return Case.objects.published().filter(has_final)


def assignable_cases():
    """Cases faculty may give in an assignment: published or held for assessment, with a final diagnosis."""
    has_final = Exists(Differential.objects.filter(case=OuterRef("pk"), is_final=True))
    return Case.objects.assignable().filter(has_final)


def above_of(pk, parents):
    """Every entity ``pk`` is a kind of (a cycle stops the walk)."""
    seen, parent = {pk}, parents.get(pk)
    while parent is not None and parent not in seen:
        seen.add(parent)
        parent = parents.get(parent)
    return seen - {pk}


def _root(pk, parents):
    """The broadest term above ``pk`` (itself when it has none)."""
    return min(above_of(pk, parents) | {pk}, key=lambda p: (len(above_of(p, parents)), p))


def choose_options(*, case_id, alternatives, vocabulary, compartments=()):
    """Multiple-choice options: the case's whole differential list plus distractors, alphabetical.

    ``vocabulary`` maps pk to rows with ``name``, ``broader_id`` and ``compartments``. Distractors are
    entities a resident would weigh for this case, those sharing a compartment with the case's imaging
    findings (``compartments``; without any, with its differentials' entities): first one from the
    family of a differential (so a differential, the final included, is not the only one of its kind,
    and choosing a broader term of the final earns partial credit), then any, then the differentials'
    family, then the rest. Bare family terms (broader terms tagged with no compartment) are never
    offered. The draw is seeded by the case and never looks at which differential is the final, so
    every run offers the same set and comparing runs tells nothing.
    """
    own = set(alternatives)
    parents = {pk: entry.broader_id for pk, entry in vocabulary.items()}
    candidates = sorted(pk for pk in vocabulary if pk not in own)
    wanted = set(compartments) or {c for pk in own if pk in vocabulary for c in vocabulary[pk].compartments or []}
    roots = {_root(pk, parents) for pk in own}
    bare_terms = {parent for parent in parents.values() if parent is not None} - {
        pk for pk, entry in vocabulary.items() if entry.compartments
    }
    candidates = [pk for pk in candidates if pk not in bare_terms]
    family = [pk for pk in candidates if _root(pk, parents) in roots]
    sharing = [pk for pk in candidates if wanted & set(vocabulary[pk].compartments or [])]
    draw, chosen = random.Random(case_id), []
    for pool, most in [
        ([pk for pk in sharing if pk in family], 1),
        (sharing, DISTRACTORS),
        (family, DISTRACTORS),
        (candidates, DISTRACTORS),
    ]:
        fresh = [pk for pk in pool if pk not in chosen]
        chosen += draw.sample(fresh, min(most, DISTRACTORS - len(chosen), len(fresh)))
    return sorted(own | set(chosen), key=lambda pk: (vocabulary[pk].name.casefold() if pk in vocabulary else "", pk))


def start_run(*, cases, count, mode, answer_format, user, is_review=False):
    """A run of up to ``count`` of the cases, drawn at random without repeats; None when none match."""
    case_ids = list(cases.order_by("?").values_list("pk", flat=True)[:count])
    if not case_ids:
        return None
    with transaction.atomic():
        run = QuizRun.objects.create(
            mode=mode,
            answer_format=answer_format,
            user=user if user.is_authenticated else None,
            is_review=is_review,
        )
        _add_questions(run=run, case_ids=case_ids)
    return run


def _add_questions(*, run, case_ids):
    """The run's questions, in this order, with their options when the run is multiple choice."""
    options = {}
    if run.is_multiple_choice:
        # Never an entity only drafts use: offering it would announce a case still being written.
        vocabulary = {d.pk: d for d in Diagnosis.objects.for_residents().only("name", "broader_id", "compartments")}
        differential_lists = {pk: [] for pk in case_ids}
        for case_id, diagnosis_id in Differential.objects.filter(case__in=case_ids).values_list(
            "case_id", "diagnosis_id"
        ):
            differential_lists[case_id].append(diagnosis_id)
        compartments = {pk: set() for pk in case_ids}
        for case_id, compartment in (
            ImagingFinding.objects.filter(case__in=case_ids)
            .exclude(compartment="")
            .values_list("case_id", "compartment")
        ):
            compartments[case_id].add(compartment)
        options = {
            pk: choose_options(case_id=pk, alternatives=ids, vocabulary=vocabulary, compartments=compartments[pk])
            for pk, ids in differential_lists.items()
        }
    Question.objects.bulk_create(
        Question(run=run, position=n, case_id=pk, option_ids=options.get(pk, []))
        for n, pk in enumerate(case_ids, start=1)
    )


def start_assignment_run(*, assignment, user):
    """The resident's one run of the assignment, its cases in the assignment's order; (run, created).

    Revealed after each case, it is a practice run; otherwise an exam. Held cases are served here
    (and nowhere else). A second start, from another tab say, finds the first run: the database
    allows one run per resident per assignment.
    """
    existing = QuizRun.objects.filter(assignment=assignment, user=user).first()
    if existing is not None:
        return existing, False
    practice = assignment.reveal == assignment.Reveal.AFTER_EACH
    try:
        with transaction.atomic():
            # The same lock as faculty editing its cases: a run is built from the list as saved.
            type(assignment).objects.select_for_update().filter(pk=assignment.pk).exists()
            case_ids = list(assignment.assignment_cases.order_by("position").values_list("case_id", flat=True))
            run = QuizRun.objects.create(
                mode=QuizRun.Mode.PRACTICE if practice else QuizRun.Mode.EXAM,
                answer_format=assignment.answer_format,
                user=user,
                assignment=assignment,
            )
            _add_questions(run=run, case_ids=case_ids)
    except IntegrityError:
        return QuizRun.objects.get(assignment=assignment, user=user), False
    return run, True


def finish_if_closed(*, run, now):
    """Mark an assignment's run finished once its time is up; True when it is closed."""
    if not run.is_closed(now):
        return False
    if run.finished_at is None:
        QuizRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(finished_at=run.closes_at())
        run.finished_at = run.closes_at()
    return True


def remember_run(*, session, run):
    """Anonymous runs are authorised by the tokens in the visitor's session."""
    if run.user_id is None:
        session[SESSION_KEY] = [*session.get(SESSION_KEY, []), run.token][-SESSION_RUN_LIMIT:]


def mark_served(*, question, now):
    """The clock for the answer starts the first time the question is shown."""
    if question.served_at is None:
        Question.objects.filter(pk=question.pk, served_at__isnull=True).update(served_at=now)
        question.served_at = now


def _grade(*, case_id, text, chosen, differentials):
    """The grade of an answer to the case, and its typed differentials with their credit."""
    final = Differential.objects.select_related("diagnosis").filter(case=case_id, is_final=True).first()
    if final is None:  # the final diagnosis was withdrawn mid-run: nothing to match
        return Grade(Attempt.Outcome.WRONG), []
    vocabulary = Diagnosis.objects.only("name", "aliases", "broader_id")  # broader links: partial credit
    if chosen is not None:
        return grade_choice(diagnosis=final.diagnosis, chosen=chosen, vocabulary=vocabulary), []
    alternatives = [
        d.diagnosis for d in Differential.objects.filter(case=case_id, is_final=False).select_related("diagnosis")
    ]
    return (
        grade_answer(diagnosis=final.diagnosis, text=text, vocabulary=vocabulary),
        credit_differentials(alternatives=alternatives, texts=differentials),
    )


def record_attempt(*, question, text="", chosen=None, differentials=(), now):
    """Commit the resident's answer, graded; (attempt, created). A second commit changes nothing;
    after an assignment's time limit or due date, RunClosed is raised and nothing is recorded.

    The question row is locked first (an IMMEDIATE transaction on SQLite), so two tabs or a
    double click queue here, and the loser finds the winner's attempt.
    """
    if finish_if_closed(run=question.run, now=now):  # the run is read with its assignment by the view
        raise RunClosed
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        existing = Attempt.objects.filter(question=question).first()
        if existing is not None:
            return existing, False
        grade, credited = _grade(case_id=question.case_id, text=text, chosen=chosen, differentials=differentials)
        attempt, created = Attempt.objects.get_or_create(
            question=question,
            defaults={
                "answer_text": chosen.name if chosen else text,
                "chosen_diagnosis": chosen,
                "close_to": grade.matched_name if grade.outcome == Attempt.Outcome.CLOSE else "",
                "differentials": credited,
                "differentials_credited": sum(1 for d in credited if d["credited"]),
                "outcome": grade.outcome,
                "score": grade.score,
                "time_taken": now - (question.served_at or now),
                "created_at": now,
            },
        )
        unanswered = Question.objects.filter(run=question.run_id, attempt__isnull=True)
        if created and not unanswered.exists():
            QuizRun.objects.filter(pk=question.run_id, finished_at__isnull=True).update(finished_at=now)
    return attempt, created


def confirm_close(*, attempt, meant_it):
    """The resident says whether a near miss was a typo of the diagnosis; asked once."""
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.outcome == Attempt.Outcome.CLOSE:
            attempt.outcome = Attempt.Outcome.CLOSE_CONFIRMED if meant_it else Attempt.Outcome.WRONG
            attempt.score = score_for(attempt.outcome)
            attempt.save(update_fields=["outcome", "score"])
    return attempt


def rate_recall(*, attempt, rating, user, now):
    """Record how well the case was recalled and, for a signed-in resident, schedule its review.

    The first rating stands; a replayed one changes nothing.
    """
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().select_related("question").get(pk=attempt.pk)
        if attempt.recall is not None:
            return attempt
        attempt.recall, attempt.rated_at = rating, now
        attempt.save(update_fields=["recall", "rated_at"])
        if user.is_authenticated:
            review_case(user=user, case_id=attempt.question.case_id, rating=rating, now=now)
    return attempt


def review_case(*, user, case_id, rating, now):
    """Schedule the resident's next review of the case from a recall rating given at ``now``."""
    card = ReviewCard.objects.select_for_update().filter(user=user, case_id=case_id).first()
    if card is not None and card.last_reviewed_at > now:
        return  # an older anonymous rating replayed after a newer one: the newer stands
    state, due = schedule_review(card_state=card.state if card else {}, rating=rating, now=now)
    ReviewCard.objects.update_or_create(
        user=user,
        case_id=case_id,
        defaults={"state": state, "due": due, "last_reviewed_at": now},
    )


def claim_anonymous_runs(*, user, tokens):
    """Give a resident who signs in the runs they took anonymously, and schedule what they rated."""
    with transaction.atomic():
        runs = QuizRun.objects.filter(user__isnull=True, token__in=list(tokens))
        rated = list(
            Attempt.objects.filter(question__run__in=runs, recall__isnull=False)
            .select_related("question")
            .order_by("rated_at")
        )
        runs.update(user=user)
        for attempt in rated:
            review_case(user=user, case_id=attempt.question.case_id, rating=attempt.recall, now=attempt.rated_at)
