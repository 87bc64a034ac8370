"""Related cases, shown on the answer page only: they are chosen by diagnosis, so they are answer-side."""

from django.db.models import Exists, OuterRef, Q

from cases.filters import list_order
from cases.models import Case, Differential

MAX_RELATED = 6


def related_cases(case, final):
    """Other published cases sharing this case's final diagnosis (first), or linked to it through a
    differential either way: at most six, each group in the list's order. `case` comes with its
    differentials prefetched.

    Two queries, each asking for six rows in the order of the list's index, so that the database
    can stop at the sixth rather than sort every case that shares a common diagnosis.
    """
    if final is None:
        return []
    alternatives = [d.diagnosis_id for d in case.differentials.all() if not d.is_final]
    theirs = Differential.objects.filter(case=OuterRef("pk"))
    same_final = Exists(theirs.filter(is_final=True, diagnosis_id=final.diagnosis_id))
    linked = Exists(theirs.filter(Q(diagnosis_id=final.diagnosis_id) | Q(is_final=True, diagnosis_id__in=alternatives)))
    others = Case.objects.published().exclude(pk=case.pk).only("pk", "slug", "title_en", "title_fr", "status")
    sharing = list(others.filter(same_final).order_by(*list_order())[:MAX_RELATED])
    # Asked for whatever the first query found, so that the page runs the same queries for every case.
    more = list(others.filter(linked).exclude(same_final).order_by(*list_order())[:MAX_RELATED])
    return (sharing + more)[:MAX_RELATED]
