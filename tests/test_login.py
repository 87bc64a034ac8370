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
