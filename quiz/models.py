"""Quiz runs: cases served as unknowns, one committed attempt per question, reviews on schedule."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Differential


def new_token():
    return secrets.token_urlsafe(12)


class QuizRunQuerySet(models.QuerySet):
    def owned_by(self, *, user, tokens):
        """Runs this resident may open: their own, or anonymous runs whose token is in their session."""
        mine = Q(user__isnull=True, token__in=list(tokens))
        if user.is_authenticated:
            mine |= Q(user=user)
        return self.filter(mine)

    def with_progress(self):
        """Annotates how many questions the run has and how many are answered (one joined query)."""
        return self.annotate(
            question_count=Count("questions", distinct=True),
            answered_count=Count("questions__attempt", distinct=True),
        )


class QuizRun(models.Model):
    class Mode(models.TextChoices):
        PRACTICE = "practice", _("Practice: see the answer after each case")
        EXAM = "exam", _("Exam: answers revealed together at the end")

    class AnswerFormat(models.TextChoices):
        FREE_TEXT = "free_text", _("Free text: type the diagnosis")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")

    token = models.CharField(verbose_name=_("token"), max_length=32, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quiz_runs",
        help_text=_("Empty while the run belongs to an anonymous visitor's session."),
    )
    mode = models.CharField(verbose_name=_("mode"), max_length=10, choices=Mode, default=Mode.PRACTICE)
    answer_format = models.CharField(
        verbose_name=_("answer format"), max_length=16, choices=AnswerFormat, default=AnswerFormat.FREE_TEXT
    )
    assignment = models.ForeignKey(
        "teaching.Assignment",
        verbose_name=_("assignment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runs",
        help_text=_("The assignment this run answers, if any: one run per resident per assignment."),
    )
    is_review = models.BooleanField(
        verbose_name=_("is review"), default=False, help_text=_("Started from the review queue.")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    objects = QuizRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("quiz run")
        verbose_name_plural = _("quiz runs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=["practice", "exam"]), name="quiz_run_mode_valid"),
            models.CheckConstraint(
                condition=Q(answer_format__in=["free_text", "multiple_choice"]), name="quiz_run_format_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "assignment"],
                condition=Q(assignment__isnull=False),
                name="quiz_run_once_per_assignment",
            ),
        ]

    def __str__(self):
        return f"{self.mode_name} run {self.token}"

    def get_absolute_url(self):
        return reverse("quiz:summary", args=[self.token])

    @property
    def mode_name(self):
        return self.get_mode_display().split(":")[0].strip()  # French puts a space before the colon

    @property
    def is_exam(self):
        return self.mode == self.Mode.EXAM

    @property
    def is_multiple_choice(self):
        return self.answer_format == self.AnswerFormat.MULTIPLE_CHOICE

    def answers_visible(self):
        """Practice shows each answer once committed; an exam shows none until the run is finished;
        an assignment revealed after its due date shows none before that date."""
        if self.results_hidden:
            return False
        return not self.is_exam or self.finished_at is not None

    @property
    def results_hidden(self):
        """An assignment's run whose answers are revealed only after the due date, before that date:
        nothing may then tell the resident whether an answer was right (read with the assignment)."""
        return (
            self.assignment_id is not None
            and self.assignment.reveal == self.assignment.Reveal.AFTER_DUE
            and timezone.now() < self.assignment.due_at
        )

    def closes_at(self):
        """When an assignment's run stops taking answers: its time limit after it was started, and the
        due date in any case; None for an ordinary run."""
        if self.assignment_id is None:
            return None
        limit = self.assignment.time_limit
        return min(self.assignment.due_at, self.created_at + limit) if limit else self.assignment.due_at

    def is_closed(self, now):
        closes_at = self.closes_at()
        return closes_at is not None and now >= closes_at


class QuestionQuerySet(models.QuerySet):
    def for_question(self):
        """A question as served: its attempt (if any). The case is an unknown: not even its title is
        read; the presentation is cached HTML (cases.caching.presentation_html)."""
        return self.select_related("attempt")

    def for_reveal(self):
        """A question with its attempt and everything the case's answer page shows."""
        return self.select_related("attempt").prefetch_related(
            models.Prefetch("case", queryset=Case.objects.for_answer())
        )

    def for_summary(self):
        """Questions with attempts, cases' list-side facts and each case's final diagnosis."""
        finals = Differential.objects.filter(is_final=True).select_related("diagnosis")
        cases = Case.objects.for_list().prefetch_related(
            models.Prefetch("differentials", queryset=finals, to_attr="final_rows")
        )
        return self.select_related("attempt").prefetch_related(models.Prefetch("case", queryset=cases))


