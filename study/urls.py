from django.urls import path

from . import views

app_name = "study"
urlpatterns = [
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    path("cases/<slug:slug>/bookmark/", views.bookmark, name="bookmark"),
    path("cases/<slug:slug>/note/", views.note, name="note"),
]
