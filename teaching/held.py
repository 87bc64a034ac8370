"""Faculty keep exam cases out of the library until they choose, then release them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from cases.editorial import release_case
from cases.models import Case, shown_title

from .access import faculty_required
from .models import AssignmentCase


def releasable_by(user):
    """The held cases this user may release: any, for an editor who publishes; else those in their own
    assignments (a colleague's exam case stays held until its teacher or an editor lets it out)."""
    held = Case.objects.filter(status=Case.Status.HELD)
    if user.has_perm("cases.publish_case"):
        return held
    return held.filter(pk__in=AssignmentCase.objects.filter(assignment__created_by=user).values("case"))


@never_cache
@require_safe
@faculty_required
def held_cases(request):
    """The cases held for assessment or scheduled, with when each joins the library."""
    cases = (
        Case.objects.filter(status__in=[Case.Status.HELD, Case.Status.SCHEDULED])
        .only("title", "slug", "status", "held_until", "publish_at")
        .order_by("status", "held_until", "publish_at", shown_title(), "pk")
    )
    releasable = set(releasable_by(request.user).values_list("pk", flat=True))
    return render(request, "teaching/held_cases.html", {"cases": cases, "releasable": releasable})


@require_POST
@faculty_required
def release(request, slug):
    """A held case joins the library now (the exam is over)."""
    case = get_object_or_404(releasable_by(request.user), slug=slug)
    release_case(case=case, by=request.user)
    messages.success(request, _("“%(title)s” is now in the library.") % {"title": case.title})
    return redirect("teaching:held-cases")
