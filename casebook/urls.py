from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from casebook import accounts


def favicon(request):
    # Pages without our <link rel="icon"> (the admin's) make browsers ask for /favicon.ico.
    # The hashed name is looked up per request, not at import, so `check` runs before collectstatic.
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("admin/", admin.site.urls),
    # The reset flow, ahead of Django's own: rate-limited, and a 404 where no e-mail can be sent.
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", accounts.password_reset_done, name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("accounts/reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("favicon.ico", favicon),
    path("", include("cases.urls")),
    path("", include("quiz.urls")),
    path("", include("imaging.urls")),
]
