import pytest

from cases.models import Case

from .factories import make_case, make_diagnosis

pytestmark = pytest.mark.django_db


def test_vocabulary_lists_every_entry(client):
    make_diagnosis("Meningioma")
    make_diagnosis("Schwannoma")
    html = client.get("/diagnoses/").content.decode()
    assert "Meningioma" in html and "Schwannoma" in html


def test_entry_page_warns_then_lists_cases_where_it_is_final_or_differential(client):
    final_case = make_case(final="Meningioma", differentials=("Schwannoma",))
    other_case = make_case(final="Schwannoma", differentials=("Meningioma",))
    make_case(title="Draft with meningioma", final="Meningioma", differentials=(), status=Case.Status.DRAFT)
    response = client.get("/diagnoses/meningioma/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Spoiler" in html
    assert html.index("Spoiler") < html.index(final_case.title)
    final_section, differential_section = html.split("In the differential of")
    assert final_case.title in final_section and other_case.title in differential_section
    assert "Draft with meningioma" not in html
