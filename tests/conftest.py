import os
import shutil
import tempfile

import pytest

CHROMIUM = os.environ.get("CASEBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_configure(config):
    from django.conf import settings

    # Tests only: the production hasher is slow on purpose, and the suite creates hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Image processing runs at once, in the request, rather than waiting for a worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Uploaded images go to a directory of the run's own, removed afterwards.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="casebook-media-")


def pytest_unconfigure(config):
    from django.conf import settings

    if str(settings.MEDIA_ROOT).startswith(tempfile.gettempdir()):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (which cannot download its own here)."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (run `make test`, which installs it)")
    # Playwright's sync API runs an event loop; Django refuses ORM calls from async contexts.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab; any console error or CSP violation fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture(autouse=True)
def english_to_start_with():
    """Each test starts in English: a French request leaves its language active in the test's thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached page (tests roll back the content version they rely on)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


def make_user(username, *, group, is_staff):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, password="long-enough-passphrase", is_staff=is_staff)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    """A member of the Editors group, with staff status: writes and publishes cases in the admin."""
    return make_user("editor", group="Editors", is_staff=True)


@pytest.fixture
def resident(db):
    return make_user("resident", group="Residents", is_staff=False)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(autouse=True)
def _facet_totals_follow_each_statement(request):
    """On PostgreSQL the facet totals follow a case's edit at commit (deferred triggers, migration
    0017). A test's transaction is rolled back, never committed: inside it they follow each
    statement, as they do on SQLite. Tests with transaction=True commit, and see them at commit."""
    marker = request.node.get_closest_marker("django_db")
    in_a_transaction = (marker is not None and not marker.kwargs.get("transaction")) or "db" in request.fixturenames
    if not in_a_transaction or {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("db")
    from django.db import connection

    if connection.vendor == "postgresql":
        import importlib

        deferred = importlib.import_module("cases.migrations.0017_facet_totals").DEFERRED
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {', '.join(deferred)} IMMEDIATE")
