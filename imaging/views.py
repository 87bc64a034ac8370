"""Serving image files: presentation-side frames of published cases to anyone; answer-side files
(annotated copies) only with the key that the answer pages put in their URLs, so only to someone
who has revealed the case or committed an answer to it in a quiz. Never a draft's, nor a series
held for a check of its pixels, except to staff. A case held for assessment (an exam's) shows its images
only to faculty and to the residents it was served to, never publicly cached."""

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


def _served_held_case(user, case):
    """A case held for assessment shows its images to faculty, and to a resident it was served to in a run."""
    from quiz.models import Question  # the quiz app builds on cases and imaging, not the reverse

    if not case.is_held or not user.is_authenticated:
        return False
    return user.has_perm("cases.view_held_case") or Question.objects.filter(run__user=user, case=case).exists()


def _may_see(request, row, key):
    if request.user.is_staff:
        return True
    series = row.frame.series
    if not series.is_visible:
        return False
    if not (series.finding.case.is_published or _served_held_case(request.user, series.finding.case)):
        return False
    return not row.is_answer_side or constant_time_compare(key, answer_key(row.name))


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
