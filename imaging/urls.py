from django.urls import path

from . import views

app_name = "imaging"
urlpatterns = [
    path("images/<str:name>", views.image, name="image"),
]
