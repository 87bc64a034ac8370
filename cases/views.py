from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from .filters import CaseFilter, facets
from .models import Case, Diagnosis, Differential


@require_safe
def case_list(request):
    visible = Case.objects.visible_to(request.user)
    filterset = CaseFilter(request.GET, queryset=visible.for_list())
    page_obj = Paginator(filterset.qs, settings.CASES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page_obj": page_obj,
        "facets": facets(data=request.GET, queryset=visible),
        "is_filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
    }
    return render(request, "cases/case_list.html", context)


@require_safe
def about(request):
    """What Casebook is and its content rules: a constant page (no query for an anonymous visitor)."""
    return render(request, "cases/about.html")


@require_safe
def case_detail(request, slug):
    """The case before the reveal: the answer-side columns are not even read from the database."""
    case = get_object_or_404(Case.objects.visible_to(request.user).for_detail(), slug=slug)
    return render(request, "cases/case_detail.html", {"case": case})


@require_safe
def case_answer(request, slug):
    case = get_object_or_404(Case.objects.visible_to(request.user).for_answer(), slug=slug)
    return render(request, "cases/case_answer.html", {"case": case, "final": case.final_differential()})


@require_safe
def diagnosis_list(request):
    diagnoses = Diagnosis.objects.only("name", "slug", "summary_html")
    return render(request, "cases/diagnosis_list.html", {"diagnoses": diagnoses})


@require_safe
def diagnosis_detail(request, slug):
    """The entry, and the cases it appears in (the page warns that this reveals them)."""
    diagnosis = get_object_or_404(Diagnosis, slug=slug)
    rows = (
        Differential.objects.filter(diagnosis=diagnosis, case__in=Case.objects.visible_to(request.user))
        .select_related("case").only("is_final", "case__title", "case__slug").order_by("case__title")
    )
    return render(request, "cases/diagnosis_detail.html", {
        "diagnosis": diagnosis,
        "final_in": [row.case for row in rows if row.is_final],
        "differential_in": [row.case for row in rows if not row.is_final],
    })
