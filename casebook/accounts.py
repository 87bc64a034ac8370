"""Who is asking (the client's address behind our own proxies) and the password reset flow around it."""

import hashlib
import ipaddress
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import Http404


def client_ip(request):
    """The address the request came from: REMOTE_ADDR, or, behind DJANGO_TRUSTED_PROXY_COUNT proxies of our
    own, the address the outermost of them saw.

    Each proxy appends the address that connected to it to X-Forwarded-For, so with n proxies the client
    is the n-th entry from the right; anything further left was written by the client and is not trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < count:  # did not come through all of our proxies
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


def password_reset_context(request):
    """Whether the sign-in page may offer a reset (e-mail is configured, or debug prints mails)."""
    return {"password_reset_enabled": settings.PASSWORD_RESET_ENABLED}


def reset_enabled(view):
    """Without a way to send the e-mail, the reset pages do not exist."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PASSWORD_RESET_ENABLED:
            raise Http404("Password reset is not available here.")
        return view(request, *args, **kwargs)

    return wrapper


def _one_more(key):
    """Count one request under `key` in the current hour's window; return the count."""
    if cache.add(key, 1, timeout=3600):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return 1


def _key(kind, value):
    return f"password-reset:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, a few times an hour per address and per e-mail, whether the account exists or not."""

    def post(self, request, *args, **kwargs):
        email = request.POST.get("email", "").strip().lower()
        by_address = _one_more(_key("address", client_ip(request)))
        by_email = _one_more(_key("email", email)) if email else 0
        if by_address > settings.PASSWORD_RESET_LIMIT_PER_ADDRESS or by_email > settings.PASSWORD_RESET_LIMIT_PER_EMAIL:
            form = self.get_form()
            form.is_valid()  # keep what was typed and its own errors
            return self.render_to_response(self.get_context_data(form=form, too_many=True), status=429)
        return super().post(request, *args, **kwargs)


password_reset = reset_enabled(PasswordResetView.as_view())
password_reset_done = reset_enabled(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = reset_enabled(auth_views.PasswordResetConfirmView.as_view())
password_reset_complete = reset_enabled(auth_views.PasswordResetCompleteView.as_view())
