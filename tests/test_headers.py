import pytest

from .factories import make_case

pytestmark = pytest.mark.django_db


def test_every_page_sends_a_strict_content_security_policy(client):
    case = make_case()
    for url in ("/", case.get_absolute_url(), case.get_answer_url(), "/diagnoses/", "/accounts/login/", "/nope/"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_or_style(client):
    case = make_case()
    for url in ("/", case.get_absolute_url(), case.get_answer_url()):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert "http://" not in html.split("<main", 1)[0]  # no third-party assets in <head>


def test_favicon_requests_are_sent_to_our_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
