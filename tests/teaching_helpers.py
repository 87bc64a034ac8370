"""Faculty, residents and cohorts for the teaching tests, built as the data migrations build the groups."""

from datetime import timedelta
from importlib import import_module

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.utils import timezone

from teaching.models import Cohort, Invitation

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
