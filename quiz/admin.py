"""Quiz records are the residents' own: editors may look, not touch."""

from django.contrib import admin

from .models import Attempt, Question, QuizRun, ReviewCard


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuizRun)
class QuizRunAdmin(ReadOnlyAdmin):
    list_display = ["token", "user", "mode", "answer_format", "created_at", "finished_at"]
    list_filter = ["mode", "answer_format", "is_review"]
    list_select_related = ["user"]


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["run", "position", "case", "served_at"]
    list_select_related = ["run", "case"]


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["question", "answer_text", "outcome", "score", "time_taken", "recall", "created_at"]
    list_filter = ["outcome", "recall"]
    list_select_related = ["question__run"]


@admin.register(ReviewCard)
class ReviewCardAdmin(ReadOnlyAdmin):
    list_display = ["user", "case", "due", "last_reviewed_at"]
    list_select_related = ["user", "case"]
