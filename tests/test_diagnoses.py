"""The diagnosis vocabulary: entity pages that spoil no case, and the cases behind a deliberate second step."""

import re

import pytest
from django.contrib.auth.models import User

from cases.models import Case

from .factories import make_case, make_diagnosis, make_primary

pytestmark = pytest.mark.django_db


def test_vocabulary_lists_every_entry(client):
    make_diagnosis("Meningioma")
    make_diagnosis("Schwannoma")
    html = client.get("/diagnoses/").content.decode()
    assert "Meningioma" in html and "Schwannoma" in html


def test_entry_page_names_no_case_and_links_to_no_case(client):
    final_case = make_case(final="Meningioma", differentials=("Schwannoma",))
    other_case = make_case(final="Schwannoma", differentials=("Meningioma",))
    response = client.get("/diagnoses/meningioma/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Summary of Meningioma." in html
    for case in (final_case, other_case):
        assert case.title not in html and case.slug not in html
    assert re.findall(r"/cases/[\w-]+", html) == []
    # The one way on to the cases is a plain link, which nothing fetches ahead of time.
    assert '<a class="button" href="/diagnoses/meningioma/cases/" rel="nofollow">' in html
    assert "prefetch" not in html and "prerender" not in html


def test_answer_page_links_its_differentials_to_entity_pages_that_spoil_nothing(client):
    case = make_case(final="Meningioma", differentials=("Schwannoma",))
    other = make_case(final="Schwannoma", differentials=())
    answer = client.get(case.get_answer_url()).content.decode()
    assert 'href="/diagnoses/schwannoma/"' in answer
    assert other.title not in client.get("/diagnoses/schwannoma/").content.decode()


def test_second_step_lists_cases_where_it_is_final_or_differential_but_no_draft(client):
    final_case = make_case(final="Meningioma", differentials=("Schwannoma",))
    other_case = make_case(final="Schwannoma", differentials=("Meningioma",))
    make_case(title="Draft with meningioma", final="Meningioma", differentials=(), status=Case.Status.DRAFT)
    response = client.get("/diagnoses/meningioma/cases/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert html.index("give away the answers") < html.index(final_case.title)
    final_section, differential_section = html.split("In the differential of")
    assert final_case.title in final_section and other_case.title in differential_section
    assert "Draft with meningioma" not in html


@pytest.mark.parametrize("empty", [None, ""])
def test_the_second_step_orders_cases_by_the_title_it_shows_as_the_list_does(client, empty):
    """On the French page an untranslated case shows its English title, and sits by it among the
    others, on every database (not first on SQLite and last on PostgreSQL)."""
    for title_en, title_fr in [
        ("Alpha: woman with back pain", "A : femme avec dorsalgie"),
        ("Bravo: man with numb feet", empty),
        ("Charlie: woman with weak legs", "C : femme aux jambes faibles"),
    ]:
        make_case(title=title_en, title_fr=title_fr, final="Meningioma", differentials=("Schwannoma",))
    html = client.get("/fr/diagnoses/meningioma/cases/").content.decode()
    shown = [html.index(title) for title in ("A : femme", "Bravo: man", "C : femme")]
    assert shown == sorted(shown)


def test_entries_only_drafts_use_are_hidden_from_residents_but_not_from_staff(client):
    make_case(final="Meningioma", differentials=())
    make_case(
        title="A case still being written",
        final="Chordoma",
        differentials=("Giant cell tumour",),
        primary="Thyroid carcinoma",
        status=Case.Status.DRAFT,
    )
    make_diagnosis("Metastasis")  # a broader term no case uses yet gives nothing away
    listing = client.get("/diagnoses/").content.decode()
    assert "Meningioma" in listing and "Metastasis" in listing
    assert "Chordoma" not in listing and "Giant cell tumour" not in listing
    for path in ("/diagnoses/chordoma/", "/diagnoses/chordoma/cases/", "/diagnoses/giant-cell-tumour/"):
        assert client.get(path).status_code == 404
    assert "Thyroid carcinoma" not in client.get("/").content.decode()
    assert "Thyroid carcinoma" not in client.get("/quiz/").content.decode()

    staff = User.objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(staff)
    assert "Chordoma" in client.get("/diagnoses/").content.decode()
    assert client.get("/diagnoses/chordoma/").status_code == 200
    assert "Thyroid carcinoma" in client.get("/").content.decode()


def test_an_entry_published_cases_use_stays_visible_while_a_draft_also_uses_it(client):
    make_case(final="Meningioma", differentials=())
    make_case(final="Meningioma", differentials=(), status=Case.Status.DRAFT)
    make_primary("Renal cell carcinoma")  # no case at all
    assert client.get("/diagnoses/meningioma/").status_code == 200


@pytest.mark.parametrize("size", [1, 20])
def test_vocabulary_pages_query_counts_do_not_grow(client, django_assert_num_queries, size):
    for n in range(size):
        make_case(final=f"Entity {n}", differentials=(f"Alternative {n}",))
    make_case(final="Meningioma", differentials=("Schwannoma",))
    # The entries residents may see (one query with its EXISTS tests)
    with django_assert_num_queries(1):
        assert client.get("/diagnoses/").status_code == 200
    # The entry
    with django_assert_num_queries(1):
        assert client.get("/diagnoses/meningioma/").status_code == 200
    # The entry, then its rows in visible cases with each case's title
    with django_assert_num_queries(2):
        assert client.get("/diagnoses/meningioma/cases/").status_code == 200
