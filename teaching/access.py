"""Who may teach: faculty pages are for members of the Faculty group (and superusers), scoped to their cohorts."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

TEACH_PERMISSION = "teaching.view_cohort"


def is_faculty(user):
    return user.is_authenticated and user.has_perm(TEACH_PERMISSION)


def faculty_required(view):
    """Signed-in faculty only: anonymous visitors are sent to sign in, residents get a 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_faculty(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
