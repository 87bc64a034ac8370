"""Every public page type is valid HTML according to the Nu HTML checker (vnu)."""

import pytest

from .markup import assert_valid_html
from .pages import public_pages

pytestmark = pytest.mark.django_db


def test_public_pages_have_no_html_errors(client, tmp_path):
    responses = [(name, client.get(path)) for name, path in public_pages()]
    assert [r.status_code for _, r in responses if r.status_code not in (200, 404)] == []
    assert_valid_html(responses, tmp_path)
