from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cases.caching import cached_html, digest, presentation_html
from cases.filters import CaseFilter
from cases.models import Case, ContentVersion, Diagnosis
from teaching.models import Assignment

from .forms import (
    MAX_RUN_LENGTH,
    ChoiceAnswerForm,
    ConfirmCloseForm,
    FreeTextAnswerForm,
    QuizStartForm,
    RecallForm,
    ReviewStartForm,
    filter_fields,
)
from .models import Question, QuizRun, ReviewCard
from .progress import accuracy_by_facet, attempts_by_day, most_missed
from .runs import (
    SESSION_KEY,
    RunClosed,
    confirm_close,
    finish_if_closed,
    mark_served,
    quizzable_cases,
    rate_recall,
    record_attempt,
    remember_run,
    start_run,
)


def _owned_runs(request):
    """The runs this visitor may open: another resident's run is simply not found."""
    # With its assignment (a join): its dates and reveal rule decide what may be shown.
    runs = QuizRun.objects.owned_by(user=request.user, tokens=request.session.get(SESSION_KEY, []))
    return runs.select_related("assignment")


def _run_or_404(request, token):
    """The run, if this visitor owns it, with its progress."""
    return get_object_or_404(_owned_runs(request).with_progress(), token=token)


def _run_and_question_or_404(request, token, n):
    """(the run, its question n with its attempt), if this visitor owns the run.

    The run's progress is counted from its questions, fetched in one query with their attempts
    (a run has at most a few dozen): cheaper than counting in SQL and fetching the question apart.
    """
    run = get_object_or_404(_owned_runs(request), token=token)
    questions = list(Question.objects.for_question().filter(run=run))
    run.question_count = len(questions)
    run.answered_count = sum(question.answered() for question in questions)
    question = next((question for question in questions if question.position == n), None)
    if question is None:
        raise Http404("No question matches the given query.")
    question.run = run  # saves a query each time the question builds its URLs
    return run, question


def _question_or_404(queryset, run, n):
    question = get_object_or_404(queryset, run=run, position=n)
    question.run = run  # saves a query each time the question builds its URLs
    return question


def _next_url(run):
    """The first unanswered question, or the results once every question is answered."""
    question = run.questions.filter(attempt__isnull=True).only("run", "position").first()
    return question.get_absolute_url() if question else run.get_absolute_url()


def _next_answer_url(run, n):
    """An exam's delayed reveal goes through the answers in order; None after the last."""
    return reverse("quiz:reveal", args=[run.token, n + 1]) if n < run.question_count else None


def _start(request, *, cases, count, mode, answer_format, is_review=False):
    run = start_run(
        cases=cases, count=count, mode=mode, answer_format=answer_format, user=request.user, is_review=is_review
    )
    if run is not None:
        remember_run(session=request.session, run=run)
    return run


@never_cache
@require_http_methods(["GET", "POST"])
def quiz_start(request):
    """Choose cases with the case list's filters, how many, the mode and the answer format."""
    filterset = CaseFilter(request.POST if request.method == "POST" else request.GET, queryset=quizzable_cases())
    fields = filter_fields(filterset)  # before validation, which fixes the fields' labels
    form = QuizStartForm(request.POST if request.method == "POST" else None)
    matching = filterset.qs.count()
    if form.is_valid() and filterset.is_valid() and matching:
        run = _start(request, cases=filterset.qs, **form.cleaned_data)
        if run is not None:
            return redirect(_next_url(run))
    return render(
        request,
        "quiz/start.html",
        {
            "form": form,
            "filter_fields": fields,
            "filter_errors": filterset.errors if filterset.is_bound else {},
            "matching": matching,
        },
    )


def _options(question):
    chosen = Diagnosis.objects.only("name").in_bulk(question.option_ids)
    return [chosen[pk] for pk in question.option_ids if pk in chosen]


def _answer_form(run, question, data=None):
    if run.is_multiple_choice:
        return ChoiceAnswerForm(data, options=_options(question))
    return FreeTextAnswerForm(data)


def _answer_fields(request, run, form):
    """The answer inputs: the options, or the text boxes with the vocabulary to suggest from."""
    names = [] if run.is_multiple_choice else Diagnosis.objects.visible_to(request.user).values_list("name", flat=True)
    return render_to_string("quiz/_answer_fields.html", {"run": run, "form": form, "diagnosis_names": names})


