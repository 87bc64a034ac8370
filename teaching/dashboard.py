"""What faculty read after an assignment: the dashboard, an assignment's results and CSV, a resident's record.

Each page reads each table once (values() rows tallied in teaching.results), so its query count is
the same for a cohort of 3 or 300.
"""

import csv
import io

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cases.models import Case, Diagnosis, Differential
from quiz.models import Attempt, Question, QuizRun
from quiz.progress import accuracy_by_facet, attempts_by_day, most_missed

from . import results
from .access import faculty_required
from .charts import facet_charts, timeline_chart
from .models import Assignment, AssignmentCase, Cohort

CSV_HEADER = [
    "username",
    "full_name",
    "email",
    "position",
    "case",
    "answer",
    "outcome",
    "score",
    "seconds_taken",
    "answered_at",
]


def _assignments_taught_by(user):
    """Assignments given to at least one cohort this faculty member teaches (all for a superuser)."""
    if user.is_superuser:
        return Assignment.objects.all()
    return Assignment.objects.filter(cohorts__in=Cohort.objects.taught_by(user)).distinct()


def _members_of(assignment, user):
    """The residents of the assignment's cohorts that this faculty member teaches (a queryset, each
    resident once per cohort): an assignment shared with another teacher's cohort shows only one's own."""
    return get_user_model().objects.filter(cohorts__in=Cohort.objects.taught_by(user).filter(assignments=assignment))


def _residents_of(assignment, user):
    """The residents this faculty member sees in the assignment, each once, by username."""
    return list(_members_of(assignment, user).distinct().order_by("username"))


def _answers_to(assignment, user):
    """Attempts at the assignment by those residents (not by one who has left the cohort)."""
    return Attempt.objects.filter(
        question__run__assignment=assignment, question__run__user__in=_members_of(assignment, user).values("pk")
    ).order_by()


def _cases_of(assignment):
    """(position, case) in the assignment's order: list-side columns and the known primary, no answer field."""
    cases = Case.objects.select_related("known_primary").defer(
        *Case.ANSWER_FIELDS, "presentation", "presentation_html", "search_text"
    )
    rows = AssignmentCase.objects.filter(assignment=assignment).prefetch_related(Prefetch("case", queryset=cases))
    return [(row.position, row.case) for row in rows.order_by("position")]


def _attempts_of(assignment, user):
    """Attempt rows for the CSV (teaching.results.csv_rows): what was answered, how, and when."""
    return list(
        _answers_to(assignment, user).values(
            "answer_text",
            "outcome",
            "score",
            "time_taken",
            "created_at",
            user_id=F("question__run__user_id"),
            case_id=F("question__case_id"),
        )
    )


def _status(assignment, now):
    if now < assignment.opens_at:
        return "not_open"
    return "open" if now < assignment.due_at else "closed"


@never_cache
@require_safe
@faculty_required
def dashboard(request):
    """The faculty member's cohorts and the assignments given to them."""
    taught = Cohort.objects.taught_by(request.user)
    cohorts = taught.annotate(resident_count=Count("residents", distinct=True))
    assignments = (
        _assignments_taught_by(request.user)
        .annotate(
            case_count=Count("assignment_cases", distinct=True),
            # Only the runs of this teacher's residents: a shared assignment's other cohorts are not theirs.
            started=Count("runs", filter=Q(runs__user__cohorts__in=taught), distinct=True),
            finished=Count(
                "runs", filter=Q(runs__user__cohorts__in=taught, runs__finished_at__isnull=False), distinct=True
            ),
        )
        .prefetch_related(Prefetch("cohorts", queryset=taught, to_attr="cohorts_taught"))
        .order_by("-due_at", "pk")
    )
    now = timezone.now()
    rows = [{"assignment": a, "status": _status(a, now)} for a in assignments]
    return render(request, "teaching/dashboard.html", {"cohorts": cohorts, "assignments": rows})


