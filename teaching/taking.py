"""A resident's side of assignments: what is assigned to me, and starting one.

Nothing here names a case: an assignment's page says how many cases, never which.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from quiz.models import QuizRun
from quiz.runs import start_assignment_run

from .models import Assignment, Cohort

DUE_SOON = timedelta(hours=48)
SHORT_LIST_LENGTH = 5

GROUPS = [
    ("due_soon", gettext_lazy("Due soon")),
    ("open", gettext_lazy("Open")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("done", gettext_lazy("Done")),
]


def assigned_to(user):
    """Assignments given to any cohort the resident is in, with how many cases each has."""
    given = Assignment.cohorts.through.objects.filter(cohort__in=Cohort.objects.filter(residents=user))
    return Assignment.objects.filter(pk__in=given.values("assignment")).annotate(case_count=Count("assignment_cases"))


def _with_runs(assignments, user):
    """Each assignment with the resident's run (or None), its progress and score read in one query."""
    assignments = list(assignments)
    runs = (
        QuizRun.objects.filter(user=user, assignment__in=[a.pk for a in assignments])
        .with_progress()
        .annotate(score=Sum("questions__attempt__score"))
    )
    by_assignment = {run.assignment_id: run for run in runs}
    for assignment in assignments:
        assignment.run = by_assignment.get(assignment.pk)
        if assignment.run is not None:
            assignment.run.assignment = assignment  # its time limit, without a query
    return assignments


def group_of(assignment, *, now):
    """due_soon, open, upcoming or done, for this resident (assignment.run read)."""
    run = assignment.run
    if now < assignment.opens_at:
        return "upcoming"
    if now >= assignment.due_at or (run is not None and (run.finished_at or run.is_closed(now))):
        return "done"
    return "due_soon" if assignment.due_at - now <= DUE_SOON else "open"


def score_shown(assignment, *, now):
    """Whether the reveal rule lets the resident see their score now."""
    run = assignment.run
    if run is None:
        return False
    if assignment.reveal == Assignment.Reveal.AFTER_DUE:
        return now >= assignment.due_at
    if assignment.reveal == Assignment.Reveal.ON_SUBMIT:
        return run.finished_at is not None
    return True  # after each case: every answer is seen at once, so the running score is no secret


def _rows(assignments, *, now):
    for assignment in assignments:
        assignment.group = group_of(assignment, now=now)
        assignment.score_shown = score_shown(assignment, now=now)
    return assignments


def open_for(user, *, now, limit=SHORT_LIST_LENGTH):
    """The short list for the home and Progress pages: open assignments not finished, due soonest first."""
    # Only assignment runs: a NULL among the ids would make NOT IN exclude every row.
    finished = QuizRun.objects.filter(user=user, finished_at__isnull=False, assignment__isnull=False).values(
        "assignment"
    )
    assignments = assigned_to(user).filter(opens_at__lte=now, due_at__gt=now).exclude(pk__in=finished)
    rows = _rows(_with_runs(assignments.order_by("due_at", "pk")[: limit + 1], user), now=now)
    # A run past its time limit is done though not yet marked finished: left out here.
    rows = [row for row in rows if row.group in ("open", "due_soon")]
    return rows[:limit], len(rows) > limit


@never_cache
@login_required
@require_safe
def assigned(request):
    """Assigned to me: due soon, open, upcoming and done, with the score where the reveal rule allows."""
    now = timezone.now()
    rows = _rows(_with_runs(assigned_to(request.user).order_by("due_at", "pk"), request.user), now=now)
    groups = [
        {"key": key, "label": label, "assignments": [row for row in rows if row.group == key]} for key, label in GROUPS
    ]
    return render(request, "teaching/assignment_list.html", {"groups": groups, "any": bool(rows), "now": now})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def assignment_detail(request, pk):
    """An assignment as its residents see it: dates, how many cases, the rules; Start (or Continue)."""
    assignment = get_object_or_404(assigned_to(request.user), pk=pk)
    now = timezone.now()
    run = _with_runs([assignment], request.user)[0].run
    if request.method == "POST":
        if run is None and now < assignment.opens_at:
            messages.error(request, _("This assignment is not open yet."))
        elif run is None and now >= assignment.due_at:
            messages.error(request, _("This assignment is past its due date: it can no longer be started."))
        else:
            run, _created = start_assignment_run(assignment=assignment, user=request.user)
            return redirect(run.get_absolute_url() if run.finished_at else _first_unanswered(run))
        return redirect("teaching:assignment", pk=assignment.pk)
    if assignment.time_limit:
        assignment.time_limit_minutes = int(assignment.time_limit.total_seconds() // 60)
    return render(
        request,
        "teaching/assignment_detail.html",
        {
            "assignment": assignment,
            "run": run,
            "group": group_of(assignment, now=now),
            "score_shown": score_shown(assignment, now=now),
        },
    )


def _first_unanswered(run):
    question = run.questions.filter(attempt__isnull=True).only("run", "position").first()
    return question.get_absolute_url() if question else run.get_absolute_url()
