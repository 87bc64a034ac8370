"""Serving image files: presentation-side frames of published cases to anyone; answer-side files
(annotated copies) only with the key that the answer pages put in their URLs, so only to someone
who has revealed the case or committed an answer to it in a quiz. Never a draft's, nor a series
held for a check of its pixels, except to staff."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_safe

from .models import ImageFile, answer_key
from .processing import storage_path

YEAR = 60 * 60 * 24 * 365


def _shown(row):
    """Whether residents see this file's series: a published case's, and not held or failed."""
    return row.frame.series.finding.case.is_published and row.frame.series.is_visible


def _may_see(request, row, key):
    if request.user.is_staff:
        return True
    return _shown(row) and (not row.is_answer_side or constant_time_compare(key, answer_key(row.name)))


@require_safe
def image(request, name):
    rows = list(ImageFile.objects.filter(name=name).select_related("frame__series__finding__case"))
    key = request.GET.get("key", "")
    allowed = [row for row in rows if _may_see(request, row, key)]
    if not allowed:
        raise Http404("No such image.")
    public = any(_shown(row) and not row.is_answer_side for row in allowed)
    accel = settings.IMAGES_ACCEL_REDIRECT
    if accel:  # nginx (X-Accel-Redirect) or Apache (X-Sendfile) sends the file itself
        response = HttpResponse(content_type="image/webp")
        response[settings.IMAGES_ACCEL_HEADER] = accel.rstrip("/") + "/" + name
    else:
        try:
            response = FileResponse(default_storage.open(storage_path(name), "rb"), content_type="image/webp")
        except FileNotFoundError:
            raise Http404("No such image.") from None
    # Named by their content: a public file never changes, so browsers and proxies may keep it.
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable" if public else "private, no-store"
    return response
