from django.urls import path

from . import held

app_name = "teaching"
urlpatterns = [
    path("teaching/held/", held.held_cases, name="held-cases"),
    path("teaching/held/<slug:slug>/release/", held.release, name="release-held-case"),
]
