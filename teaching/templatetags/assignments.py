from django import template
from django.utils import timezone

from teaching.taking import open_for

register = template.Library()


@register.inclusion_tag("teaching/_assigned_short.html", takes_context=True)
def assigned_to_me(context):
    """The signed-in resident's open assignments (two queries); nothing, and no query, for a visitor."""
    user = context["user"]
    if not user.is_authenticated:
        return {}
    assignments, more = open_for(user, now=timezone.now())
    return {"assignments": assignments, "more": more}
