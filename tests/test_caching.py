"""The two cache tiers: a worker's own memory in front of the cache the workers share."""

import pytest
from django.core.cache import caches
from django.test import override_settings

from cases import caching
from tests.factories import make_case

TWO_TIERS = {
    "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": None},
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tier-test"},
}


@pytest.fixture
def two_tiers(tmp_path, monkeypatch):
    config = {**TWO_TIERS, "default": {**TWO_TIERS["default"], "LOCATION": str(tmp_path)}}
    with override_settings(CACHES=config):
        monkeypatch.setattr(caching, "TIERS", ("local", "default"))
        yield
        caches["local"].clear()


def test_a_value_is_computed_once_for_all_workers(two_tiers):
    computed = []

    def compute():
        computed.append(1)
        return "<p>rendered</p>"

    assert caching.cached("page:v1", compute) == "<p>rendered</p>"
    caches["local"].clear()  # another worker: its own memory is empty, the shared files are not
    assert caching.cached("page:v1", compute) == "<p>rendered</p>"
    assert caching.cached("page:v1", compute) == "<p>rendered</p>"
    assert len(computed) == 1
    assert caches["local"].get("page:v1") == "<p>rendered</p>"


@pytest.mark.django_db
def test_an_edit_reaches_every_worker_though_each_keeps_its_own_copy(two_tiers, client):
    """A worker's memory keeps the page it rendered; an edit changes the key, so no worker serves the old one."""
    case = make_case(title="Woman with a first title")
    assert case.title in client.get("/").content.decode()
    assert client.get("/").content.decode().count(case.title) == 1  # the copy in this worker's memory
    case.title = "Woman with a second title"
    case.save()
    html = client.get("/").content.decode()
    assert "Woman with a second title" in html and "Woman with a first title" not in html
    caches["local"].clear()  # another worker, which has only the shared files
    html = client.get("/").content.decode()
    assert "Woman with a second title" in html and "Woman with a first title" not in html