@never_cache
@require_http_methods(["GET", "POST"])
def question(request, token, n):
    """The case as an unknown: presentation side only, until the resident commits an answer."""
    run, question = _run_and_question_or_404(request, token, n)
    if question.answered():
        if run.answers_visible():
            messages.info(request, _("You have answered question %(n)s; your first answer stands.") % {"n": n})
            return redirect(question.get_reveal_url())
        if run.results_hidden:
            messages.info(
                request,
                _("You have answered question %(n)s; answers are revealed on %(date)s.")
                % {
                    "n": n,
                    "date": date_format(timezone.localtime(run.assignment.due_at), "DATETIME_FORMAT"),
                },
            )
        else:
            messages.info(
                request,
                _("You have answered question %(n)s; answers are revealed when the run is finished.") % {"n": n},
            )
        return redirect(_next_url(run))
    if finish_if_closed(run=run, now=timezone.now()):
        return _closed(request, run, status=409 if request.method == "POST" else 200)

    version = ContentVersion.current()
    if request.method == "POST":
        form = _answer_form(run, question, request.POST)
        if form.is_valid():
            if run.is_multiple_choice:
                answer = {"chosen": form.chosen()}
            else:
                answer = {"text": form.cleaned_data["answer"], "differentials": form.differentials()}
            try:
                attempt, created = record_attempt(question=question, now=timezone.now(), **answer)
            except RunClosed:  # the time ran out while the answer was being typed
                return _closed(request, run, status=409)
            if not created:
                messages.info(request, _("Question %(n)s was already answered; your first answer stands.") % {"n": n})
            # Practice reveals each answer; an exam moves on, to the results after the last one.
            return redirect(_next_url(run) if run.is_exam else question.get_reveal_url())
        fields = _answer_fields(request, run, form)  # with the errors and what was typed
    else:
        mark_served(question=question, now=timezone.now())
        # The blank inputs are the same for every question of a format (and, in multiple choice,
        # for every question offering the same options): rendered once per content version.
        fields = cached_html(
            "question-fields:" + digest(run.answer_format, question.option_ids, request.user.is_staff, version),
            lambda: _answer_fields(request, run, _answer_form(run, question)),
        )
    return render(
        request,
        "quiz/question.html",
        {
            "run": run,
            "question": question,
            "presentation": presentation_html(question.case_id, version),
            "answer_fields": fields,
        },
    )


def _closed(request, run, *, status):
    """The time limit or due date has passed: the answer is not recorded."""
    return render(request, "quiz/closed.html", {"run": run, "closed_at": run.closes_at()}, status=status)


def _answered_question_or_redirect(request, run, n, queryset):
    """(question, None) when its answer may be shown, else (None, the response to send instead)."""
    question = _question_or_404(queryset, run, n)
    finish_if_closed(run=run, now=timezone.now())  # past its due date, an assignment's answers may show
    if not question.answered():
        messages.info(request, _("Answer question %(n)s first.") % {"n": n})
        return None, redirect(question.get_absolute_url())
    if not run.answers_visible():
        return None, render(request, "quiz/locked.html", {"run": run, "next_url": _next_url(run)}, status=403)
    return question, None


@never_cache
@require_safe
def reveal(request, token, n):
    """The resident's answer beside the final diagnosis, then the case's whole answer page."""
    run = _run_or_404(request, token)
    question, refusal = _answered_question_or_redirect(request, run, n, Question.objects.for_reveal())
    if refusal:
        return refusal
    attempt = question.attempt
    return render(
        request,
        "quiz/reveal.html",
        {
            "run": run,
            "question": question,
            "attempt": attempt,
            "case": question.case,
            "final": question.case.final_differential(),
            "recall_form": RecallForm(initial={"recall": attempt.suggested_recall()}),
            "next_url": _next_answer_url(run, n) if run.is_exam else _next_url(run),
        },
    )


