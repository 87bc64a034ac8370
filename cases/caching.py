"""Cached values keyed on the content version: this process's memory first, then the shared cache.

Every key names the content version its value was computed from (ContentVersion), so the value
under a key never changes. A copy kept in a worker's own memory therefore cannot go stale, and
with a shared cache (DJANGO_CACHE_DIR) only the first request after an edit, in any worker,
computes it. The timeout only bounds the memory used.
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .models import Case

SECONDS = 600
TIERS = ("local", "default") if "local" in settings.CACHES else ("default",)


def digest(*parts):
    """A short, stable key part for any values (filters, ids, flags)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def cached(key, compute):
    """The value under `key`, computing and storing it (in every tier) the first time."""
    missed = []
    for alias in TIERS:
        value = caches[alias].get(key)
        if value is not None:
            break
        missed.append(alias)
    else:
        value = compute()
    for alias in missed:
        caches[alias].set(key, value, SECONDS)
    return value


def cached_html(key, render_html):
    """HTML rendered by the first request after an edit (the key names the content version), then reused.

    One copy per interface language: the HTML carries the labels and headings of the language it was rendered in.
    """
    return mark_safe(cached(f"{key}:{get_language()}", render_html))


def presentation_html(case_id, version):
    """A case's presentation side (facts, history, findings) as HTML, rendered once per content version.

    Shown before the reveal, on the case page and as a quiz question: nothing answer-side is read.
    """
    return cached_html(
        f"case-presentation:{case_id}:{version}",
        lambda: render_to_string("cases/_presentation.html", {"case": Case.objects.for_detail().get(pk=case_id)}),
    )
