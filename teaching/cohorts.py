"""Faculty pages for their cohorts: who is in them, and the invitations that let residents join."""

import re
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from teaching.access import faculty_required
from teaching.joining import invitation_state, revoke
from teaching.models import Cohort, Invitation

MAX_ADDRESSES_PER_SUBMISSION = 200
INVITATION_MAILS_PER_HOUR = 500  # per faculty member, counted in the cache
EMAIL_MAX_LENGTH = Invitation._meta.get_field("email").max_length
# What a spreadsheet column's first cell may say instead of an address.
HEADER_WORDS = {"email", "e-mail", "mail", "address", "email address", "e-mail address", "courriel"}


def parse_addresses(text):
    """Addresses from a pasted list (one per line, comma- or semicolon-separated, or a CSV column).

    Returns (valid, invalid): valid addresses lower-cased, each once, in the order given; the rest as typed.
    """
    valid, invalid, seen = [], [], set()
    tokens = [token.strip("\"'<>") for token in re.split(r"[\s,;]+", text or "")]
    tokens = [token for token in tokens if token]
    if tokens and tokens[0].lower() in HEADER_WORDS:
        tokens = tokens[1:]
    for token in tokens:
        address = token.lower()
        try:
            if len(address) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            if token not in invalid:
                invalid.append(token)
            continue
        if address not in seen:
            seen.add(address)
            valid.append(address)
    return valid, invalid


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name"]


class InvitationForm(forms.Form):
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1, max_value=90, initial=14)
    max_uses = forms.IntegerField(label=gettext_lazy("Use limit"), min_value=1, max_value=500, initial=30)


class BulkInvitationForm(forms.Form):
    addresses = forms.CharField(
        label=gettext_lazy("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One per line, or separated by commas or semicolons, or a column pasted from a spreadsheet."
        ),
    )
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1, max_value=90, initial=14)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # the link form on the same page has a `days` too
        super().__init__(*args, **kwargs)

    def clean_addresses(self):
        valid, invalid = parse_addresses(self.cleaned_data["addresses"])
        if invalid:
            raise ValidationError(
                ngettext(
                    "This is not an e-mail address: %(addresses)s. Correct or remove it; nothing was sent.",
                    "These are not e-mail addresses: %(addresses)s. Correct or remove them; nothing was sent.",
                    len(invalid),
                )
                % {"addresses": ", ".join(invalid)}
            )
        if not valid:
            raise ValidationError(_("Give at least one e-mail address."))
        if len(valid) > MAX_ADDRESSES_PER_SUBMISSION:
            raise ValidationError(
                _("At most %(limit)d addresses at a time (you gave %(count)d); nothing was sent.")
                % {"limit": MAX_ADDRESSES_PER_SUBMISSION, "count": len(valid)}
            )
        return valid


def _cohort_or_404(request, pk):
    return get_object_or_404(Cohort.objects.taught_by(request.user), pk=pk)


def invitation_link(request, invitation):
    return request.build_absolute_uri(reverse("teaching:join-invitation", args=[invitation.code]))


def _count_mails(user, count):
    """Add `count` invitation mails to this hour's tally for `user`; False (and nothing counted) past the limit."""
    key = f"invitation-mails:{user.pk}"
    cache.add(key, 0, timeout=3600)
    try:
        total = cache.incr(key, count)
    except ValueError:  # expired between add and incr
        cache.set(key, count, timeout=3600)
        total = count
    if total > INVITATION_MAILS_PER_HOUR:
        cache.decr(key, count)
        return False
    return True


def _render_detail(request, cohort, *, invitation_form=None, bulk_form=None, status=200):
    now = timezone.now()
    invitations = list(cohort.invitations.all())
    for invitation in invitations:
        invitation.state = invitation_state(invitation, now)
        invitation.link = invitation_link(request, invitation)
    context = {
        "cohort": cohort,
        # One query: the residents, by username.
        "residents": cohort.residents.order_by("username"),
        "invitations": invitations,
        "invitation_form": invitation_form or InvitationForm(),
        "bulk_form": bulk_form or BulkInvitationForm(),
        "max_addresses": MAX_ADDRESSES_PER_SUBMISSION,
    }
    return render(request, "teaching/cohort_detail.html", context, status=status)


