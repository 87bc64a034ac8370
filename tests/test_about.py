import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_about_page_states_the_content_rules_without_a_query(client):
    # The benchmark's floor: a constant page through base.html that never reaches the database.
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/about/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>About Casebook</h1>" in html
    assert "in our own words from a cited source" in html
    assert "not a diagnostic aid" in html
    assert ctx.captured_queries == []


def test_every_page_footer_links_to_about(client):
    assert '<a href="/about/">About Casebook</a>' in client.get("/").content.decode()
