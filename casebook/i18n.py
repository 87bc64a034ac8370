"""The interface's two languages: each page's twin in the other, and the first visit's choice.

English lives at the unprefixed URLs, French under /fr/ (casebook/urls.py). A page's twin is the
same view under the other prefix, so a link between them works without JavaScript.
"""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import Resolver404, resolve, translate_url
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, get_language_from_path, override
from django.utils.translation.trans_real import get_supported_language_variant, parse_accept_lang_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def twin_url(request, language):
    """This page's address in `language`, or None where no localised view answers it (a 404).

    The path only: a query string may carry anything, and the page must not echo it.
    """
    path = request.path
    if language == get_language():
        return path
    twin = translate_url(path, language)
    return None if twin == path else twin


def language_twins(request):
    """For the base template: each language's name and this page's address in it.

    `language_alternates` lists them only when every language has a twin (a 404 has none).
    """
    twins = [
        {
            "code": code,
            "name": name,
            "url": twin_url(request, code),
            "current": code == get_language(),
        }
        for code, name in settings.LANGUAGES
    ]
    return {"language_twins": twins, "language_alternates": twins if all(t["url"] for t in twins) else []}


@never_cache
@require_safe
def choose_language(request, language):
    """The language switch: remember the choice and go to the page's twin in that language.

    A link rather than Django's set_language form, so that pages carry no per-visitor token.
    """
    if language not in dict(settings.LANGUAGES):
        raise Http404("No such language.")
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) or not next_url.startswith(
        "/"
    ):
        next_url = "/"
    # translate_url reads the path in the active language: the one its own prefix names.
    with override(get_language_from_path(next_url) or settings.LANGUAGE_CODE):
        response = HttpResponseRedirect(translate_url(next_url, language))
    _remember(response, language)
    return response


def _remember(response, language):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


def accepted_language(request):
    """The first supported language of the browser's Accept-Language, or None."""
    for code, _ in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            return None
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def first_visit_language(get_response):
    """A first visit (no language cookie yet) to an English page follows Accept-Language.

    A browser asking for French is sent to the page's French twin, once: the cookie set then
    records the choice, so the English pages stay reachable through the language switch.
    """

    def middleware(request):
        if request.method not in ("GET", "HEAD") or get_language_from_path(request.path_info):
            return get_response(request)
        localised = _is_localised(request.path_info)
        if localised and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = accepted_language(request)
            if language and language != settings.LANGUAGE_CODE:
                twin = translate_url(request.get_full_path(), language)
                if twin != request.get_full_path():
                    response = HttpResponseRedirect(twin)
                    _remember(response, language)
                    patch_vary_headers(response, ("Accept-Language", "Cookie"))
                    return response
        response = get_response(request)
        if localised:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    return middleware


def _is_localised(path):
    """Is this (unprefixed) path one of the pages that also exist under /fr/?"""
    return any(_resolves(code, path) for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE)


def _resolves(language, path):
    with override(language):  # the /fr/ prefix matches only while French is active
        try:
            resolve(f"/{language}{path}")
        except Resolver404:
            return False
    return True
