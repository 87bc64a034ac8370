from functools import cache as once
from functools import wraps

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from study.marks import fill_marks
from study.neighbours import neighbours
from study.related import related_cases
from study.tools import kept_private, record_visit, study_tools

from .caching import cached, cached_html, digest, presentation_html
from .filters import CaseFilter, facets, list_order, primaries_of, published_totals, read_query
from .models import Case, ContentVersion, Diagnosis, Differential, FormerSlug, PrimaryTumour, shown_title


@require_safe
def case_list(request):
    """Filters with counts, then a page of cards.

    The counts and the rendered page are cached under the content version (one query), keyed by
    the validated filters, so any edit shows at once and a junk parameter renders nothing new.
    """
    visible = Case.objects.visible_to(request.user)
    # Per language too: option labels (primary tumours' names) and titles are in the page's language.
    key = "case-list:" + digest(
        request.user.is_staff, ContentVersion.current(), settings.CASES_PER_PAGE, get_language()
    )
    primaries = [
        PrimaryTumour(pk=pk, slug=slug, name=name)
        for pk, slug, name in cached(
            f"{key}:primaries", lambda: list(primaries_of(visible).values_list("pk", "slug", "name"))
        )
    ]
    # The validated filters key the cache; what is not understood is ignored, and named once.
    chosen, search, sort, not_understood = read_query(request.GET, primaries={p.slug for p in primaries})

    @once  # built only when something must be computed: a cached page needs no FilterSet
    def filterset():
        return CaseFilter(request.GET, queryset=visible.for_list().order_by(*list_order()))

    def count():
        if not (chosen or search or request.user.is_staff):  # the published cases, all of them
            return published_totals(primaries)
        return facets(filterset(), queryset=visible, primaries=primaries)

    total, facet_options = cached(f"{key}:facets:{digest(chosen, search)}", count)
    number = Paginator(range(total), settings.CASES_PER_PAGE).get_page(request.GET.get("page")).number

    def render_list():
        paginator = Paginator(filterset().qs, settings.CASES_PER_PAGE)
        paginator.count = total  # instead of a COUNT query
        # Links (pages, the quiz) carry the validated filters only, never whatever else was in the URL.
        params = QueryDict(mutable=True)
        params.update({**chosen, **({"q": search} if search else {}), **({"sort": sort} if sort else {})})
        return render_to_string(
            "cases/_case_list.html",
            {
                "filterset": filterset(),
                "facets": facet_options,
                "page_obj": paginator.page(number),
                "params": params,
                "search": search,
                "not_understood": [filterset().form[name].label for name in not_understood],
                "is_filtered": bool(chosen or search),
            },
            request,
        )

    content = cached_html(f"{key}:page:{digest(chosen, search, sort, not_understood, number)}", render_list)
    # A signed-in resident's "seen" and "answered" marks, filled into the shared HTML (one query).
    response = render(request, "cases/case_list.html", {"content": fill_marks(content, request.user)})
    return kept_private(request, response)


@require_safe
def about(request):
    """What Casebook is and its content rules: a constant page (no query for an anonymous visitor)."""
    return render(request, "cases/about.html")


# What a case page needs on every request: its title, the draft notice and its URLs.
PAGE_SHELL = ("pk", "title_en", "title_fr", "slug", "status")  # the title in each language: the page shows one


def _page_shell(request, slug):
    """(content version, the case's shell as an unsaved Case), or 404: one query once cached."""
    version = ContentVersion.current()
    shell = cached(
        f"case-shell:{digest(version, slug, request.user.is_staff, get_language())}",  # the title is per language
        lambda: Case.objects.visible_to(request.user).filter(slug=slug).values(*PAGE_SHELL).first() or {},
    )
    if not shell and may_see_held_cases(request.user):  # faculty preview the cases they hold for exams
        shell = Case.objects.filter(slug=slug, status=Case.Status.HELD).values(*PAGE_SHELL).first() or {}
    if not shell:
        raise Http404("No case matches the given query.")
    return version, Case(**shell)


def may_see_held_cases(user):
    """Faculty and editors: a held case's own pages open for them, and only for them."""
    return user.is_authenticated and not user.is_staff and user.has_perm("cases.view_held_case")


def redirect_former_slugs(view_name):
    """A case page not found at `slug` redirects permanently to where the case now lives, if the slug was its.

    The live case is looked up first, so a former slug never shadows a case that took it.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, slug):
            try:
                return view(request, slug)
            except Http404:
                moved_to = (
                    FormerSlug.objects.filter(slug=slug, case__in=Case.objects.visible_to(request.user))
                    .values_list("case__slug", flat=True)
                    .first()
                )
                if moved_to is None:
                    raise
                return redirect(view_name, moved_to, permanent=True)

        return wrapper

    return decorator


@redirect_former_slugs("cases:case-detail")
@require_safe
def case_detail(request, slug):
    """The case before the reveal: the answer-side columns are not even read from the database.

    The presentation is read and rendered once per content version.
    """
    version, case = _page_shell(request, slug)
    record_visit(request.user, case.pk)
    response = render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "presentation": presentation_html(case.pk, version),
            "neighbours": neighbours(case.pk, request.GET.get("list", ""), version),
            "study_tools": study_tools(request.user, case),
        },
    )
    return kept_private(request, response)


@redirect_former_slugs("cases:case-answer")
@never_cache  # a shared proxy must never keep an answer (nor serve it to someone who has not asked)
@require_safe
def case_answer(request, slug):
    """The case with its answer, rendered once per content version like the case page."""
    version, case = _page_shell(request, slug)

    def render_case_and_answer():
        full = Case.objects.for_answer().get(pk=case.pk)
        final = full.final_differential()
        return (
            render_to_string("cases/_presentation.html", {"case": full, "show_answer": True})
            + render_to_string("cases/_answer.html", {"case": full, "final": final})
            # Published cases only, whoever renders it: the same HTML is served to residents.
            + render_to_string("study/_related.html", {"related": related_cases(full, final)})
        )

    body = cached_html(f"case-answer:{case.pk}:{version}", render_case_and_answer)
    return render(
        request,
        "cases/case_answer.html",
        {
            "case": case,
            "body": body,
            "neighbours": neighbours(case.pk, request.GET.get("list", ""), version),
            "study_tools": study_tools(request.user, case),
        },
    )


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
        .select_related("case")
        .only("is_final", "case__title", "case__slug")
        .order_by(shown_title(prefix="case__"), "case__pk")  # as the list orders them
    )
    return render(
        request,
        "cases/diagnosis_cases.html",
        {
            "diagnosis": diagnosis,
            "final_in": [row.case for row in rows if row.is_final],
            "differential_in": [row.case for row in rows if not row.is_final],
        },
    )
