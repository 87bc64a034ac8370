"""Password reset: a mail with a working link, a few requests an hour, and no reset at all without e-mail."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]
RESET_URLS = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]


@pytest.fixture
def resident():
    return User.objects.create_user("ada", email="ada@example.org", password="an old long passphrase")


def ask(client, email="ada@example.org", address="10.0.0.1"):
    return client.post("/accounts/password_reset/", {"email": email}, REMOTE_ADDR=address)


def test_the_sign_in_page_offers_a_reset_and_the_mail_carries_a_link_that_sets_a_new_password(client, resident):
    assert 'href="/accounts/password_reset/"' in client.get("/accounts/login/").text

    response = ask(client)

    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"] and message.subject == "Casebook: choose a new password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase 7", "new_password2": "a brand new passphrase 7"},
        follow=True,
    )
    assert "Password set" in done.text
    signed_in = client.post("/accounts/login/", {"username": "ada", "password": "a brand new passphrase 7"})
    assert signed_in.status_code == 302
    assert "expired or was already used" in client.get(link, follow=True).text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, resident):
    response = ask(client, email="nobody@example.org")
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_requests_for_one_email_are_limited_to_three_an_hour(client, resident):
    for n in range(3):
        assert ask(client, address=f"10.0.0.{n + 1}").status_code == 302
    refused = ask(client, address="10.0.0.9")
    assert refused.status_code == 429 and "Too many reset requests" in refused.text
    assert 'value="ada@example.org"' in refused.text  # what was typed is kept
    assert len(mail.outbox) == 3


def test_requests_from_one_address_are_limited_to_five_an_hour(client, resident):
    for n in range(5):
        assert ask(client, email=f"someone{n}@example.org").status_code == 302
    assert ask(client).status_code == 429
    assert mail.outbox == []
    assert ask(client, address="10.0.0.2").status_code == 302  # a colleague elsewhere is not held up
    assert len(mail.outbox) == 1


def test_without_e_mail_the_reset_is_not_offered_and_its_pages_are_not_found(client, resident, settings):
    settings.PASSWORD_RESET_ENABLED = False
    assert "password_reset" not in client.get("/accounts/login/").text
    for url in RESET_URLS:
        assert client.get(url).status_code == 404, url
    assert ask(client).status_code == 404
    assert mail.outbox == []


def settings_in_a_fresh_process(**environment):
    """casebook.settings loaded with only these variables: (return code, the values it printed or the error)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EMAIL_", "DEFAULT_FROM_EMAIL"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "casebook.example.org",
            **environment,
        }
    )
    code = (
        "from casebook import settings as s; print(s.PASSWORD_RESET_ENABLED, s.EMAIL_HOST, s.EMAIL_PORT, "
        "s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, getattr(s, 'EMAIL_USE_SSL', False), "
        "s.DEFAULT_FROM_EMAIL, s.TRUSTED_PROXY_COUNT)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    return result.returncode, (result.stdout.strip() or result.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "False  587   True False casebook@localhost 0"),
        (
            {
                "EMAIL_HOST": "smtp.example.org",
                "EMAIL_HOST_USER": "casebook",
                "EMAIL_HOST_PASSWORD": "s3cret",
                "EMAIL_PORT": "2525",
                "DEFAULT_FROM_EMAIL": "casebook@example.org",
                "DJANGO_TRUSTED_PROXY_COUNT": "1",
            },
            "True smtp.example.org 2525 casebook s3cret True False casebook@example.org 1",
        ),
        (
            {"DJANGO_EMAIL_URL": "smtps://casebook:p%40ss@smtp.example.org", "DEFAULT_FROM_EMAIL": "cb@example.org"},
            "True smtp.example.org 465 casebook p@ss False True cb@example.org 0",
        ),
    ],
)
def test_e_mail_and_proxies_are_configured_from_the_environment(environment, expected):
    assert settings_in_a_fresh_process(**environment) == (0, expected)


@pytest.mark.parametrize(
    ("environment", "error"),
    [
        (
            {"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "twenty-five", "DEFAULT_FROM_EMAIL": "a@example.org"},
            "EMAIL_PORT must be a whole number",
        ),
        (
            {"EMAIL_HOST": "smtp.example.org", "EMAIL_USE_TLS": "maybe", "DEFAULT_FROM_EMAIL": "a@example.org"},
            "EMAIL_USE_TLS must be one of",
        ),
        ({"EMAIL_HOST": "smtp.example.org"}, "DEFAULT_FROM_EMAIL must be an address"),
        (
            {"DJANGO_EMAIL_URL": "gopher://smtp.example.org", "DEFAULT_FROM_EMAIL": "a@example.org"},
            "DJANGO_EMAIL_URL must look like",
        ),
        (
            {"DJANGO_EMAIL_URL": "smtp://smtp.example.org:port", "DEFAULT_FROM_EMAIL": "a@example.org"},
            "port that is not a number",
        ),
        ({"DJANGO_TRUSTED_PROXY_COUNT": "-1"}, "DJANGO_TRUSTED_PROXY_COUNT must be a whole number"),
        ({"DJANGO_TRUSTED_PROXY_COUNT": "one"}, "DJANGO_TRUSTED_PROXY_COUNT must be a whole number"),
    ],
)
def test_a_bad_e_mail_or_proxy_setting_stops_the_start_with_a_message(environment, error):
    code, output = settings_in_a_fresh_process(**environment)
    assert code != 0 and error in output
