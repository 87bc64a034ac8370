"""A resident's bookmarks, private notes, "seen"/"answered" marks and related cases (the study app)."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from study.models import Bookmark, CaseVisit, Note

from .factories import make_case
from .quiz_helpers import question_url, start_quiz

pytestmark = pytest.mark.django_db

A_NOTE = "Ada's private thought: recheck the conus"


def signed_in(username):
    client = Client()
    client.force_login(User.objects.get_or_create(username=username)[0])
    return client


@pytest.fixture
def case():
    return make_case(title="52-year-old woman with leg heaviness")


@pytest.fixture
def ada():
    return signed_in("ada")


@pytest.fixture
def ben():
    return signed_in("ben")


def bookmark(client, case, on=True, **extra):
    return client.post(f"/cases/{case.slug}/bookmark/", {"bookmarked": "on" if on else "off", **extra})


def write_note(client, case, text, **extra):
    return client.post(f"/cases/{case.slug}/note/", {"text": text, **extra})


def cards(html):
    """{card title: the card's HTML} on a case list page."""
    return {
        re.search(r'class="card__title"[^>]*><a [^>]+>(.*?)</a>', card).group(1): card
        for card in re.findall(r'<article class="card">(.*?)</article>', html, re.S)
    }


# Bookmarks


def test_a_bookmark_is_kept_once_however_often_it_is_sent(ada, case):
    response = bookmark(ada, case, next=case.get_absolute_url() + "?list=sort%3Dage")
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url() + "?list=sort%3Dage"
    bookmark(ada, case)
    assert Bookmark.objects.filter(user__username="ada", case=case).count() == 1
    html = ada.get(case.get_absolute_url()).content.decode()
    assert "Remove bookmark" in html and "Bookmarked" in html
    ada.post(f"/cases/{case.slug}/bookmark/", {"bookmarked": "junk"})
    assert Bookmark.objects.count() == 1
    bookmark(ada, case, on=False)
    bookmark(ada, case, on=False)
    assert not Bookmark.objects.exists()
    assert "Bookmark this case" in ada.get(case.get_absolute_url()).content.decode()


def test_the_bookmark_button_is_on_the_answer_page_too(ada, case):
    assert f'action="/cases/{case.slug}/bookmark/"' in ada.get(case.get_answer_url()).content.decode()


def test_a_redirect_elsewhere_is_refused(ada, case):
    response = bookmark(ada, case, next="https://evil.example/")
    assert response["Location"] == case.get_absolute_url()


def test_anonymous_visitors_are_asked_to_sign_in(client, case):
    for url in (case.get_absolute_url(), case.get_answer_url()):
        html = client.get(url).content.decode()
        assert "Sign in to bookmark this case" in html
        assert "/bookmark/" not in html and "<textarea" not in html
    assert bookmark(client, case)["Location"].startswith("/accounts/login/")
    assert write_note(client, case, "hello")["Location"].startswith("/accounts/login/")
    assert client.get("/bookmarks/")["Location"].startswith("/accounts/login/")
    assert not Bookmark.objects.exists() and not Note.objects.exists()


@pytest.mark.parametrize("status", [Case.Status.DRAFT, Case.Status.HELD])
def test_a_case_residents_cannot_see_cannot_be_bookmarked_or_annotated(ada, status):
    hidden = make_case(title="Hidden case", status=status)
    assert bookmark(ada, hidden).status_code == 404
    assert write_note(ada, hidden, "x").status_code == 404
    assert bookmark(ada, make_case(), next="/").status_code == 302  # the same request for a published case works
    assert not Bookmark.objects.filter(case=hidden).exists()
    assert ada.post("/cases/no-such-case/bookmark/", {"bookmarked": "on"}).status_code == 404


def test_bookmarks_page_lists_only_published_cases(ada, case):
    bookmark(ada, case)
    write_note(ada, case, A_NOTE)
    later_held = make_case(title="Later held for an exam")
    bookmark(ada, later_held)
    write_note(ada, later_held, "note on the held case")
    Case.objects.filter(pk=later_held.pk).update(status=Case.Status.HELD)
    html = ada.get("/bookmarks/").content.decode()
    assert case.title in html and A_NOTE.replace("'", "&#x27;") in html
    assert "Later held" not in html and "note on the held case" not in html


def test_changes_need_a_post(ada, case):
    assert ada.get(f"/cases/{case.slug}/bookmark/").status_code == 405
    assert ada.get(f"/cases/{case.slug}/note/").status_code == 405


# Notes


def test_a_note_is_kept_changed_and_deleted_when_emptied(ada, case):
    assert write_note(ada, case, "First thought").status_code == 302
    write_note(ada, case, "Second thought")
    assert list(Note.objects.values_list("text", flat=True)) == ["Second thought"]
    assert ">Second thought</textarea>" in ada.get(case.get_absolute_url()).content.decode()
    assert ">Second thought</textarea>" in ada.get(case.get_answer_url()).content.decode()
    write_note(ada, case, "   \n ")
    assert not Note.objects.exists()


def test_a_note_too_long_keeps_what_was_typed(ada, case):
    text = "Long thought. " * 400  # 5,600 characters
    response = write_note(ada, case, text)
    html = response.content.decode()
    assert response.status_code == 200
    assert "at most 5000 characters" in html
    assert text.strip() in html
    assert not Note.objects.exists()


def test_a_note_is_plain_text_shown_escaped_with_its_line_breaks(ada, case):
    write_note(ada, case, "<script>alert(1)</script>\n**not bold**")
    html = ada.get("/bookmarks/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>**not bold**" in html
    assert "<script>alert" not in html


def test_my_notes_never_appear_in_another_residents_pages(ada, ben, case, admin_client):
    write_note(ada, case, A_NOTE)
    bookmark(ada, case)
    for client in (ben, admin_client):
        for url in (case.get_absolute_url(), case.get_answer_url(), "/bookmarks/", "/"):
            html = client.get(url).content.decode()
            assert "recheck the conus" not in html, url
        assert "Remove bookmark" not in client.get(case.get_absolute_url()).content.decode()


def test_another_residents_note_cannot_be_changed(ada, ben, case):
    write_note(ada, case, A_NOTE)
    bookmark(ada, case)
    theirs = Note.objects.get()
    # Ben names Ada's note and user: the note is always the sender's own, on the case in the URL.
    write_note(ben, case, "Ben's note", id=theirs.pk, user=theirs.user_id, note=theirs.pk)
    write_note(ben, case, "", id=theirs.pk)
    bookmark(ben, case, on=False, user=theirs.user_id)
    assert Note.objects.get(pk=theirs.pk).text == A_NOTE
    assert Bookmark.objects.filter(user__username="ada").count() == 1
    assert not Note.objects.filter(user__username="ben").exists()


def test_the_admin_does_not_show_notes(admin_client, ada, case):
    write_note(ada, case, A_NOTE)
    assert admin_client.get("/admin/study/note/").status_code == 404
    assert "recheck the conus" not in admin_client.get("/admin/").content.decode()


def test_signed_in_pages_are_private(ada, client, case):
    for url in ("/", case.get_absolute_url(), "/bookmarks/"):
        assert "private" in ada.get(url)["Cache-Control"], url
    assert "private" not in client.get(case.get_absolute_url()).get("Cache-Control", "")


# Seen and answered


def test_opening_a_case_records_the_first_visit_only(ada, case):
    ada.get(case.get_absolute_url())
    first = CaseVisit.objects.get().first_seen_at
    with CaptureQueriesContext(connection) as later:
        ada.get(case.get_absolute_url())
    assert not [q for q in later.captured_queries if not q["sql"].startswith("SELECT")]
    assert CaseVisit.objects.get().first_seen_at == first


def test_marks_show_only_for_the_resident_who_saw_or_answered(ada, ben, client):
    seen = make_case(title="Seen case")
    answered = make_case(title="Answered case")
    untouched = make_case(title="Untouched case")
    ada.get(seen.get_absolute_url())
    run = start_quiz(ada, count=3)
    position = run.questions.get(case=answered).position
    ada.post(question_url(run, position), {"answer": "Meningioma"})

    mine = cards(ada.get("/").content.decode())
    assert "Seen</span>" in mine["Seen case"] and "Answered" not in mine["Seen case"]
    assert "Answered</span>" in mine["Answered case"] and "Seen" not in mine["Answered case"]
    assert "card__marks" not in mine[untouched.title]
    assert 'aria-hidden="true"' in mine["Seen case"]  # the icon is decoration; the word is read
    for other in (ben, client):
        assert "card__marks" not in other.get("/").content.decode()


@pytest.mark.parametrize("size", [1, 30])
def test_signed_in_list_costs_one_query_more_than_the_cached_page(ada, django_assert_num_queries, settings, size):
    settings.CASES_PER_PAGE = 60
    cases = [make_case() for _ in range(size)]
    for case in cases:
        ada.get(case.get_absolute_url())
    ada.get("/")
    # The content version, the session, the user, then the marks of the page's cases; and, for every
    # signed-in page of the list, whether the user teaches (the menu) and their open assignments (none).
    with django_assert_num_queries(6):
        html = ada.get("/").content.decode()
    assert html.count("Seen</span>") == size


# Related cases


@pytest.fixture
def family():
    """A case, two sharing its final diagnosis, one whose differential holds it, one unrelated, one draft."""
    return {
        "this": make_case(title="This case", final="Schwannoma", differentials=("Meningioma",)),
        "same": make_case(title="Zed same final", final="Schwannoma", differentials=()),
        "same2": make_case(title="Yak same final", final="Schwannoma", differentials=("Ependymoma",)),
        "alt": make_case(title="Alpha holds it as an alternative", final="Ependymoma", differentials=("Schwannoma",)),
        "theirs": make_case(title="Beta is our alternative", final="Meningioma", differentials=()),
        "other": make_case(title="Unrelated case", final="Tuberculous spondylitis", differentials=()),
        "draft": make_case(title="Draft same final", final="Schwannoma", differentials=(), status=Case.Status.DRAFT),
    }


def related_titles(html):
    if 'id="related-heading"' not in html:
        return None
    section = html[html.index('id="related-heading"') :]
    return re.findall(r"<li><a [^>]+>(.*?)</a></li>", section[: section.index("</section>")])


def test_related_cases_appear_after_the_reveal_only(client, family):
    this = family["this"]
    assert related_titles(client.get(this.get_absolute_url()).content.decode()) is None
    assert "Zed same final" not in client.get(this.get_absolute_url()).content.decode()
    assert related_titles(client.get(this.get_answer_url()).content.decode()) == [
        "Yak same final",
        "Zed same final",
        "Alpha holds it as an alternative",
        "Beta is our alternative",
    ]


def test_drafts_are_never_related_even_when_staff_rendered_the_page_first(admin_client, client, family):
    assert "Draft same final" not in admin_client.get(family["this"].get_answer_url()).content.decode()
    assert "Draft same final" not in client.get(family["this"].get_answer_url()).content.decode()


def test_at_most_six_related_cases(client):
    this = make_case(final="Schwannoma", differentials=())
    for n in range(8):
        make_case(title=f"Sibling {n}", final="Schwannoma", differentials=())
    assert len(related_titles(client.get(this.get_answer_url()).content.decode())) == 6


@pytest.mark.parametrize("size", [1, 12])
def test_answer_page_query_count_does_not_grow(client, django_assert_num_queries, size):
    this = make_case(final="Schwannoma", differentials=())
    for n in range(size):
        make_case(title=f"Sibling {n}", final="Schwannoma", differentials=())
    # The content version, the shell, the case with its spans, findings, image series,
    # differentials and references, then the related cases (those sharing the final diagnosis,
    # those linked through a differential: two queries, with EXISTS): 10; and the previous and next
    # case in the list (the case's place, the previous, the next): 13.
    with CaptureQueriesContext(connection) as first:
        client.get(this.get_answer_url())
    assert sum("EXISTS" in q["sql"] for q in first.captured_queries) == 2
    assert len(first.captured_queries) == 13
    other = make_case(final="Schwannoma", differentials=())  # a new version: everything is rendered again
    with django_assert_num_queries(13):
        client.get(other.get_answer_url())
    with django_assert_num_queries(1):  # cached: the version only
        client.get(other.get_answer_url())


@pytest.mark.parametrize("size", [1, 20])
def test_bookmarks_page_query_count_does_not_grow(ada, django_assert_num_queries, size):
    for _ in range(size):
        case = make_case()
        bookmark(ada, case)
        write_note(ada, case, "A note")
    # The session, the user, the bookmarks, the notes, whether the user teaches (the menu).
    with django_assert_num_queries(5):
        html = ada.get("/bookmarks/").content.decode()
    assert html.count("A note") == size


@pytest.mark.parametrize("size", [1, 20])
def test_signed_in_case_page_adds_four_queries(ada, client, django_assert_num_queries, size):
    for _ in range(size):
        make_case()
    case = Case.objects.first()
    client.get(case.get_absolute_url())  # caches the shell, the presentation and the neighbours
    with django_assert_num_queries(1):
        client.get(case.get_absolute_url())
    ada.get(case.get_absolute_url())
    # The version, the session and the user, the visit (read: already recorded), the bookmark, the note,
    # whether the user teaches (the menu).
    with django_assert_num_queries(7):
        ada.get(case.get_absolute_url())


# Markup


def test_signed_in_study_pages_are_valid_html(ada, case, tmp_path):
    from .markup import assert_valid_html

    make_case(title="Another woman with leg heaviness")
    bookmark(ada, case)
    write_note(ada, case, "Line one\nline <two>")
    ada.get(case.get_absolute_url())
    run = start_quiz(ada, count=2)
    for n in (1, 2):
        ada.post(question_url(run, n), {"answer": "Meningioma"})
    pages = [
        ("list-with-marks", ada.get("/")),
        ("case-signed-in", ada.get(case.get_absolute_url() + "?list=sort%3D-age")),
        ("answer-signed-in", ada.get(case.get_answer_url())),
        ("bookmarks", ada.get("/bookmarks/")),
        ("bookmarks-empty", signed_in("cy").get("/bookmarks/")),
        ("note-error", write_note(ada, case, "x" * 5001)),
        ("finished-run-reveal", ada.get(question_url(run, 2) + "reveal/")),
    ]
    assert [name for name, r in pages if r.status_code != 200] == []
    assert_valid_html(pages, tmp_path)


def test_a_finished_runs_answers_link_to_each_other(ada):
    for _ in range(3):
        make_case()
    run = start_quiz(ada, count=3)
    ada.post(question_url(run, 1), {"answer": "Meningioma"})
    assert 'rel="next"' not in ada.get(question_url(run, 1) + "reveal/").content.decode()  # not finished yet
    for n in (2, 3):
        ada.post(question_url(run, n), {"answer": "Meningioma"})
    middle = ada.get(question_url(run, 2) + "reveal/").content.decode()
    assert (
        f'rel="prev" data-neighbour="prev" aria-keyshortcuts="k ArrowLeft" href="/quiz/{run.token}/1/reveal/"' in middle
    )
    assert (
        f'rel="next" data-neighbour="next" aria-keyshortcuts="j ArrowRight" href="/quiz/{run.token}/3/reveal/"'
        in middle
    )
    last = ada.get(question_url(run, 3) + "reveal/").content.decode()
    assert 'rel="next"' not in last and 'rel="prev"' in last


@pytest.mark.parametrize("page", ["detail", "answer"])
def test_the_forms_carry_a_working_csrf_token(case, page):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("eve"))
    html = client.get(case.get_absolute_url() if page == "detail" else case.get_answer_url()).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) >= 2
    assert bookmark(client, case, csrfmiddlewaretoken=tokens[0]).status_code == 302
    assert write_note(client, case, "kept", csrfmiddlewaretoken=tokens[1]).status_code == 302
    assert Bookmark.objects.filter(case=case).exists() and Note.objects.get().text == "kept"
