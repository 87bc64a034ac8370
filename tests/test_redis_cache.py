"""REDIS_URL: Django's own Redis cache, against a real redis-server.

In make test's PostgreSQL pass the whole suite already runs on the Redis that tests/services.py
started; in the SQLite pass these tests start their own on a free loopback port (and stop it).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from cases.models import Case
from tests.factories import make_case
from tests.services import start_redis

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    try:
        process, port = start_redis(tmp_path_factory.mktemp("redis"))
    except pytest.UsageError as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def redis_cache(settings, redis_url):
    """This process's pages cached in Redis only (the per-process tier, where configured, is not consulted first)."""
    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url},
        "local": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    yield server
    server.flushdb()


def manage_shell(redis_url, code):
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REDIS_URL": redis_url},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's note on its automatic imports


def test_redis_url_selects_djangos_redis_cache_and_a_value_cached_by_one_process_is_seen_by_another(redis_url):
    redis.Redis.from_url(redis_url).delete(":1:handed-over")
    setter = (
        "from django.conf import settings; from django.core.cache import cache; "
        "print(settings.CACHES['default']['BACKEND']); cache.set('handed-over', 'from the first process', 60)"
    )
    assert manage_shell(redis_url, setter) == "django.core.cache.backends.redis.RedisCache"
    getter = "from django.core.cache import cache; print(cache.get('handed-over'))"
    assert manage_shell(redis_url, getter) == "from the first process"


@pytest.mark.django_db
def test_with_redis_the_list_shows_an_edit_on_the_next_request_and_never_a_draft(client, redis_cache):
    published = make_case(title="Man with a cached presentation")
    draft = make_case(title="Man with a presentation still being written", status=Case.Status.DRAFT)

    page = client.get("/").content.decode()
    assert published.title in page and draft.title not in page
    assert redis_cache.dbsize() > 0  # the list was cached in Redis
    assert client.get(draft.get_absolute_url()).status_code == 404

    published.title = "Man with a presentation renamed"
    published.save()
    page = client.get("/").content.decode()
    assert "Man with a presentation renamed" in page and "Man with a cached presentation" not in page
    assert draft.title not in page

    draft.status = Case.Status.PUBLISHED
    draft.save()
    assert draft.title in client.get("/").content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 200
