"""What faculty read after an assignment: the dashboard, an assignment's results and CSV, a resident's record.

Each page reads each table once (values() rows tallied in teaching.results), so its query count is
the same for a cohort of 3 or 300.
"""

import csv

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q
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

ATTEMPT_FIELDS = ("answer_text", "chosen_diagnosis_id", "outcome", "score", "time_taken", "created_at")


def _assignments_taught_by(user):
    """Assignments given to at least one cohort this faculty member teaches (all for a superuser)."""
    if user.is_superuser:
        return Assignment.objects.all()
    return Assignment.objects.filter(cohorts__in=Cohort.objects.taught_by(user)).distinct()


def _residents_of(assignment):
    """The residents of the assignment's cohorts, each once, by username."""
    return list(get_user_model().objects.filter(cohorts__assignments=assignment).distinct().order_by("username"))


def _cases_of(assignment):
    """(position, case) in the assignment's order: list-side columns and the known primary, no answer field."""
    cases = Case.objects.select_related("known_primary").defer(
        *Case.ANSWER_FIELDS, "presentation", "presentation_html", "search_text"
    )
    rows = AssignmentCase.objects.filter(assignment=assignment).prefetch_related(Prefetch("case", queryset=cases))
    return [(row.position, row.case) for row in rows.order_by("position")]


def _attempts_of(assignment, residents):
    """Attempt rows (teaching.results) of the assignment's runs by these residents."""
    rows = Attempt.objects.filter(question__run__assignment=assignment).values(
        *ATTEMPT_FIELDS, user_id=F("question__run__user_id"), case_id=F("question__case_id")
    )
    members = {resident.pk for resident in residents}
    return [row for row in rows.order_by("created_at", "pk") if row["user_id"] in members]


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
            started=Count("runs", distinct=True),
            finished=Count("runs", filter=Q(runs__finished_at__isnull=False), distinct=True),
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
    residents = _residents_of(assignment)
    cases = _cases_of(assignment)
    cases_by_pk = {case.pk: case for _position, case in cases}
    finals = {
        row.case_id: row.diagnosis.name
        for row in Differential.objects.filter(case__in=list(cases_by_pk), is_final=True).select_related("diagnosis")
    }
    runs = QuizRun.objects.filter(assignment=assignment).values("user_id", "finished_at")
    attempts = _attempts_of(assignment, residents)
    vocabulary = Diagnosis.objects.all()
    per_resident = results.resident_results(residents=residents, runs=runs, attempts=attempts, case_count=len(cases))
    breakdown = results.facet_accuracy(attempts, cases_by_pk)
    counts = {status: 0 for status in (results.NOT_STARTED, results.IN_PROGRESS, results.FINISHED)}
    for row in per_resident:
        counts[row["status"]] += 1
    return render(
        request,
        "teaching/dashboard_results.html",
        {
            "assignment": assignment,
            "residents": per_resident,
            "counts": counts,
            "cases": results.case_results(cases=cases, finals=finals, attempts=attempts, vocabulary=vocabulary),
            "breakdown": breakdown,
            "bar_charts": facet_charts(breakdown),
            "timeline": timeline_chart(results.accuracy_over_time(attempts, cases_by_pk)),
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
    residents = _residents_of(assignment)
    cases = _cases_of(assignment)
    attempts = _attempts_of(assignment, residents)
    filename = f"{slugify(assignment.title) or 'assignment'}-{assignment.pk}-results.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
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
    )
    for row in results.csv_rows(residents=residents, cases=cases, attempts=attempts):
        writer.writerow([results.spreadsheet_safe(cell) for cell in row])
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
