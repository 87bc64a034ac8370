from django.urls import path  # noqa: F401  (each part of teaching adds its pages below)

from . import assignments, taking

app_name = "teaching"
urlpatterns = []

# Assignments: faculty set them, residents take them.
urlpatterns += [
    path("teaching/assignments/new/", assignments.assignment_new, name="assignment-new"),
    path("teaching/assignments/<int:pk>/edit/", assignments.assignment_edit, name="assignment-edit"),
    path("assignments/", taking.assigned, name="assigned"),
    path("assignments/<int:pk>/", taking.assignment_detail, name="assignment"),
]
