"""The two cache tiers: a worker's own memory in front of the cache the workers share."""
import pytest
from django.core.cache import caches
from django.test import override_settings

from cases import caching

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


def test_a_new_content_version_is_a_new_key(two_tiers):
    assert caching.cached("page:v1", lambda: "old") == "old"
    assert caching.cached("page:v2", lambda: "new") == "new"
