"""A resident's own study aids: bookmarks, private notes and which cases they have opened.

Each row belongs to one user and is shown to that user only (not even staff read notes in the
site; the admin does not register these models).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case

NOTE_MAX_LENGTH = 5000


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="bookmarks"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("bookmark")
        verbose_name_plural = _("bookmarks")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="bookmark_once_per_case")]

    def __str__(self):
        return f"{self.user} · {self.case_id}"


class Note(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="case_notes"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(
        verbose_name=_("text"), max_length=NOTE_MAX_LENGTH, help_text=_("Plain text, shown only to its author.")
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="note_once_per_case"),
            models.CheckConstraint(condition=~models.Q(text=""), name="note_not_empty"),
        ]

    def __str__(self):
        return f"{self.user} · {self.case_id}"


class CaseVisit(models.Model):
    """The first time a signed-in resident opened a case's page (the list marks it "seen")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="case_visits"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="visits")
    first_seen_at = models.DateTimeField(verbose_name=_("first seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("case visit")
        verbose_name_plural = _("case visits")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="case_visit_once_per_case")]

    def __str__(self):
        return f"{self.user} · {self.case_id}"
