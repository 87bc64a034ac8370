"""Who may teach: faculty pages are for members of the Faculty group (and superusers), scoped to their cohorts."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.functional import SimpleLazyObject

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


def _teaches(user):
    """is_faculty in one query (has_perm reads all of the user's permissions and their groups' in two),
    or none when this request has read them already (a faculty page) or the user is a superuser."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or hasattr(user, "_perm_cache"):
        return user.has_perm(TEACH_PERMISSION)
    app_label, codename = TEACH_PERMISSION.split(".")
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user), content_type__app_label=app_label, codename=codename
    ).exists()


def teaching_context(request):
    """`is_faculty` for the menu's Teaching link, read only by a page that shows the menu."""
    return {"is_faculty": SimpleLazyObject(lambda: _teaches(request.user))}