@never_cache
@require_safe
@faculty_required
def assignment_results(request, pk):
    """Who has started and finished, each resident's score and time, each case's difficulty,
    discrimination and what residents answered instead, and accuracy by facet."""
    assignment = get_object_or_404(_assignments_taught_by(request.user), pk=pk)
    residents = _residents_of(assignment, request.user)
    cases = _cases_of(assignment)
    cases_by_pk = {case.pk: case for _position, case in cases}
    finals = {
        row.case_id: row.diagnosis.name
        for row in Differential.objects.filter(case__in=list(cases_by_pk), is_final=True).select_related("diagnosis")
    }
    runs = list(
        QuizRun.objects.filter(
            assignment=assignment, user__in=_members_of(assignment, request.user).values("pk")
        ).values("user_id", "created_at", "finished_at")
    )
    # Each resident's record is read within a cohort of theirs that this teacher teaches.
    record_cohort = dict(
        Cohort.residents.through.objects.filter(
            cohort__in=Cohort.objects.taught_by(request.user).filter(assignments=assignment)
        ).values_list("user_id", "cohort_id")
    )
    # Everything is summed and grouped in SQL: no query returns a row per answer.
    answers = _answers_to(assignment, request.user)
    resident = F("question__run__user_id")
    per_resident = (
        answers.values(user_id=resident)
        .annotate(answered=Count("pk"), total=Sum("score"), time=Sum("time_taken"))
        .order_by("user_id")
    )
    sums = {row["user_id"]: row for row in per_resident}
    # Ranked among those who answered; ties keep the residents' (username) order.
    groups = results.discrimination_groups([(r.pk, sums[r.pk]["total"] or 0) for r in residents if r.pk in sums])
    upper, lower = groups or ([], [])
    per_case = answers.values(case_id=F("question__case_id")).annotate(
        answered=Count("pk"),
        total=Sum("score"),
        upper=Sum("score", filter=Q(question__run__user__in=upper or [0])),  # [0]: no one, and still one query
        lower=Sum("score", filter=Q(question__run__user__in=lower or [0])),
    )
    case_sums = {row["case_id"]: row for row in per_case}
    instead = (
        answers.filter(score__lt=1)
        .values("answer_text", "chosen_diagnosis_id", "score", case_id=F("question__case_id"))
        .annotate(count=Count("pk"))
    )
    table = results.resident_results(residents=residents, runs=runs, sums=sums, case_count=len(cases))
    breakdown = results.facet_accuracy(case_sums, cases_by_pk)
    counts = {status: 0 for status in (results.NOT_STARTED, results.IN_PROGRESS, results.FINISHED)}
    for row in table:
        counts[row["status"]] += 1
        row["cohort_id"] = record_cohort.get(row["resident"].pk)
    case_rows = results.case_results(
        cases=cases,
        finals=finals,
        sums=case_sums,
        group_size=len(upper) if groups else None,
        answers=instead,
        vocabulary=Diagnosis.objects.all(),
    )
    return render(
        request,
        "teaching/dashboard_results.html",
        {
            "assignment": assignment,
            "residents": table,
            "counts": counts,
            "cases": case_rows,
            "breakdown": breakdown,
            "bar_charts": facet_charts(breakdown),
            # By the day each resident started: one row per run, where a day per answer costs a
            # time-zone conversion per row in SQLite.
            "timeline": timeline_chart(results.accuracy_by_day_started(runs=runs, sums=sums)),
            "case_count": len(cases),
            "minimum": results.DISCRIMINATION_MINIMUM,
        },
    )


@never_cache
@require_safe
@faculty_required
def assignment_results_csv(request, pk):
    """One row per resident per case, for a spreadsheet."""
    assignment = get_object_or_404(_assignments_taught_by(request.user), pk=pk)
    residents = _residents_of(assignment, request.user)
    cases = _cases_of(assignment)
    attempts = _attempts_of(assignment, request.user)
    filename = f"{slugify(assignment.title) or 'assignment'}-{assignment.pk}-results.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Written to a buffer and sent at once: 10,000 small writes to the response cost more than the rows.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerows(results.csv_rows(residents=residents, cases=cases, attempts=attempts))
    response.content = buffer.getvalue()
    return response


@never_cache
@require_safe
@faculty_required
def resident_record(request, cohort_pk, user_pk):
    """A resident's record in one of the faculty member's cohorts: this cohort's assignments and their
    scores, how much they practise (a count only), accuracy by facet and the cases most missed."""
    cohort = get_object_or_404(Cohort.objects.taught_by(request.user), pk=cohort_pk)
    resident = get_object_or_404(cohort.residents.all(), pk=user_pk)
    assignments = list(
        cohort.assignments.annotate(case_count=Count("assignment_cases", distinct=True)).order_by("-due_at", "pk")
    )
    runs = {
        run["assignment_id"]: run
        for run in QuizRun.objects.filter(user=resident, assignment__in=assignments).values(
            "assignment_id", "finished_at"
        )
    }
    # Only this cohort's assignments: what the resident does elsewhere is not this teacher's to read.
    questions = list(
        Question.objects.filter(run__user=resident, run__assignment__in=assignments, attempt__isnull=False)
        .select_related("attempt", "run")
        .prefetch_related(Prefetch("case", queryset=Case.objects.for_list()))
        .order_by("attempt__created_at")
    )
    totals = {}
    for question in questions:
        totals[question.run.assignment_id] = totals.get(question.run.assignment_id, 0) + question.attempt.score
    history = [
        {
            "assignment": assignment,
            "status": results.status_of(runs.get(assignment.pk)),
            "total": totals.get(assignment.pk, 0),
            "score": totals.get(assignment.pk, 0) / assignment.case_count if assignment.case_count else None,
        }
        for assignment in assignments
    ]
    practice = Attempt.objects.filter(question__run__user=resident, question__run__assignment__isnull=True).count()
    breakdown = accuracy_by_facet(questions)
    return render(
        request,
        "teaching/dashboard_resident.html",
        {
            "cohort": cohort,
            "resident": resident,
            "history": history,
            "practice_count": practice,
            "answered": len(questions),
            "breakdown": breakdown,
            "bar_charts": facet_charts(breakdown),
            "timeline": timeline_chart(attempts_by_day(questions)),
            "most_missed": most_missed(questions),
        },
    )
