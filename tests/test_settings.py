"""Deploy-time configuration comes from the environment and fails loudly when wrong."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x9Q!r7#Lp2@" * 4,
    "DJANGO_ALLOWED_HOSTS": "casebook.example.org",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="x.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_malformed_boolean_is_an_error_not_a_guess():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of" in result.stderr


def test_database_url_is_honoured(tmp_path):
    db = tmp_path / "other.sqlite3"
    result = manage("migrate", "--noinput", "-v0", DATABASE_URL=f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_ssl_redirect_can_be_turned_off_behind_a_tls_proxy():
    code = (
        "from django.conf import settings; "
        "print(settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE)"
    )
    on = manage("shell", "--no-imports", "-c", code, **PRODUCTION)
    off = manage("shell", "--no-imports", "-c", code, DJANGO_SECURE_SSL_REDIRECT="0", **PRODUCTION)
    assert on.stdout.split() == ["True", "True"], on.stderr
    assert off.stdout.split() == ["False", "True"], off.stderr
