"""Faculty's cohort pages: their own cohorts only, residents listed and removed, invitation links made and revoked."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User

from teaching.models import Cohort, Invitation

from .markup import assert_valid_html
from .teaching_helpers import make_cohort, make_faculty, make_invitation, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def faculty(client):
    user = make_faculty()
    client.force_login(user)
    return user


def test_faculty_create_a_cohort_and_teach_it(client, faculty):
    response = client.post("/teaching/cohorts/", {"name": "Neuroradiology 2027"})
    cohort = Cohort.objects.get(name="Neuroradiology 2027")
    assert response.status_code == 302 and response["Location"] == f"/teaching/cohorts/{cohort.pk}/"
    assert list(cohort.faculty.all()) == [faculty]
    page = client.get("/teaching/cohorts/").content.decode()
    assert "Neuroradiology 2027" in page


def test_a_cohort_without_a_name_is_not_created_and_the_form_says_why(client, faculty):
    response = client.post("/teaching/cohorts/", {"name": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not Cohort.objects.exists()


def test_my_cohorts_lists_mine_with_their_number_of_residents_and_not_others(client, faculty):
    mine = make_cohort("Year 2", faculty=[faculty], residents=[make_resident("ada"), make_resident("bob")])
    make_cohort("Someone else's year", faculty=[make_faculty("other")], residents=[make_resident("cyd")])
    page = client.get("/teaching/cohorts/").content.decode()
    assert f'href="/teaching/cohorts/{mine.pk}/">Year 2</a></th><td>2</td>' in page
    assert "Someone else" not in page


def test_the_cohort_page_lists_its_residents_and_its_invitations(client, faculty):
    ada = make_resident("ada", first_name="Ada", last_name="Lovelace")
    cohort = make_cohort(faculty=[faculty], residents=[ada])
    make_resident("bob")  # not in the cohort
    invitation = make_invitation(cohort, max_uses=20)
    page = client.get(f"/teaching/cohorts/{cohort.pk}/").content.decode()
    assert "Ada Lovelace" in page and "ada@example.org" in page and "bob" not in page
    assert f"http://testserver/join/{invitation.code}/" in page
    assert "0 of 20" in page


def test_faculty_create_an_invitation_link_with_an_expiry_and_a_use_limit(client, faculty):
    cohort = make_cohort(faculty=[faculty])
    response = client.post(f"/teaching/cohorts/{cohort.pk}/invitations/", {"days": "7", "max_uses": "25"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(cohort=cohort)
    assert (invitation.max_uses, invitation.uses, invitation.email, invitation.created_by) == (25, 0, "", faculty)
    assert 6.99 < (invitation.expires_at - invitation.created_at).total_seconds() / 86400 <= 7.01
    assert f"/join/{invitation.code}/" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("days, max_uses", [("0", "30"), ("91", "30"), ("14", "0"), ("14", "501"), ("soon", "30")])
def test_an_invitation_out_of_bounds_is_refused_keeping_what_was_typed(client, faculty, days, max_uses):
    cohort = make_cohort(faculty=[faculty])
    response = client.post(f"/teaching/cohorts/{cohort.pk}/invitations/", {"days": days, "max_uses": max_uses})
    page = response.content.decode()
    assert response.status_code == 400 and 'class="errorlist"' in page
    assert f'value="{days}"' in page and f'value="{max_uses}"' in page
    assert not Invitation.objects.exists()


def test_a_revoked_invitation_no_longer_works(client, faculty):
    cohort = make_cohort(faculty=[faculty])
    invitation = make_invitation(cohort)
    assert client.post(f"/teaching/cohorts/{cohort.pk}/invitations/{invitation.pk}/revoke/").status_code == 302
    assert ">Revoked<" in client.get(f"/teaching/cohorts/{cohort.pk}/").content.decode()
    client.logout()
    response = client.get(f"/join/{invitation.code}/")
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_revoking_and_removing_need_a_post(client, faculty):
    resident = make_resident()
    cohort = make_cohort(faculty=[faculty], residents=[resident])
    invitation = make_invitation(cohort)
    assert client.get(f"/teaching/cohorts/{cohort.pk}/invitations/{invitation.pk}/revoke/").status_code == 405
    assert client.get(f"/teaching/cohorts/{cohort.pk}/residents/{resident.pk}/remove/").status_code == 405
    assert cohort.residents.filter(pk=resident.pk).exists()


def test_a_resident_removed_from_a_cohort_keeps_their_account(client, faculty):
    resident = make_resident()
    other = make_cohort("Other", faculty=[faculty], residents=[resident])
    cohort = make_cohort(faculty=[faculty], residents=[resident])
    response = client.post(f"/teaching/cohorts/{cohort.pk}/residents/{resident.pk}/remove/")
    assert response.status_code == 302
    assert not cohort.residents.exists()
    assert User.objects.filter(pk=resident.pk).exists() and other.residents.filter(pk=resident.pk).exists()
    page = client.get(f"/teaching/cohorts/{cohort.pk}/").content.decode()
    assert "resident was removed from Year 2." in page and "No resident has joined yet" in page
    # Removing someone who is not in the cohort is a 404.
    assert client.post(f"/teaching/cohorts/{cohort.pk}/residents/{resident.pk}/remove/").status_code == 404


def test_faculty_cannot_open_or_change_another_faculty_members_cohort(client, faculty):
    resident = make_resident()
    theirs = make_cohort("Theirs", faculty=[make_faculty("other")], residents=[resident])
    invitation = make_invitation(theirs)
    mine = make_cohort("Mine", faculty=[faculty])
    base = f"/teaching/cohorts/{theirs.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "invitations/", {"days": "14", "max_uses": "30"}).status_code == 404
    assert client.post(base + "invitations/bulk/", {"addresses": "a@example.org", "days": "14"}).status_code == 404
    assert client.post(base + f"invitations/{invitation.pk}/revoke/").status_code == 404
    assert client.post(base + f"residents/{resident.pk}/remove/").status_code == 404
    # Nor through my own cohort's URLs.
    assert client.post(f"/teaching/cohorts/{mine.pk}/invitations/{invitation.pk}/revoke/").status_code == 404
    assert client.post(f"/teaching/cohorts/{mine.pk}/residents/{resident.pk}/remove/").status_code == 404
    assert client.get("/teaching/cohorts/999999/").status_code == 404
    invitation.refresh_from_db()
    assert theirs.residents.filter(pk=resident.pk).exists() and invitation.expires_at > invitation.created_at
    assert theirs.invitations.count() == 1


def test_a_superuser_sees_every_cohort(client):
    admin = User.objects.create_superuser("admin", password="x")
    cohort = make_cohort("Theirs", faculty=[make_faculty("other")])
    client.force_login(admin)
    assert "Theirs" in client.get("/teaching/cohorts/").content.decode()
    assert client.get(f"/teaching/cohorts/{cohort.pk}/").status_code == 200


def test_a_resident_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in(client):
    resident = make_resident()
    cohort = make_cohort(residents=[resident])
    anonymous = client.get("/teaching/cohorts/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert client.post("/teaching/cohorts/", {"name": "Sneaky"}).status_code == 302
    client.force_login(resident)
    assert client.get("/teaching/cohorts/").status_code == 403
    assert client.get(f"/teaching/cohorts/{cohort.pk}/").status_code == 403
    assert client.post("/teaching/cohorts/", {"name": "Sneaky"}).status_code == 403
    assert client.post(f"/teaching/cohorts/{cohort.pk}/residents/{resident.pk}/remove/").status_code == 403
    assert not Cohort.objects.filter(name="Sneaky").exists() and cohort.residents.exists()


def test_only_faculty_see_the_teaching_link(client):
    assert "/teaching/" not in client.get("/about/").content.decode()
    client.force_login(make_resident())
    assert "/teaching/" not in client.get("/about/").content.decode()
    client.force_login(make_faculty())
    assert '<a href="/teaching/">Teaching</a>' in client.get("/about/").content.decode()


def test_the_faculty_group_has_the_teaching_permissions_and_the_reverse_migration_removes_it():
    migration = import_module("teaching.migrations.0002_faculty_group")
    migration.make_group(django_apps)
    faculty = Group.objects.get(name="Faculty")
    codenames = set(faculty.permissions.values_list("content_type__app_label", "codename"))
    assert ("cases", "view_held_case") in codenames and ("teaching", "add_cohort") in codenames
    assert ("teaching", "delete_cohort") not in codenames and ("cases", "change_case") not in codenames
    assert len(codenames) == 16
    migration.remove_group(django_apps, None)
    assert not Group.objects.filter(name="Faculty").exists()
    assert Group.objects.filter(name="Residents").exists()


@pytest.mark.parametrize("residents", [2, 20])
def test_the_cohort_pages_query_count_is_constant(client, faculty, django_assert_num_queries, residents):
    cohort = make_cohort(faculty=[faculty], residents=[make_resident(f"r{n}") for n in range(residents)])
    make_cohort("Second", faculty=[faculty], residents=[make_resident(f"s{n}") for n in range(residents)])
    for _ in range(residents // 2):
        make_invitation(cohort)
    # 1 session, 2 user, 3-4 the user's and their groups' permissions, 5 the cohorts with their counts
    with django_assert_num_queries(5):
        assert client.get("/teaching/cohorts/").status_code == 200
    # 1 session, 2 user, 3-4 permissions, 5 the cohort, 6 its invitations, 7 its residents
    with django_assert_num_queries(7):
        assert client.get(f"/teaching/cohorts/{cohort.pk}/").status_code == 200


def test_the_cohort_pages_are_valid_html(client, faculty, tmp_path):
    cohort = make_cohort(faculty=[faculty], residents=[make_resident()])
    make_invitation(cohort)
    make_invitation(cohort, email="ada@example.org", max_uses=1)
    pages = [
        ("cohorts", client.get("/teaching/cohorts/")),
        ("cohort", client.get(f"/teaching/cohorts/{cohort.pk}/")),
        ("cohort-errors", client.post(f"/teaching/cohorts/{cohort.pk}/invitations/bulk/", {"addresses": "x, y@"})),
    ]
    assert [response.status_code for _, response in pages] == [200, 200, 400]
    assert_valid_html(pages, tmp_path)


def test_the_admin_lists_and_edits_cohorts_and_invitations_without_changing_codes_or_uses(client):
    client.force_login(User.objects.create_superuser("admin", password="x"))
    cohort = make_cohort(faculty=[make_faculty()], residents=[make_resident()])
    invitation = make_invitation(cohort, uses=2)
    for path in (
        "/admin/teaching/cohort/",
        f"/admin/teaching/cohort/{cohort.pk}/change/",
        "/admin/teaching/invitation/",
        f"/admin/teaching/invitation/{invitation.pk}/change/",
    ):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/admin/teaching/cohort/{cohort.pk}/change/").content.decode()
    assert "selectfilter" in page  # filter_horizontal
    change = client.get(f"/admin/teaching/invitation/{invitation.pk}/change/").content.decode()
    assert 'name="code"' not in change and 'name="uses"' not in change and invitation.code in change
