from django.contrib import admin

from teaching.models import Assignment, AssignmentCase, Cohort, Invitation


class InvitationInline(admin.TabularInline):
    model = Invitation
    fields = ["code", "email", "expires_at", "max_uses", "uses", "created_by"]
    readonly_fields = ["code", "uses", "created_by"]
    extra = 0


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["faculty", "residents"]
    inlines = [InvitationInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["cohort", "email", "code", "expires_at", "uses", "max_uses"]
    list_filter = ["cohort"]
    list_select_related = ["cohort"]
    search_fields = ["email", "code", "cohort__name"]
    readonly_fields = ["code", "uses", "created_by", "created_at"]
    autocomplete_fields = ["cohort"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


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
