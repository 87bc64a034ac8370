from django.urls import path  # noqa: F401  (each part of teaching adds its pages below)

app_name = "teaching"
urlpatterns = []
