from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request):
    # Pages without our <link rel="icon"> (the admin's) make browsers ask for /favicon.ico.
    # The hashed name is looked up per request, not at import, so `check` runs before collectstatic.
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("favicon.ico", favicon),
    path("", include("cases.urls")),
    path("", include("quiz.urls")),
]
