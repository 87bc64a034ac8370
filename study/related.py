"""Related cases, shown on the answer page only: they are chosen by diagnosis, so they are answer-side."""

from django.db.models import Exists, OuterRef, Q

from cases.models import Case, Differential

MAX_RELATED = 6


def related_cases(case, final):
    """Other published cases sharing this case's final diagnosis (first), or linked to it through a
    differential either way: at most six, one query. `case` comes with its differentials prefetched."""
    if final is None:
        return []
    alternatives = [d.diagnosis_id for d in case.differentials.all() if not d.is_final]
    theirs = Differential.objects.filter(case=OuterRef("pk"))
    linked = Q(diagnosis_id=final.diagnosis_id) | Q(is_final=True, diagnosis_id__in=alternatives)
    return list(
        Case.objects.published()
        .exclude(pk=case.pk)
        .filter(Exists(theirs.filter(linked)))
        .annotate(same_final=Exists(theirs.filter(is_final=True, diagnosis_id=final.diagnosis_id)))
        .only("pk", "slug", "title_en", "title_fr", "status")
        .order_by("-same_final", "title", "pk")[:MAX_RELATED]
    )
