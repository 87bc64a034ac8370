"""Joining a cohort through an invitation: a new resident signs up, a signed-in one joins, each use counted once."""

import hashlib
import re

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from casebook.accounts import _one_more, client_ip
from teaching.models import Invitation

SIGN_UPS_PER_ADDRESS = 10  # sign-up attempts an hour from one client address, counted in the cache

VALID, EXPIRED, USED_UP, REVOKED = "valid", "expired", "used_up", "revoked"


def revoke(invitation):
    """Withdraw an invitation: it expires at the moment it was created, which no form can set (1 day or more)."""
    invitation.expires_at = invitation.created_at
    invitation.save(update_fields=["expires_at"])


def invitation_state(invitation, now=None):
    """Whether the invitation still admits someone, and if not, why not."""
    now = now or timezone.now()
    if invitation.expires_at <= invitation.created_at:
        return REVOKED
    if invitation.uses >= invitation.max_uses:
        return USED_UP
    if invitation.expires_at <= now:
        return EXPIRED
    return VALID


def _claim_use(invitation):
    """Count one use, in the database, only if one is left: of two sign-ups racing for the last use, one wins."""
    claimed = Invitation.objects.filter(pk=invitation.pk, uses__lt=F("max_uses"), expires_at__gt=timezone.now())
    return claimed.update(uses=F("uses") + 1) == 1


class SignUpForm(UserCreationForm):
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=254)

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        if invitation.email:  # a personal invitation admits the address it was sent to
            self.fields["email"].initial = invitation.email
            self.fields["email"].disabled = True

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this e-mail address exists already: sign in, then join."))
        return email


def sign_up(*, invitation, form):
    """Create the resident's account from a valid SignUpForm and put it in the cohort, using one of the
    invitation's uses; None (and no account) when no use is left."""
    with transaction.atomic():
        if not _claim_use(invitation):
            return None
        user = form.save()
        user.groups.add(Group.objects.get_or_create(name="Residents")[0])
        invitation.cohort.residents.add(user)
    return user


def join_cohort(*, invitation, user):
    """Put a signed-in user in the invitation's cohort. True if they joined now, False if they were in it
    already (no use counted), None if no use is left."""
    with transaction.atomic():
        # Two clicks at once wait for each other here, so the second sees the first's membership.
        invitation = Invitation.objects.select_for_update().select_related("cohort").get(pk=invitation.pk)
        if invitation.cohort.residents.filter(pk=user.pk).exists():
            return False
        if not _claim_use(invitation):
            return None
        invitation.cohort.residents.add(user)
        user.groups.add(Group.objects.get_or_create(name="Residents")[0])
    return True


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Invitation code"), max_length=200)

    def clean_code(self):
        # A pasted link works as well as the code alone.
        code = self.cleaned_data["code"].strip().rstrip("/").rsplit("/", 1)[-1]
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", code):
            raise ValidationError(_("An invitation code is made of letters, digits, - and _."))
        return code


@require_safe
def join(request):
    form = CodeForm(request.GET if "code" in request.GET else None)
    if form.is_valid():
        return redirect("teaching:join-invitation", code=form.cleaned_data["code"])
    return render(request, "teaching/join.html", {"form": form})


def _unavailable(request, invitation, state):
    status = 404 if invitation is None else 410
    return render(request, "teaching/join_unavailable.html", {"state": state or "unknown"}, status=status)


def _too_many_sign_ups(request):
    key = f"join:address:{hashlib.sha256(client_ip(request).encode()).hexdigest()}"
    return _one_more(key) > SIGN_UPS_PER_ADDRESS


@never_cache
@require_http_methods(["GET", "POST"])
def join_invitation(request, code):
    invitation = Invitation.objects.select_related("cohort").filter(code=code).first()
    state = invitation_state(invitation) if invitation else None
    if state != VALID:
        return _unavailable(request, invitation, state)
    cohort = invitation.cohort
    context = {"invitation": invitation, "cohort": cohort}

    if request.user.is_authenticated:
        if invitation.email and invitation.email.lower() != request.user.email.lower():
            return render(request, "teaching/join_unavailable.html", {"state": "other_address"}, status=403)
        if request.method == "POST":
            joined = join_cohort(invitation=invitation, user=request.user)
            if joined is None:
                return _unavailable(request, invitation, USED_UP)
            if joined:
                messages.success(request, _("You have joined %(cohort)s.") % {"cohort": cohort.name})
            else:
                messages.info(request, _("You are in %(cohort)s already.") % {"cohort": cohort.name})
            return redirect(reverse("cases:case-list"))
        context["member"] = cohort.residents.filter(pk=request.user.pk).exists()
        return render(request, "teaching/join_invitation.html", context)

    form = SignUpForm(request.POST if request.method == "POST" else None, invitation=invitation)
    status = 200
    if request.method == "POST":
        if _too_many_sign_ups(request):
            form.is_valid()  # keep what was typed
            context["too_many"] = True
            status = 429
        elif form.is_valid():
            try:
                user = sign_up(invitation=invitation, form=form)
            except IntegrityError:  # the same username, taken a moment ago
                form.add_error("username", _("This username was taken a moment ago: choose another."))
            else:
                if user is None:
                    return _unavailable(request, invitation, USED_UP)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _("Welcome, %(name)s: you have joined %(cohort)s.")
                    % {"name": user.get_username(), "cohort": cohort.name},
                )
                return redirect(reverse("cases:case-list"))
        else:
            status = 400
    context["form"] = form
    return render(request, "teaching/join_invitation.html", context, status=status)
