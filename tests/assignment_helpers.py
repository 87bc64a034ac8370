"""Rows the assignment tests share: faculty, cohorts and assignments, built by the tests themselves."""

from datetime import timedelta

from django.contrib.auth.models import Permission, User
from django.utils import timezone

from teaching.models import Assignment, AssignmentCase, Cohort

PASSWORD = "a long enough password 42"


def make_faculty(username):
    user = User.objects.create_user(username, password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="view_cohort", content_type__app_label="teaching"))
    return user


def make_cohort(name, *, faculty=(), residents=()):
    cohort = Cohort.objects.create(name=name)
    cohort.faculty.set(faculty)
    cohort.residents.set(residents)
    return cohort


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
