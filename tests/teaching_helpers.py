"""Faculty, residents, cohorts, invitations and assignments for the teaching tests (the groups built as their
data migrations build them)."""

from datetime import timedelta
from importlib import import_module

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.utils import timezone

from teaching.models import Assignment, AssignmentCase, Cohort, Invitation

PASSWORD = "a long enough password 42"


def make_groups():
    """The groups, as their data migrations make them (a live-server test's flush removes them)."""
    import_module("cases.migrations.0003_editor_and_resident_groups").make_groups(django_apps)
    import_module("teaching.migrations.0002_faculty_group").make_group(django_apps)


def make_faculty(username="faculty", **kw):
    make_groups()
    user = User.objects.create_user(username, password=PASSWORD, email=f"{username}@example.org", **kw)
    user.groups.add(Group.objects.get(name="Faculty"))
    return user


def make_resident(username="resident", **kw):
    make_groups()
    kw.setdefault("email", f"{username}@example.org")
    user = User.objects.create_user(username, password=PASSWORD, **kw)
    user.groups.add(Group.objects.get(name="Residents"))
    return user


def make_cohort(name="Year 2", *, faculty=(), residents=()):
    cohort = Cohort.objects.create(name=name)
    cohort.faculty.add(*faculty)
    cohort.residents.add(*residents)
    return cohort


def make_invitation(cohort, *, days=14, **kw):
    kw.setdefault("max_uses", 30)
    return Invitation.objects.create(cohort=cohort, expires_at=timezone.now() + timedelta(days=days), **kw)


def make_assignment(*, cohorts, cases, title="Thursday conference", opens_in=-1, due_in=24 * 7, **kw):
    """An assignment that opened an hour ago and is due in a week (hours from now, by default)."""
    now = timezone.now()
    assignment = Assignment.objects.create(
        title=title, opens_at=now + timedelta(hours=opens_in), due_at=now + timedelta(hours=due_in), **kw
    )
    assignment.cohorts.set(cohorts)
    AssignmentCase.objects.bulk_create(
        AssignmentCase(assignment=assignment, case=case, position=n) for n, case in enumerate(cases, start=1)
    )
    return assignment
