from django.urls import path

from teaching import assignments, cohorts, dashboard, held, joining, taking

app_name = "teaching"
urlpatterns = [
    path("teaching/", dashboard.dashboard, name="dashboard"),
    # Cohorts and invitations
    path("teaching/cohorts/", cohorts.cohort_list, name="cohort-list"),
    path("teaching/cohorts/<int:pk>/", cohorts.cohort_detail, name="cohort-detail"),
    path("teaching/cohorts/<int:pk>/invitations/", cohorts.invitation_create, name="invitation-create"),
    path("teaching/cohorts/<int:pk>/invitations/bulk/", cohorts.invitation_bulk, name="invitation-bulk"),
    path(
        "teaching/cohorts/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        cohorts.invitation_revoke,
        name="invitation-revoke",
    ),
    path("teaching/cohorts/<int:pk>/residents/<int:user_pk>/remove/", cohorts.resident_remove, name="resident-remove"),
    path(
        "teaching/cohorts/<int:cohort_pk>/residents/<int:user_pk>/",
        dashboard.resident_record,
        name="resident-record",
    ),
    path("join/", joining.join, name="join"),
    path("join/<str:code>/", joining.join_invitation, name="join-invitation"),
    # Held cases
    path("teaching/held/", held.held_cases, name="held-cases"),
    path("teaching/held/<slug:slug>/release/", held.release, name="release-held-case"),
    # Assignments: faculty set them and read the results, residents take them.
    path("teaching/assignments/new/", assignments.assignment_new, name="assignment-new"),
    path("teaching/assignments/<int:pk>/edit/", assignments.assignment_edit, name="assignment-edit"),
    path("teaching/assignments/<int:pk>/results/", dashboard.assignment_results, name="assignment-results"),
    path("teaching/assignments/<int:pk>/results.csv", dashboard.assignment_results_csv, name="assignment-results-csv"),
    path("assignments/", taking.assigned, name="assigned"),
    path("assignments/<int:pk>/", taking.assignment_detail, name="assignment"),
]