@never_cache
@faculty_required
@require_http_methods(["GET", "POST"])
def cohort_list(request):
    form = CohortForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        with transaction.atomic():
            cohort = form.save()
            cohort.faculty.add(request.user)
        messages.success(request, _("Cohort “%(name)s” created. Invite its residents below.") % {"name": cohort.name})
        return redirect("teaching:cohort-detail", pk=cohort.pk)
    cohorts = Cohort.objects.taught_by(request.user).annotate(resident_count=Count("residents", distinct=True))
    return render(request, "teaching/cohort_list.html", {"cohorts": cohorts, "form": form})


@never_cache
@faculty_required
@require_safe
def cohort_detail(request, pk):
    return _render_detail(request, _cohort_or_404(request, pk))


@never_cache
@faculty_required
@require_POST
def invitation_create(request, pk):
    cohort = _cohort_or_404(request, pk)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, cohort, invitation_form=form, status=400)
    Invitation.objects.create(
        cohort=cohort,
        expires_at=timezone.now() + timedelta(days=form.cleaned_data["days"]),
        max_uses=form.cleaned_data["max_uses"],
        created_by=request.user,
    )
    messages.success(request, _("Invitation link created: copy it from the list of invitations."))
    return redirect("teaching:cohort-detail", pk=cohort.pk)


@never_cache
@faculty_required
@require_POST
def invitation_bulk(request, pk):
    cohort = _cohort_or_404(request, pk)
    form = BulkInvitationForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, cohort, bulk_form=form, status=400)
    addresses = form.cleaned_data["addresses"]
    if not _count_mails(request.user, len(addresses)):
        form.add_error(
            None,
            _("You have sent too many invitations this hour (at most %(limit)d). Nothing was sent; try again later.")
            % {"limit": INVITATION_MAILS_PER_HOUR},
        )
        return _render_detail(request, cohort, bulk_form=form, status=429)
    expires_at = timezone.now() + timedelta(days=form.cleaned_data["days"])
    with transaction.atomic():
        invitations = Invitation.objects.bulk_create(
            [
                Invitation(cohort=cohort, email=address, expires_at=expires_at, max_uses=1, created_by=request.user)
                for address in addresses
            ]
        )
    subject = render_to_string("teaching/cohort_invitation_subject.txt", {"cohort": cohort}).strip()
    mails = [
        (
            subject,
            render_to_string(
                "teaching/cohort_invitation_email.txt",
                {
                    "cohort": cohort,
                    "link": invitation_link(request, invitation),
                    "expires_at": expires_at,
                    "sender": request.user,
                },
            ),
            settings.DEFAULT_FROM_EMAIL,
            [invitation.email],
        )
        for invitation in invitations
    ]
    try:
        sent = send_mass_mail(mails, fail_silently=False)
    except OSError:  # SMTP refused or unreachable: the invitations stand, their links can be copied
        messages.error(request, _("The e-mails could not be sent. Copy the links from the list of invitations."))
        return redirect("teaching:cohort-detail", pk=cohort.pk)
    messages.success(
        request, ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent) % {"count": sent}
    )
    return redirect("teaching:cohort-detail", pk=cohort.pk)


@never_cache
@faculty_required
@require_POST
def invitation_revoke(request, pk, invitation_pk):
    cohort = _cohort_or_404(request, pk)
    invitation = get_object_or_404(cohort.invitations, pk=invitation_pk)
    revoke(invitation)
    messages.success(request, _("Invitation revoked: its link no longer works."))
    return redirect("teaching:cohort-detail", pk=cohort.pk)


@never_cache
@faculty_required
@require_POST
def resident_remove(request, pk, user_pk):
    cohort = _cohort_or_404(request, pk)
    resident = get_object_or_404(cohort.residents, pk=user_pk)
    cohort.residents.remove(resident)  # the account stays; only its place in this cohort goes
    messages.success(
        request,
        _("%(name)s was removed from %(cohort)s.") % {"name": resident.get_username(), "cohort": cohort.name},
    )
    return redirect("teaching:cohort-detail", pk=cohort.pk)
