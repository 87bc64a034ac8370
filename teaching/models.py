"""Faculty teaching: cohorts of residents, invitations to join them, and assignments of unknowns."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case


def new_invitation_code():
    return secrets.token_urlsafe(12)


class CohortQuerySet(models.QuerySet):
    def taught_by(self, user):
        """The cohorts this faculty member teaches (all of them for a superuser)."""
        return self if user.is_superuser else self.filter(faculty=user)


class Cohort(models.Model):
    """A group of residents taught together (a year, a rotation), and the faculty who teach them."""

    name = models.CharField(verbose_name=_("name"), max_length=120)
    faculty = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("faculty"), related_name="cohorts_taught", blank=True
    )
    residents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("residents"), related_name="cohorts", blank=True
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)

    objects = CohortQuerySet.as_manager()

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class Invitation(models.Model):
    """A link or code through which residents create an account and join a cohort.

    Open to anyone holding it (up to ``max_uses``), or addressed to one e-mail address (one use).
    """

    cohort = models.ForeignKey(Cohort, verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="invitations")
    code = models.CharField(
        verbose_name=_("code"), max_length=32, unique=True, default=new_invitation_code, editable=False
    )
    email = models.EmailField(
        verbose_name=_("e-mail"), blank=True, help_text=_("Empty for a link anyone holding it may use.")
    )
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    max_uses = models.PositiveIntegerField(verbose_name=_("use limit"), default=1)
    uses = models.PositiveIntegerField(verbose_name=_("uses"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(uses__lte=models.F("max_uses")), name="invitation_uses_within_limit"),
        ]

    def __str__(self):
        return f"{self.cohort} ({self.email or self.code})"


class Assignment(models.Model):
    """Cases given to one or more cohorts as unknowns, in practice or as an exam, between two dates."""

    class Mode(models.TextChoices):
        PRACTICE = "practice", _("Practice")
        EXAM = "exam", _("Exam")

    class AnswerFormat(models.TextChoices):
        FREE_TEXT = "free_text", _("Free text")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")

    class Reveal(models.TextChoices):
        AFTER_EACH = "after_each", _("After each case")
        ON_SUBMIT = "on_submit", _("When the resident submits")
        AFTER_DUE = "after_due", _("Only after the due date, for everyone")

    title = models.CharField(verbose_name=_("title"), max_length=200)
    cohorts = models.ManyToManyField(Cohort, verbose_name=_("cohorts"), related_name="assignments")
    cases = models.ManyToManyField(Case, verbose_name=_("cases"), through="AssignmentCase", related_name="assignments")
    mode = models.CharField(verbose_name=_("mode"), max_length=10, choices=Mode, default=Mode.PRACTICE)
    answer_format = models.CharField(
        verbose_name=_("answer format"), max_length=16, choices=AnswerFormat, default=AnswerFormat.FREE_TEXT
    )
    opens_at = models.DateTimeField(verbose_name=_("opens at"), default=timezone.now)
    due_at = models.DateTimeField(verbose_name=_("due at"))
    time_limit = models.DurationField(
        verbose_name=_("time limit"),
        null=True,
        blank=True,
        help_text=_("Optional: how long a resident has once started."),
    )
    reveal = models.CharField(
        verbose_name=_("answers revealed"), max_length=10, choices=Reveal, default=Reveal.AFTER_EACH
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments_created",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)
    form_token = models.CharField(
        verbose_name=_("form token"),
        max_length=32,
        blank=True,
        editable=False,
        help_text=_("The one-time token of the form that created it: a second submit of that form finds it."),
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(due_at__gt=models.F("opens_at")), name="assignment_due_after_opening"),
            models.CheckConstraint(condition=Q(mode__in=["practice", "exam"]), name="assignment_mode_valid"),
            models.CheckConstraint(
                condition=Q(answer_format__in=["free_text", "multiple_choice"]), name="assignment_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(reveal__in=["after_each", "on_submit", "after_due"]), name="assignment_reveal_valid"
            ),
            models.UniqueConstraint(
                fields=["created_by", "form_token"], condition=~Q(form_token=""), name="assignment_form_token_once"
            ),
        ]

    def __str__(self):
        return self.title


class AssignmentCase(models.Model):
    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="assignment_cases"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("assignment case")
        verbose_name_plural = _("assignment cases")
        ordering = ["assignment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "case"], name="assignment_case_once"),
            models.UniqueConstraint(fields=["assignment", "position"], name="assignment_case_position_unique"),
        ]

    def __str__(self):
        return f"{self.assignment}: {self.position}"
