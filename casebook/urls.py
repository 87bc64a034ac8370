from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from casebook import accounts, i18n


def favicon(request):
    # Pages without our <link rel="icon"> (the admin's) make browsers ask for /favicon.ico.
    # The hashed name is looked up per request, not at import, so `check` runs before collectstatic.
    return redirect(static("favicon.svg"), permanent=True)


# Served in any language: images, the favicon and the language switch.
urlpatterns = [
    path("favicon.ico", favicon),
    path("language/<str:language>/", i18n.choose_language, name="choose-language"),
    path("", include("imaging.urls")),
]

# Every page in English at today's URLs and in French under /fr/, the admin and the scripts'
# catalogue of translated strings included.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # The reset flow, ahead of Django's own: rate-limited, and a 404 where no e-mail can be sent.
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", accounts.password_reset_done, name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("accounts/reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("cases.urls")),
    path("", include("quiz.urls")),
    path("", include("teaching.urls")),
    path("", include("study.urls")),
    prefix_default_language=False,
)
