"""Several app servers over one PostgreSQL and one Redis: what one saves, the other shows at once.

Runs in make test's PostgreSQL pass (tests/services.py starts PostgreSQL and Redis). Two Django
servers are started on their own loopback ports against the test database.
"""

import html
import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Permission, User
from django.db import connection

from tests.factories import make_case
from tests.services import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies kept across servers, as one browser would keep them behind a load balancer."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, url):
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers

    def post(self, url, data):
        token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers


@pytest.fixture
def two_servers():
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and Redis (the second pass of make test)")
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"),
    }
    servers = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, url in servers:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url + "/about/", timeout=2).close()
                    break
                except OSError:
                    assert process.poll() is None and time.monotonic() < deadline, "a server did not start"
                    time.sleep(0.2)
        yield [url for _, url in servers]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)


def titles(page):
    return [html.unescape(t) for t in re.findall(r'<h2 class="card__title"><a href="[^"]+">([^<]+)</a>', page)]


def test_an_edit_through_one_server_shows_on_the_next_request_to_the_other(two_servers):
    first, second = two_servers
    published = make_case(title="Woman with a published case")
    draft = make_case(title="Woman with a case still being written", status="draft")
    # Hashed as the servers hash (the tests' own hasher is a fast one they do not know).
    password = PBKDF2PasswordHasher().encode("a long enough passphrase", "twoserverssalt")
    editor = User.objects.create(username="editor", password=password, is_staff=True)
    editor.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case", "publish_case"]))

    resident = Browser()
    for server in (first, second):  # both render the list, and cache it in Redis
        status, page, _ = resident.get(server + "/")
        assert status == 200 and titles(page) == [published.title]
        assert resident.get(server + draft.get_absolute_url())[0] == 404

    staff = Browser()
    staff.get(first + "/admin/login/")
    status, _, _ = staff.post(
        first + "/admin/login/?next=/admin/",
        {"username": "editor", "password": "a long enough passphrase", "next": "/admin/"},
    )
    assert status == 302
    staff.get(first + "/admin/cases/case/")
    status, _, _ = staff.post(
        first + "/admin/cases/case/", {"action": "publish", "_selected_action": str(draft.pk), "index": "0"}
    )
    assert status == 302

    status, page, _ = resident.get(second + "/")  # the very next request, to the other server
    assert sorted(titles(page)) == sorted([published.title, draft.title])
    assert resident.get(second + draft.get_absolute_url())[0] == 200


def test_a_quiz_started_on_one_server_continues_on_the_other(two_servers):
    first, second = two_servers
    make_case()
    make_case()
    resident = Browser()
    resident.get(first + "/quiz/")
    status, _, headers = resident.post(
        first + "/quiz/", {"count": "2", "mode": "practice", "answer_format": "free_text"}
    )
    assert status == 302
    question = headers["Location"]
    status, page, _ = resident.get(second + question)
    assert status == 200 and "Unknown 1 of 2" in page
    status, _, headers = resident.post(second + question, {"answer": "Meningioma"})
    assert status == 302 and headers["Location"] == question + "reveal/"
    status, page, _ = resident.get(first + question + "reveal/")
    assert status == 200 and 'id="answer-heading"' in page
    assert resident.get(first + question)[0] == 302  # answered: the first answer stands on both
