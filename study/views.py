from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from cases.models import Case

from .forms import NoteForm
from .models import Bookmark, Note
from .tools import save_note, set_bookmark


def _case_or_404(request, slug):
    # The case pages' own rule: what this visitor may see (a held case is simply not found).
    return get_object_or_404(
        Case.objects.visible_to(request.user).only("pk", "slug", "title_en", "title_fr"), slug=slug
    )


def _back(request, case):
    """Where the form was sent from (the case or answer page, with its ?list=), if it is ours."""
    to = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(to, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(to)
    return redirect(case.get_absolute_url())


@login_required
@require_POST
def bookmark(request, slug):
    case = _case_or_404(request, slug)
    choice = request.POST.get("bookmarked")
    if choice in ("on", "off"):  # anything else changes nothing
        set_bookmark(user=request.user, case=case, bookmarked=choice == "on")
    return _back(request, case)


@never_cache
@login_required
@require_POST
def note(request, slug):
    case = _case_or_404(request, slug)
    form = NoteForm(request.POST)
    if not form.is_valid():
        # What was typed is kept, with the reason beside it.
        return render(request, "study/note.html", {"case": case, "form": form, "next": request.POST.get("next", "")})
    save_note(user=request.user, case=case, text=form.cleaned_data["text"])
    return _back(request, case)


@never_cache
@login_required
@require_safe
def bookmarks(request):
    """My bookmarked cases and my notes: published cases only."""
    published = Case.objects.published()
    shown = ("case__id", "case__slug", "case__title_en", "case__title_fr", "case__status")
    return render(
        request,
        "study/bookmarks.html",
        {
            "bookmarks": Bookmark.objects.filter(user=request.user, case__in=published)
            .select_related("case")
            .only("created_at", *shown),
            "notes": Note.objects.filter(user=request.user, case__in=published)
            .select_related("case")
            .only("text", "updated_at", *shown),
        },
    )
