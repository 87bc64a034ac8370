from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("about/", views.about, name="about"),
    path("cases/<slug:slug>/", views.case_detail, name="case-detail"),
    path("cases/<slug:slug>/answer/", views.case_answer, name="case-answer"),
    path("diagnoses/", views.diagnosis_list, name="diagnosis-list"),
    path("diagnoses/<slug:slug>/", views.diagnosis_detail, name="diagnosis-detail"),
    path("diagnoses/<slug:slug>/cases/", views.diagnosis_cases, name="diagnosis-cases"),
]
