"""A resident's bookmark, note and first visit of one case."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from .models import Bookmark, CaseVisit, Note


def record_visit(user, case_id):
    """Remember the first time a signed-in resident opened this case (later visits only read)."""
    if user.is_authenticated:
        try:
            CaseVisit.objects.get_or_create(user=user, case_id=case_id)
        except IntegrityError:  # a simultaneous first visit won the race: the visit is recorded
            pass


def study_tools(user, case):
    """What the bookmark button and note form need for this visitor: two queries when signed in."""
    if not user.is_authenticated:
        return {"case": case, "signed_in": False}
    return {
        "case": case,
        "signed_in": True,
        "bookmarked": Bookmark.objects.filter(user=user, case_id=case.pk).exists(),
        "note": Note.objects.filter(user=user, case_id=case.pk).values_list("text", flat=True).first() or "",
    }


def set_bookmark(*, user, case, bookmarked):
    """Bookmark the case or not: saying so twice changes nothing."""
    if bookmarked:
        try:
            with transaction.atomic():
                Bookmark.objects.get_or_create(user=user, case=case)
        except IntegrityError:
            pass
    else:
        Bookmark.objects.filter(user=user, case=case).delete()


def save_note(*, user, case, text):
    """Keep the resident's note on this case; an empty one deletes it."""
    if not text.strip():
        Note.objects.filter(user=user, case=case).delete()
        return None
    note, _ = Note.objects.update_or_create(user=user, case=case, defaults={"text": text, "updated_at": timezone.now()})
    return note


def kept_private(request, response):
    """A signed-in resident's page carries their marks, bookmark or note: no shared cache may keep it."""
    if request.user.is_authenticated:
        add_never_cache_headers(response)
    return response
