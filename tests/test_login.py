"""Signing in: password guessing is cut short, and the lockout is explained."""

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough password 42"


@pytest.fixture
def resident():
    return User.objects.create_user("ada", password=PASSWORD)


def sign_in(client, password, username="ada", address="10.0.0.1", url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_resident_signs_in_and_is_sent_on(client, resident):
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert client.get("/").context["user"] == resident


def test_a_wrong_password_keeps_the_username_and_says_what_is_wrong(client, resident):
    response = sign_in(client, "not it")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct username and password" in html
    assert 'value="ada"' in html


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, resident):
    for _ in range(5):
        sign_in(client, "guess")
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_protected_too(client, resident):
    resident.is_staff = True
    resident.save()
    for _ in range(5):
        sign_in(client, "guess", url="/admin/login/")
    assert sign_in(client, PASSWORD, url="/admin/login/").status_code == 429


def test_a_lockout_does_not_spread_to_colleagues_behind_the_same_address(client, resident):
    User.objects.create_user("grace", password=PASSWORD)
    for _ in range(5):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD, username="grace").status_code == 302


def test_a_successful_sign_in_clears_earlier_mistakes(client, resident):
    for _ in range(4):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 302


# Behind a proxy: X-Forwarded-For counts only when the deployment says how many proxies are its own.


def test_by_default_a_forwarded_address_is_ignored_so_it_cannot_aim_a_lockout(client, resident):
    for n in range(5):  # an attacker at 198.51.100.9 claims to be the resident's hospital address
        client.post(
            "/accounts/login/",
            {"username": "ada", "password": "guess"},
            REMOTE_ADDR="198.51.100.9",
            HTTP_X_FORWARDED_FOR=f"10.0.0.1, 10.0.0.{n + 2}",
        )
    assert sign_in(client, PASSWORD, address="10.0.0.1").status_code == 302  # the resident is not locked
    client.logout()
    locked = client.post(
        "/accounts/login/",
        {"username": "ada", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.9",
        HTTP_X_FORWARDED_FOR="10.0.0.77",
    )
    assert locked.status_code == 429  # the attacker's own address is, whatever it claims


def through_proxy(client, password, forwarded_for):
    return client.post(
        "/accounts/login/",
        {"username": "ada", "password": password},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_one_trusted_proxy_residents_are_locked_out_one_address_at_a_time(client, resident, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):  # the attacker, whose proxy-written address is 203.0.113.5, spoofs one to its left
        through_proxy(client, "guess", "10.0.0.1, 203.0.113.5")

    assert through_proxy(client, PASSWORD, "203.0.113.5").status_code == 429
    assert through_proxy(client, PASSWORD, "10.0.0.1").status_code == 302  # the resident behind the same proxy


def test_behind_two_proxies_the_address_the_outer_one_saw_counts(client, resident, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    for _ in range(5):
        through_proxy(client, "guess", "192.0.2.1, 203.0.113.5, 10.1.1.1")
    assert through_proxy(client, PASSWORD, "192.0.2.1, 203.0.113.5, 10.1.1.2").status_code == 429
    assert through_proxy(client, PASSWORD, "203.0.113.6, 10.1.1.1").status_code == 302