class Question(models.Model):
    run = models.ForeignKey(QuizRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="quiz_questions")
    served_at = models.DateTimeField(
        verbose_name=_("served at"), null=True, blank=True, help_text=_("When the question was first shown.")
    )
    option_ids = models.JSONField(
        verbose_name=_("option ids"),
        default=list,
        blank=True,
        help_text=_("Multiple choice: the offered diagnoses' ids, in the order shown (alphabetical)."),
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="question_position_unique"),
            models.UniqueConstraint(fields=["run", "case"], name="question_case_once_per_run"),
        ]

    def __str__(self):
        return f"Question {self.position} of run {self.run.token}"

    def get_absolute_url(self):
        return reverse("quiz:question", args=[self.run.token, self.position])

    def get_reveal_url(self):
        return reverse("quiz:reveal", args=[self.run.token, self.position])

    def answered(self):
        return hasattr(self, "attempt")


class Recall(models.IntegerChoices):
    """How well the resident recalled the case: the four ratings FSRS schedules from."""

    AGAIN = 1, _("Again")
    HARD = 2, _("Hard")
    GOOD = 3, _("Good")
    EASY = 4, _("Easy")


class Attempt(models.Model):
    class Outcome(models.TextChoices):
        CORRECT = "correct", _("Correct")
        CLOSE = "close", _("Close: awaiting your confirmation")
        CLOSE_CONFIRMED = "close_confirmed", _("Close (typo confirmed)")
        BROADER = "broader", _("Right family: a broader term")
        WRONG = "wrong", _("Wrong")

    question = models.OneToOneField(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="attempt"
    )
    answer_text = models.CharField(
        verbose_name=_("answer text"), max_length=200, help_text=_("The leading diagnosis as typed or chosen.")
    )
    chosen_diagnosis = models.ForeignKey(
        "cases.Diagnosis",
        verbose_name=_("chosen diagnosis"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Multiple choice: the option chosen."),
    )
    close_to = models.CharField(
        verbose_name=_("close to"), max_length=200, blank=True, help_text=_("The name a near miss was close to.")
    )
    differentials = models.JSONField(
        verbose_name=_("differentials"),
        default=list,
        blank=True,
        help_text=_('Further differentials typed: [{"text": …, "credited": name or ""}].'),
    )
    differentials_credited = models.PositiveSmallIntegerField(verbose_name=_("differentials credited"), default=0)
    outcome = models.CharField(verbose_name=_("outcome"), max_length=16, choices=Outcome)
    score = models.FloatField(
        verbose_name=_("score"),
        default=0,
        help_text=_("1 for a correct leading diagnosis, partial credit for a broader true term, else 0."),
    )
    time_taken = models.DurationField(
        verbose_name=_("time taken"), help_text=_("From the question first being served to the commit.")
    )
    recall = models.PositiveSmallIntegerField(verbose_name=_("recall"), choices=Recall, null=True, blank=True)
    rated_at = models.DateTimeField(verbose_name=_("rated at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["correct", "close", "close_confirmed", "broader", "wrong"]),
                name="attempt_outcome_valid",
            ),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="attempt_score_valid"),
            models.CheckConstraint(
                condition=Q(recall__isnull=True) | Q(recall__in=[1, 2, 3, 4]), name="attempt_recall_valid"
            ),
        ]

    def __str__(self):
        return f"{self.answer_text} ({self.get_outcome_display()})"

    @property
    def is_correct(self):
        return self.score == 1

    @property
    def awaits_confirmation(self):
        return self.outcome == self.Outcome.CLOSE

    def suggested_recall(self):
        """The rating preselected at the reveal: a miss is Again, a typo or the right family (a broader
        term) Hard, a hit Good."""
        return {
            self.Outcome.CORRECT: Recall.GOOD,
            self.Outcome.CLOSE_CONFIRMED: Recall.HARD,
            self.Outcome.BROADER: Recall.HARD,
        }.get(self.outcome, Recall.AGAIN)


class ReviewCardQuerySet(models.QuerySet):
    def due(self, *, now):
        """Cards due by the end of ``now``'s day (in the site's time zone), most overdue first."""
        end_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        return self.filter(due__lt=end_of_day).order_by("due")


class ReviewCard(models.Model):
    """One resident's memory of one case, as the scheduler sees it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="review_cards"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="review_cards")
    state = models.JSONField(
        verbose_name=_("state"), default=dict, help_text=_("The scheduler's own state for this card.")
    )
    due = models.DateTimeField(verbose_name=_("due"), db_index=True)
    last_reviewed_at = models.DateTimeField(verbose_name=_("last reviewed at"))

    objects = ReviewCardQuerySet.as_manager()

    class Meta:
        verbose_name = _("review card")
        verbose_name_plural = _("review cards")
        ordering = ["due"]
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="review_card_once_per_case")]

    def __str__(self):
        return f"{self.case} for {self.user} (due {self.due:%Y-%m-%d})"
