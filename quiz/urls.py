from django.urls import path

from . import views

app_name = "quiz"
urlpatterns = [
    path("quiz/", views.quiz_start, name="quiz-start"),
    path("quiz/<str:token>/", views.summary, name="summary"),
    path("quiz/<str:token>/<int:n>/", views.question, name="question"),
    path("quiz/<str:token>/<int:n>/reveal/", views.reveal, name="reveal"),
    path("quiz/<str:token>/<int:n>/confirm/", views.confirm, name="confirm"),
    path("quiz/<str:token>/<int:n>/rate/", views.rate, name="rate"),
    path("progress/", views.progress, name="progress"),
    path("progress/review/", views.review_start, name="review-start"),
]