@never_cache
@require_POST
def confirm(request, token, n):
    """'I meant this' (or not) for an answer graded close."""
    run = _run_or_404(request, token)
    question, refusal = _answered_question_or_redirect(request, run, n, Question.objects.select_related("attempt"))
    if refusal:
        return refusal
    form = ConfirmCloseForm(request.POST)
    if form.is_valid():
        confirm_close(attempt=question.attempt, meant_it=form.cleaned_data["meant_it"])
    return redirect(question.get_reveal_url())


@never_cache
@require_POST
def rate(request, token, n):
    """Record recall (Again / Hard / Good / Easy), which schedules the case's next review."""
    run = _run_or_404(request, token)
    question, refusal = _answered_question_or_redirect(request, run, n, Question.objects.select_related("attempt"))
    if refusal:
        return refusal
    form = RecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose Again, Hard, Good or Easy."))
        return redirect(question.get_reveal_url())
    rate_recall(attempt=question.attempt, rating=form.cleaned_data["recall"], user=request.user, now=timezone.now())
    if run.is_exam:
        return redirect(_next_answer_url(run, n) or run.get_absolute_url())
    return redirect(_next_url(run))


@never_cache
@require_safe
def summary(request, token):
    """The score, time per case and a breakdown by facet; in an exam, the delayed reveal of every answer."""
    run = _run_or_404(request, token)
    finish_if_closed(run=run, now=timezone.now())
    if run.results_hidden:  # revealed after the due date: finished or not, no score yet
        return render(request, "quiz/locked.html", {"run": run, "next_url": _next_url(run)})
    if run.finished_at is None:
        return render(request, "quiz/in_progress.html", {"run": run, "next_url": _next_url(run)})
    questions = list(run.questions.for_summary())
    # An assignment's run closed by its time limit or due date may leave questions unanswered: they score 0.
    answered = [q for q in questions if q.answered()]
    return render(
        request,
        "quiz/summary.html",
        {
            "run": run,
            "questions": questions,
            "score": sum(q.attempt.score for q in answered),
            "total": len(questions),
            "differentials_credited": sum(q.attempt.differentials_credited for q in answered),
            "awaiting_confirmation": sum(q.attempt.awaits_confirmation for q in answered),
            "breakdown": accuracy_by_facet(answered),
        },
    )


@never_cache
@require_safe
def progress(request):
    """A resident's record: attempts over time, accuracy by facet, the most missed cases, what is due."""
    if not request.user.is_authenticated:
        return render(request, "quiz/progress_anonymous.html")
    # Every answered question is read once and tallied in Python: a resident's history is
    # hundreds of rows, and the query count stays the same however long it grows.
    # An exam counts once it is finished: until then its answers are not even revealed to the resident.
    # Nor does an assignment revealed only after its due date, before that date.
    questions = list(
        Question.objects.filter(run__user=request.user, attempt__isnull=False)
        .exclude(run__mode=QuizRun.Mode.EXAM, run__finished_at__isnull=True)
        .exclude(run__assignment__reveal=Assignment.Reveal.AFTER_DUE, run__assignment__due_at__gt=timezone.now())
        .for_summary()
        .order_by("attempt__created_at")
    )
    return render(
        request,
        "quiz/progress.html",
        {
            "answered": len(questions),
            "correct": sum(q.attempt.score for q in questions),
            "by_day": attempts_by_day(questions),
            "breakdown": accuracy_by_facet(questions),
            # Named only if in the library: a case still held for an exam is not mentioned outside its run.
            "most_missed": most_missed([q for q in questions if q.case.is_published]),
            "due": ReviewCard.objects.filter(user=request.user, case__status=Case.Status.PUBLISHED)
            .due(now=timezone.now())
            .select_related("case"),
            "review_form": ReviewStartForm(),
        },
    )


@never_cache
@login_required
@require_POST
def review_start(request):
    """A practice run of the cases due for review today."""
    form = ReviewStartForm(request.POST)
    due = ReviewCard.objects.filter(user=request.user).due(now=timezone.now()).values("case")
    run = form.is_valid() and _start(
        request,
        cases=quizzable_cases().filter(pk__in=due),
        count=MAX_RUN_LENGTH,
        mode=QuizRun.Mode.PRACTICE,
        answer_format=form.cleaned_data["answer_format"],
        is_review=True,
    )
    if not run:
        messages.info(request, _("No case is due for review today."))
        return redirect("quiz:progress")
    return redirect(_next_url(run))
