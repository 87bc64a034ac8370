from django.contrib import admin

from .models import Assignment, AssignmentCase

# Assignments (faculty set them, residents take them).


class AssignmentCaseInline(admin.TabularInline):
    model = AssignmentCase
    extra = 0
    autocomplete_fields = ["case"]
    ordering = ["position"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "mode", "reveal", "opens_at", "due_at", "created_by"]
    list_filter = ["mode", "reveal"]
    search_fields = ["title"]
    date_hierarchy = "due_at"
    filter_horizontal = ["cohorts"]
    raw_id_fields = ["created_by"]
    inlines = [AssignmentCaseInline]
