import hashlib
from functools import cache as once

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .caching import cached, cached_html, presentation_html
from .filters import CaseFilter, facets
from .models import Case, ContentVersion, Diagnosis, Differential


def _digest(*parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _query_items(querydict, *, without=()):
    return sorted((k, v) for k, values in querydict.lists() if k not in without for v in values)


@require_safe
def case_list(request):
    """Filters with counts, then a page of cards.

    The counts and the rendered page are cached under the content version (one query), so any
    edit shows at once; counting costs one query that scans the facet index.
    """
    visible = Case.objects.visible_to(request.user)
    # Built only when the page is rendered: building a FilterSet copies every filter.
    filterset = SimpleLazyObject(lambda: CaseFilter(request.GET, queryset=visible.for_list()))
    key = "case-list:" + _digest(request.user.is_staff, ContentVersion.current(), settings.CASES_PER_PAGE)

    @once
    def count_and_facets():
        return cached(
            f"{key}:facets:{_digest(_query_items(request.GET, without=('page', 'sort')))}",
            lambda: facets(filterset, queryset=visible),
        )

    def page():
        paginator = Paginator(filterset.qs, settings.CASES_PER_PAGE)
        paginator.count = count_and_facets()[0]  # instead of a COUNT query
        return paginator.get_page(request.GET.get("page"))

    # Lazy, so a cached page runs none of their queries nor builds the form (tests may still read them).
    context = {
        "filterset": filterset,
        "page_obj": SimpleLazyObject(page),
        "facets": SimpleLazyObject(lambda: count_and_facets()[1]),
        "is_filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
    }
    content = cached_html(f"{key}:page:{_digest(_query_items(request.GET))}",
                          lambda: render_to_string("cases/_case_list.html", context, request))
    return render(request, "cases/case_list.html", {**context, "content": content})


@require_safe
def about(request):
    """What Casebook is and its content rules: a constant page (no query for an anonymous visitor)."""
    return render(request, "cases/about.html")


# What a case page needs on every request: its title, the draft notice and its URLs.
PAGE_SHELL = ("pk", "title", "slug", "status")


def _page_shell(request, slug):
    """(content version, the case's shell as an unsaved Case), or 404: one query once cached."""
    version = ContentVersion.current()
    shell = cached(
        f"case-shell:{_digest(version, slug, request.user.is_staff)}",
        lambda: Case.objects.visible_to(request.user).filter(slug=slug).values(*PAGE_SHELL).first() or {},
    )
    if not shell:
        raise Http404("No case matches the given query.")
    return version, Case(**shell)


@require_safe
def case_detail(request, slug):
    """The case before the reveal: the answer-side columns are not even read from the database.

    The presentation is read and rendered once per content version.
    """
    version, case = _page_shell(request, slug)
    return render(request, "cases/case_detail.html", {"case": case, "presentation": presentation_html(case.pk, version)})


@never_cache  # a shared proxy must never keep an answer (nor serve it to someone who has not asked)
@require_safe
def case_answer(request, slug):
    """The case with its answer, rendered once per content version like the case page."""
    version, case = _page_shell(request, slug)

    def render_case_and_answer():
        full = Case.objects.for_answer().get(pk=case.pk)
        return render_to_string("cases/_presentation.html", {"case": full}) + render_to_string(
            "cases/_answer.html", {"case": full, "final": full.final_differential()})

    body = cached_html(f"case-answer:{case.pk}:{version}", render_case_and_answer)
    return render(request, "cases/case_answer.html", {"case": case, "body": body})


@require_safe
def diagnosis_list(request):
    diagnoses = Diagnosis.objects.visible_to(request.user).only("name", "slug")
    return render(request, "cases/diagnosis_list.html", {"diagnoses": diagnoses})


@require_safe
def diagnosis_detail(request, slug):
    """The entity itself: what it is and what sets it apart. Which cases it answers is one step further."""
    diagnosis = get_object_or_404(Diagnosis.objects.visible_to(request.user), slug=slug)
    return render(request, "cases/diagnosis_detail.html", {"diagnosis": diagnosis})


@never_cache
@require_safe
def diagnosis_cases(request, slug):
    """The deliberate second step: the cases where this entity is the answer or an alternative."""
    diagnosis = get_object_or_404(Diagnosis.objects.visible_to(request.user).only("name", "slug"), slug=slug)
    rows = (
        Differential.objects.filter(diagnosis=diagnosis, case__in=Case.objects.visible_to(request.user))
        .select_related("case").only("is_final", "case__title", "case__slug").order_by("case__title", "case__pk")
    )
    return render(request, "cases/diagnosis_cases.html", {
        "diagnosis": diagnosis,
        "final_in": [row.case for row in rows if row.is_final],
        "differential_in": [row.case for row in rows if not row.is_final],
    })
