"""The case before the reveal, and the answer page."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case

from .factories import make_case

pytestmark = pytest.mark.django_db

SPOILERS = (
    "Intradural extramedullary metastasis",
    "IDEM metastasis",
    "Meningioma",
    "Schwannoma",
    "Drop metastases spread",
    "Look for epidural thickening",
    "Decompression, then radiotherapy",
    "spoiler-bearing citation",
    "Necrotic centre and epidural thickening",
)


@pytest.fixture
def case():
    return make_case(
        title="52-year-old woman with progressive left leg heaviness",
        presentation="Known breast cancer; **left leg** heaviness for weeks.",
        discussion="Drop metastases spread along the leptomeninges.",
    )


def test_pre_reveal_page_shows_the_presentation_and_a_reveal_link(client, case):
    response = client.get(case.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>52-year-old woman with progressive left leg heaviness · Casebook</title>" in html
    assert "<strong>left leg</strong>" in html
    assert "A heterogeneously enhancing lesion" in html
    assert f'href="{case.get_answer_url()}"' in html and "Reveal diagnosis" in html


def test_pre_reveal_page_contains_nothing_from_the_answer(client, case):
    html = client.get(case.get_absolute_url()).content.decode()
    for spoiler in SPOILERS:
        assert spoiler not in html
    assert "10.1000/test" not in html and "pubmed" not in html.lower()


def test_pre_reveal_page_does_not_even_read_the_answer_from_the_database(client, case):
    with CaptureQueriesContext(connection) as ctx:
        client.get(case.get_absolute_url())
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "discussion" not in sql and "teaching_points" not in sql
    assert "cases_differential" not in sql and "cases_reference" not in sql


def test_answer_page_shows_diagnosis_differential_discussion_and_references(client, case):
    response = client.get(case.get_answer_url())
    html = response.content.decode()
    assert response.status_code == 200
    for expected in SPOILERS[:1] + SPOILERS[2:]:
        assert expected in html
    assert "Proven by:</strong> Histology" in html
    assert 'href="https://doi.org/10.1000/test.' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/1000' in html
    assert 'id="answer-heading"' in html


def test_unknown_slug_is_a_404_in_the_sites_look(client):
    response = client.get("/cases/no-such-case/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client.get("/cases/no-such-case/answer/").status_code == 404
    assert client.get("/diagnoses/no-such-entity/").status_code == 404


def test_a_draft_is_a_404_for_residents_and_visible_to_staff(client, case):
    draft = make_case(title="Draft case", status=Case.Status.DRAFT)
    resident = User.objects.create_user("resident", password="pw-resident-1")
    editor = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    for url in (draft.get_absolute_url(), draft.get_answer_url()):
        assert client.get(url).status_code == 404
        client.force_login(resident)
        assert client.get(url).status_code == 404
        client.force_login(editor)
        response = client.get(url)
        assert response.status_code == 200
        assert "Draft preview" in response.content.decode()
        client.logout()


def test_only_get_and_head_are_allowed(client, case):
    assert client.post(case.get_absolute_url()).status_code == 405
    assert client.head(case.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("page", ["detail", "answer"])
def test_saving_a_case_shows_on_its_cached_pages_at_once(client, case, page):
    url = case.get_absolute_url() if page == "detail" else case.get_answer_url()
    assert "<strong>left leg</strong> heaviness" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    assert len(cached.captured_queries) == 1  # the content version; the rest is cached
    case.presentation = "Sudden weakness of both legs."
    case.save()
    html = client.get(url).content.decode()
    assert "Sudden weakness of both legs." in html and "<strong>left leg</strong>" not in html


def test_renaming_a_diagnosis_shows_on_the_cached_answer_page_at_once(client, case):
    assert "Intradural extramedullary metastasis" in client.get(case.get_answer_url()).content.decode()
    diagnosis = case.final_differential().diagnosis
    diagnosis.name = "Intradural extramedullary deposit"
    diagnosis.save()
    html = client.get(case.get_answer_url()).content.decode()
    assert "Intradural extramedullary deposit" in html and "Intradural extramedullary metastasis" not in html


@pytest.mark.parametrize("page", ["detail", "answer"])
def test_case_page_query_count_does_not_grow_with_cases(client, page):
    # detail: the content version (the cache key), the case's title and status, then the case
    # with its primary, level spans, findings, the findings' image series (6). answer: the same
    # plus differentials with diagnoses, references (8). Then the study tools: on both pages the
    # case's place in the list and its previous and next case (+3), on the answer page the related
    # cases (+2: those sharing the final diagnosis, then those linked through a differential). All
    # but the version is then cached until the next edit (see above). With images, frames and their
    # files add two (tests/test_images.py).
    expected = {"detail": 9, "answer": 13}[page]
    first = make_case()
    url = first.get_absolute_url() if page == "detail" else first.get_answer_url()
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(49):
        make_case(findings=[{}, {"modality": "ct"}, {"modality": "pet"}], differentials=("A", "B", "C", "D"))
    big = make_case(findings=[{}, {"modality": "ct"}, {"modality": "pet"}], differentials=("A", "B", "C", "D"))
    url = big.get_absolute_url() if page == "detail" else big.get_answer_url()
    with CaptureQueriesContext(connection) as fifty:
        assert client.get(url).status_code == 200
    assert len(one.captured_queries) == len(fifty.captured_queries) == expected


@pytest.mark.parametrize("page", ["detail", "answer"])
def test_a_draft_previewed_by_staff_stays_hidden_from_residents(client, admin_client, page):
    draft = make_case(status=Case.Status.DRAFT)
    url = draft.get_absolute_url() if page == "detail" else draft.get_answer_url()
    assert admin_client.get(url).status_code == 200  # staff preview, now cached
    assert client.get(url).status_code == 404


def test_unpublishing_a_cached_case_hides_it_at_once(client, case):
    assert client.get(case.get_answer_url()).status_code == 200
    case.status = Case.Status.DRAFT
    case.save()
    assert client.get(case.get_absolute_url()).status_code == 404
    assert client.get(case.get_answer_url()).status_code == 404
