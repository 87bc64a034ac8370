from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .runs import SESSION_KEY, claim_anonymous_runs


@receiver(user_logged_in)
def keep_anonymous_runs_on_sign_in(sender, request, user, **kwargs):
    # Django rotates the session key on sign-in but keeps its data, so the tokens are still here.
    if request is not None:
        claim_anonymous_runs(user=user, tokens=request.session.get(SESSION_KEY, []))
