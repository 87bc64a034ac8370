from django.urls import path
from django.views.generic import RedirectView

from . import dashboard

app_name = "teaching"
urlpatterns = [
    path("teaching/", dashboard.dashboard, name="dashboard"),
    path("teaching/assignments/<int:pk>/results/", dashboard.assignment_results, name="assignment-results"),
    path("teaching/assignments/<int:pk>/results.csv", dashboard.assignment_results_csv, name="assignment-results-csv"),
    path(
        "teaching/cohorts/<int:cohort_pk>/residents/<int:user_pk>/",
        dashboard.resident_record,
        name="resident-record",
    ),
    # TODO(wt-cohorts): a placeholder so the dashboard can link to each cohort's page; the cohorts
    # branch owns teaching/cohorts/<pk>/ and replaces this line with its real view on merging.
    path("teaching/cohorts/<int:pk>/", RedirectView.as_view(url="/teaching/"), name="cohort-detail"),
]
