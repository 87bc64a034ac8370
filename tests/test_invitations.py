"""Invitations: joining a cohort through a link (signing up or signed in), each use counted once, bad codes
refused with their reason, and e-mailed invitations from a pasted list of addresses."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from teaching import cohorts, joining
from teaching.cohorts import parse_addresses
from teaching.models import Invitation

from .markup import assert_valid_html
from .teaching_helpers import make_cohort, make_faculty, make_invitation, make_resident

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "username": "newres",
    "email": "New.Resident@Example.org",
    "password1": "a long enough password 42",
    "password2": "a long enough password 42",
}


@pytest.fixture
def cohort():
    return make_cohort("Year 2", faculty=[make_faculty()])


def test_a_resident_signs_up_through_the_link_and_lands_in_the_cohort(client, cohort):
    invitation = make_invitation(cohort, max_uses=5)
    page = client.get(f"/join/{invitation.code}/").content.decode()
    assert "Join Year 2" in page and 'name="password2"' in page
    response = client.post(f"/join/{invitation.code}/", SIGN_UP, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Welcome, newres: you have joined Year 2." in response.content.decode()
    user = User.objects.get(username="newres")
    assert user.email == "new.resident@example.org" and user.check_password(SIGN_UP["password1"])
    assert list(user.groups.values_list("name", flat=True)) == ["Residents"]
    assert list(cohort.residents.all()) == [user]
    assert response.wsgi_request.user == user  # signed in
    invitation.refresh_from_db()
    assert invitation.uses == 1


def test_a_personal_invitation_fixes_the_address(client, cohort):
    invitation = make_invitation(cohort, email="ada@example.org", max_uses=1)
    page = client.get(f"/join/{invitation.code}/").content.decode()
    assert 'value="ada@example.org"' in page and "disabled" in page
    client.post(f"/join/{invitation.code}/", {**SIGN_UP, "email": "someone.else@example.org"})
    assert User.objects.get(username="newres").email == "ada@example.org"


def test_a_sign_up_with_errors_keeps_what_was_typed_and_uses_nothing(client, cohort):
    invitation = make_invitation(cohort)
    response = client.post(f"/join/{invitation.code}/", {**SIGN_UP, "password2": "something else entirely"})
    page = response.content.decode()
    assert response.status_code == 400 and "didn’t match" in page
    assert 'value="newres"' in page and 'value="New.Resident@Example.org"' in page
    assert not User.objects.filter(username="newres").exists()
    invitation.refresh_from_db()
    assert invitation.uses == 0


def test_an_address_with_an_account_already_is_told_to_sign_in(client, cohort):
    make_resident("ada", email="new.resident@example.org")
    response = client.post(f"/join/{make_invitation(cohort).code}/", SIGN_UP)
    assert (
        response.status_code == 400
        and "An account with this e-mail address exists already" in response.content.decode()
    )
    assert not User.objects.filter(username="newres").exists()


def expired(cohort):
    invitation = make_invitation(cohort)  # created 15 days ago, for 14 days
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=15), expires_at=timezone.now() - timedelta(days=1)
    )
    return invitation.code


def used_up(cohort):
    return make_invitation(cohort, max_uses=3, uses=3).code


def revoked(cohort):
    invitation = make_invitation(cohort)
    joining.revoke(invitation)
    return invitation.code


def unknown(cohort):
    return "no-such-code"


@pytest.mark.parametrize(
    "code, status, message",
    [
        (expired, 410, "This invitation has expired."),
        (used_up, 410, "This invitation has been used as many times as it allows."),
        (revoked, 410, "This invitation was withdrawn by your faculty."),
        (unknown, 404, "No invitation has this code."),
    ],
)
def test_an_invitation_that_cannot_be_used_says_why_and_creates_no_account(client, cohort, code, status, message):
    code = code(cohort)
    users = User.objects.count()
    for response in client.get(f"/join/{code}/"), client.post(f"/join/{code}/", SIGN_UP):
        assert response.status_code == status
        assert message in response.content.decode() and 'name="password1"' not in response.content.decode()
    assert User.objects.count() == users and not cohort.residents.exists()
    # Nor does a signed-in resident join through it.
    resident = make_resident()
    client.force_login(resident)
    assert client.post(f"/join/{code}/").status_code == status
    assert not cohort.residents.exists()


def test_two_sign_ups_racing_for_the_last_use_create_one_account(cohort):
    invitation = make_invitation(cohort, max_uses=3, uses=2)
    users = User.objects.count()
    results = []
    for username in ("first", "second"):  # both read the invitation when one use was left
        form = joining.SignUpForm(
            {**SIGN_UP, "username": username, "email": f"{username}@example.org"}, invitation=invitation
        )
        assert form.is_valid(), form.errors
        results.append(joining.sign_up(invitation=invitation, form=form))
    assert results[0].username == "first" and results[1] is None
    assert User.objects.count() == users + 1 and list(cohort.residents.values_list("username", flat=True)) == ["first"]
    invitation.refresh_from_db()
    assert invitation.uses == 3


def test_a_signed_in_resident_joins_with_a_button_and_joining_twice_counts_once(client, cohort):
    invitation = make_invitation(cohort, max_uses=5)
    resident = make_resident()
    client.force_login(resident)
    page = client.get(f"/join/{invitation.code}/").content.decode()
    assert '<button type="submit">Join Year 2</button>' in page and "password" not in page
    first = client.post(f"/join/{invitation.code}/", follow=True)
    assert "You have joined Year 2." in first.content.decode()
    second = client.post(f"/join/{invitation.code}/", follow=True)
    assert "You are in Year 2 already." in second.content.decode()
    assert list(cohort.residents.all()) == [resident]
    invitation.refresh_from_db()
    assert invitation.uses == 1
    assert "You are in Year 2 already." in client.get(f"/join/{invitation.code}/").content.decode()


def test_a_personal_invitation_does_not_admit_another_signed_in_account(client, cohort):
    invitation = make_invitation(cohort, email="ada@example.org", max_uses=1)
    client.force_login(make_resident("bob"))
    response = client.post(f"/join/{invitation.code}/")
    assert response.status_code == 403 and "sent to another e-mail address" in response.content.decode()
    assert not cohort.residents.exists()
    client.force_login(make_resident("ada", email="Ada@Example.org"))
    assert client.post(f"/join/{invitation.code}/").status_code == 302
    assert list(cohort.residents.values_list("username", flat=True)) == ["ada"]


def test_the_join_page_takes_a_code_or_a_pasted_link(client, cohort):
    invitation = make_invitation(cohort)
    assert 'name="code"' in client.get("/join/").content.decode()
    response = client.get("/join/", {"code": f"  {invitation.code} "})
    assert response.status_code == 302 and response["Location"] == f"/join/{invitation.code}/"
    response = client.get("/join/", {"code": f"https://casebook.example.org/join/{invitation.code}/"})
    assert response["Location"] == f"/join/{invitation.code}/"
    response = client.get("/join/", {"code": "not a code!"})
    assert response.status_code == 200 and 'value="not a code!"' in response.content.decode()


def test_the_sign_in_page_offers_to_join_with_a_code(client):
    assert '<a href="/join/">Join</a>' in client.get("/accounts/login/").content.decode()


def test_sign_ups_are_rate_limited_per_client_address(client, cohort, monkeypatch):
    monkeypatch.setattr(joining, "SIGN_UPS_PER_ADDRESS", 2)
    invitation = make_invitation(cohort)
    for _ in range(2):
        client.post(f"/join/{invitation.code}/", {**SIGN_UP, "password2": "mismatch"})
    response = client.post(f"/join/{invitation.code}/", SIGN_UP)
    assert response.status_code == 429 and "Too many sign-ups from here" in response.content.decode()
    assert 'value="newres"' in response.content.decode()
    assert not User.objects.filter(username="newres").exists()
    # Another address is not held back.
    assert client.post(f"/join/{invitation.code}/", SIGN_UP, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_the_join_pages_are_valid_html(client, cohort, tmp_path):
    invitation = make_invitation(cohort)
    pages = [
        ("join", client.get("/join/")),
        ("join-errors", client.get("/join/", {"code": "not a code!"})),
        ("sign-up", client.get(f"/join/{invitation.code}/")),
        ("sign-up-errors", client.post(f"/join/{invitation.code}/", {**SIGN_UP, "password2": "x"})),
        ("unknown", client.get("/join/nothing/")),
    ]
    client.force_login(make_resident())
    pages.append(("join-button", client.get(f"/join/{invitation.code}/")))
    assert_valid_html(pages, tmp_path)


# E-mailed invitations


@pytest.fixture
def faculty_client(client, cohort):
    client.force_login(cohort.faculty.get())
    return client


def bulk(client, cohort, addresses, days="14"):
    return client.post(f"/teaching/cohorts/{cohort.pk}/invitations/bulk/", {"addresses": addresses, "days": days})


def test_a_list_of_addresses_sends_each_its_own_single_use_link(faculty_client, cohort):
    pasted = "email\nAda@Example.org\n bob@example.org ; cyd@example.org,\nada@example.org\n"
    response = bulk(faculty_client, cohort, pasted)
    assert response.status_code == 302
    invitations = {i.email: i for i in Invitation.objects.filter(cohort=cohort)}
    assert sorted(invitations) == ["ada@example.org", "bob@example.org", "cyd@example.org"]
    assert {i.max_uses for i in invitations.values()} == {1}
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        (to,) = message.to
        assert message.subject == "Your invitation to join Year 2 on Casebook"
        assert f"http://testserver/join/{invitations[to].code}/" in message.body
    assert "3 invitations sent." in faculty_client.get(response["Location"]).content.decode()


def test_an_invitee_signs_up_through_the_mailed_link(faculty_client, cohort):
    bulk(faculty_client, cohort, "ada@example.org")
    link = next(line for line in mail.outbox[0].body.splitlines() if "/join/" in line)
    faculty_client.logout()
    faculty_client.post(link.removeprefix("http://testserver"), {**SIGN_UP, "email": "ignored@example.org"})
    assert User.objects.get(username="newres").email == "ada@example.org"
    assert cohort.residents.filter(username="newres").exists()


def test_a_list_with_bad_addresses_sends_nothing_and_keeps_the_text(faculty_client, cohort):
    pasted = "ada@example.org\nbob(at)example.org; cyd@"
    response = bulk(faculty_client, cohort, pasted)
    page = response.content.decode()
    assert response.status_code == 400
    assert "These are not e-mail addresses: bob(at)example.org, cyd@." in page
    assert f">\n{pasted}</textarea>" in page
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_more_than_200_addresses_at_once_are_refused(faculty_client, cohort):
    response = bulk(faculty_client, cohort, "\n".join(f"r{n}@example.org" for n in range(201)))
    assert response.status_code == 400 and "At most 200 addresses at a time" in response.content.decode()
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_invitation_mails_are_rate_limited_per_faculty_member(faculty_client, cohort, monkeypatch):
    monkeypatch.setattr(cohorts, "INVITATION_MAILS_PER_HOUR", 3)
    assert bulk(faculty_client, cohort, "a@example.org, b@example.org").status_code == 302
    response = bulk(faculty_client, cohort, "c@example.org, d@example.org")
    assert response.status_code == 429 and "too many invitations this hour" in response.content.decode()
    assert "c@example.org, d@example.org" in response.content.decode()
    assert len(mail.outbox) == 2 and Invitation.objects.count() == 2
    # The refused pair was not counted: one more still fits in the hour.
    assert bulk(faculty_client, cohort, "c@example.org").status_code == 302
    assert len(mail.outbox) == 3


# The address parser


def test_the_parser_reads_lines_commas_semicolons_and_a_csv_column():
    assert parse_addresses('E-mail\n"Ada@Example.org"\nbob@example.org;cyd@example.org, ada@example.org') == (
        ["ada@example.org", "bob@example.org", "cyd@example.org"],
        [],
    )
    assert parse_addresses("ada@example.org, nope, x@") == (["ada@example.org"], ["nope", "x@"])
    assert parse_addresses("") == ([], [])


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("@.,;\n \"'<>-_+")))
def test_the_parser_never_fails_and_returns_valid_unique_lower_case_addresses(text):
    valid, invalid = parse_addresses(text)
    assert len(valid) == len(set(valid))
    for address in valid:
        assert address == address.lower() and len(address) <= 254
        validate_email(address)


def django_accepts(address):
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


# Quotes and angle brackets around a token are a CSV's or a mail client's, not the address's.
real_addresses = st.emails().filter(lambda a: len(a) <= 254 and a[0] not in "'\"<" and a[-1] not in "'\">")


@given(st.lists(real_addresses, max_size=20), st.sampled_from(["\n", ",", ";", " ; ", "\r\n"]))
def test_the_parser_keeps_every_address_django_accepts_once(addresses, separator):
    valid, invalid = parse_addresses(separator.join(addresses))
    accepted = [a.lower() for a in addresses if django_accepts(a.lower())]
    assert valid == list(dict.fromkeys(accepted))
