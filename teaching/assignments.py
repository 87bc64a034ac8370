"""Faculty set assignments: cases hand-picked or drawn from the case list's filters, given to their cohorts."""

import secrets
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.filters import CaseFilter
from cases.models import Case
from quiz.forms import MAX_RUN_LENGTH, filter_fields
from quiz.models import QuizRun
from quiz.runs import assignable_cases

from .access import faculty_required
from .models import Assignment, AssignmentCase, Cohort

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def visible_to(user):
    """Assignments a faculty member may open: given to one of their cohorts, or set by them (all for a superuser)."""
    if user.is_superuser:
        return Assignment.objects.all()
    given = Assignment.cohorts.through.objects.filter(cohort__in=Cohort.objects.taught_by(user))
    return Assignment.objects.filter(Q(pk__in=given.values("assignment")) | Q(created_by=user))


def editable_by(user):
    """Assignments a faculty member may change: those they set (all for a superuser). A co-teacher of one
    of its cohorts reads its results but cannot, say, turn another teacher's exam into practice."""
    return Assignment.objects.all() if user.is_superuser else Assignment.objects.filter(created_by=user)


class CaseChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, case):
        if case.status == Case.Status.HELD:
            return _("%(title)s (held)") % {"title": case.title}
        return case.title


class AssignmentForm(forms.ModelForm):
    SOURCES = [
        ("picked", gettext_lazy("Hand-picked")),
        ("filters", gettext_lazy("Drawn once, at random, from the case list's filters")),
    ]

    source = forms.ChoiceField(label=gettext_lazy("Cases"), choices=SOURCES, initial="picked", widget=forms.RadioSelect)
    picked = CaseChoiceField(
        label=gettext_lazy("Hand-picked cases"),
        queryset=Case.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    count = forms.IntegerField(
        label=gettext_lazy("How many cases to draw"), min_value=1, max_value=MAX_RUN_LENGTH, initial=10, required=False
    )
    time_limit_minutes = forms.IntegerField(
        label=gettext_lazy("Time limit (minutes)"),
        min_value=1,
        max_value=24 * 60,
        required=False,
        help_text=gettext_lazy("Optional: how long a resident has once started. The due date ends every run."),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Assignment
        fields = ["title", "cohorts", "mode", "answer_format", "opens_at", "due_at", "reveal"]
        widgets = {
            "cohorts": forms.CheckboxSelectMultiple,
            "mode": forms.RadioSelect,
            "answer_format": forms.RadioSelect,
            "reveal": forms.RadioSelect,
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
            "due_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        }

    def __init__(self, *args, user, cases_locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases_locked = cases_locked
        self.fields["cohorts"].queryset = Cohort.objects.taught_by(user)
        self.fields["cohorts"].help_text = ""
        self.fields["opens_at"].show_hidden_initial = False  # a callable default's hidden twin: not needed here
        if cases_locked:
            for name in ("source", "picked", "count"):
                del self.fields[name]
        else:
            self.fields["picked"].queryset = assignable_cases().only("pk", "title", "status").order_by("pk")
        if self.instance.pk and self.instance.time_limit:
            self.initial["time_limit_minutes"] = int(self.instance.time_limit.total_seconds() // 60)
        if self.instance.pk and not cases_locked:
            self.initial["picked"] = [row.case_id for row in self.instance.assignment_cases.all()]

    def clean(self):
        data = super().clean()
        opens_at, due_at = data.get("opens_at"), data.get("due_at")
        if opens_at and due_at and due_at <= opens_at:
            self.add_error("due_at", _("The due date must come after the opening date."))
        mode, reveal = data.get("mode"), data.get("reveal")
        if mode and reveal and (mode == Assignment.Mode.PRACTICE) != (reveal == Assignment.Reveal.AFTER_EACH):
            self.add_error(
                "reveal",
                _(
                    "Practice shows each answer after its case; an exam keeps them until the resident submits "
                    "or until the due date."
                ),
            )
        if not self.cases_locked:
            if data.get("source") == "picked" and not data.get("picked"):
                self.add_error("picked", _("Choose at least one case, or draw them from the filters."))
            if data.get("source") == "filters" and not data.get("count"):
                self.add_error("count", _("Say how many cases to draw (1 to %(most)s).") % {"most": MAX_RUN_LENGTH})
        return data


def _case_ids(form, filterset):
    """The cases in the order residents will meet them; [] (with the form's error) when none match."""
    if form.cleaned_data["source"] == "picked":
        return [case.pk for case in form.cleaned_data["picked"]]
    case_ids = list(filterset.qs.order_by("?").values_list("pk", flat=True)[: form.cleaned_data["count"]])
    if not case_ids:
        form.add_error("count", _("No case matches these filters."))
    return case_ids


def _save(form, *, user, case_ids, keep_cohorts=(), form_token=""):
    """Save the assignment, its cohorts (keeping those of other faculty) and, when given, its cases."""
    with transaction.atomic():
        assignment = form.save(commit=False)
        if form_token:
            assignment.form_token = form_token
        minutes = form.cleaned_data.get("time_limit_minutes")
        assignment.time_limit = timedelta(minutes=minutes) if minutes else None
        if assignment.created_by_id is None and assignment.pk is None:
            assignment.created_by = user
        assignment.save()
        assignment.cohorts.set([*form.cleaned_data["cohorts"], *keep_cohorts])
        if case_ids is not None:
            # Locked against a resident starting meanwhile: once a run exists, the cases stand.
            Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
            if not QuizRun.objects.filter(assignment=assignment).exists():
                AssignmentCase.objects.filter(assignment=assignment).delete()
                AssignmentCase.objects.bulk_create(
                    AssignmentCase(assignment=assignment, case_id=pk, position=n)
                    for n, pk in enumerate(case_ids, start=1)
                )
    return assignment


def _render(request, form, filterset, fields, *, assignment=None, started=0):
    return render(
        request,
        "teaching/assignment_form.html",
        {
            "form": form,
            "assignment": assignment,
            "filter_fields": fields,
            "filter_errors": filterset.errors if filterset is not None and filterset.is_bound else {},
            "started": started,
        },
    )


@never_cache
@faculty_required
@require_http_methods(["GET", "POST"])
def assignment_new(request):
    """A new assignment. A one-time token in the form makes a double submit create it once."""
    data = request.POST if request.method == "POST" else None
    form = AssignmentForm(data, user=request.user, initial={"token": secrets.token_urlsafe(16)})
    filterset = CaseFilter(data, queryset=assignable_cases())
    fields = filter_fields(filterset)
    if form.is_valid() and filterset.is_valid():
        # The form's one-time token is stored with what it created (unique per author, in the database,
        # so on every server): a second submit, from a double click or another worker, finds the first.
        token = form.cleaned_data["token"][:32] or secrets.token_urlsafe(16)
        done = Assignment.objects.filter(created_by=request.user, form_token=token).first()
        if done is None and (case_ids := _case_ids(form, filterset)):
            try:
                done = _save(form, user=request.user, case_ids=case_ids, form_token=token)
            except IntegrityError:  # the other submit saved it first
                done = Assignment.objects.get(created_by=request.user, form_token=token)
            else:
                messages.success(request, _("Assignment “%(title)s” created.") % {"title": done.title})
                return redirect("teaching:assignment-edit", pk=done.pk)
        if done is not None:
            messages.info(request, _("This assignment was already created."))
            return redirect("teaching:assignment-edit", pk=done.pk)
    return _render(request, form, filterset, fields)


@never_cache
@faculty_required
@require_http_methods(["GET", "POST"])
def assignment_edit(request, pk):
    """Change an assignment; its cases only until a resident has started it."""
    assignment = get_object_or_404(editable_by(request.user), pk=pk)
    started = QuizRun.objects.filter(assignment=assignment).count()
    data = request.POST if request.method == "POST" else None
    form = AssignmentForm(data, instance=assignment, user=request.user, cases_locked=bool(started))
    filterset = None if started else CaseFilter(data, queryset=assignable_cases())
    fields = filter_fields(filterset) if filterset is not None else []
    if form.is_valid() and (filterset is None or filterset.is_valid()):
        case_ids = None if started else _case_ids(form, filterset)
        if case_ids is None or case_ids:
            taught = Cohort.objects.taught_by(request.user)
            keep = assignment.cohorts.exclude(pk__in=taught.values("pk"))  # other faculty's cohorts stay
            _save(form, user=request.user, case_ids=case_ids, keep_cohorts=list(keep))
            messages.success(request, _("Assignment “%(title)s” saved.") % {"title": assignment.title})
            return redirect("teaching:assignment-edit", pk=assignment.pk)
    return _render(request, form, filterset, fields, assignment=assignment, started=started)
