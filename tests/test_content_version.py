"""Every kind of case content, saved or deleted, shows on the very next request of the cached pages that show it."""

import pytest

from cases.anatomy import Level
from cases.models import Differential, ImagingFinding, LevelSpan, Reference

from .factories import make_case, make_diagnosis

pytestmark = pytest.mark.django_db


def seen(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def case(client):
    case = make_case(
        levels=((Level.L1, Level.L1), (Level.T4, Level.T4)),
        findings=[{"description": "First finding."}, {"description": "Second finding."}],
        differentials=("Meningioma", "Schwannoma"),
    )
    Reference.objects.create(case=case, order=2, citation="A second reference worth reading.")
    for url in ("/", case.get_absolute_url(), case.get_answer_url()):
        seen(client, url)  # now cached
    return case


def test_a_case_saved_shows_everywhere(client, case):
    case.title = "A renamed presentation of leg heaviness"
    case.save()
    for url in ("/", case.get_absolute_url(), case.get_answer_url()):
        assert case.title in seen(client, url)


def test_a_level_span_saved_or_deleted_shows_on_the_list_and_the_case(client, case):
    span = case.level_spans.get(order=2)
    span.first_level = span.last_level = Level.C5
    span.save()
    assert "(L1, C5)" in seen(client, "/") and "<figcaption>L1, C5</figcaption>" in seen(
        client, case.get_absolute_url()
    )
    LevelSpan.objects.get(pk=span.pk).delete()
    assert "(L1)" in seen(client, "/") and "<figcaption>L1</figcaption>" in seen(client, case.get_absolute_url())


def test_a_finding_saved_or_deleted_shows_on_the_case_page(client, case):
    finding = case.findings.get(order=2)
    finding.description = "A rewritten second finding."
    finding.save()
    assert "A rewritten second finding." in seen(client, case.get_absolute_url())
    ImagingFinding.objects.get(pk=finding.pk).delete()
    assert "second finding" not in seen(client, case.get_absolute_url())


def test_a_differential_saved_or_deleted_shows_on_the_answer_page(client, case):
    row = case.differentials.get(diagnosis__name="Schwannoma")
    row.favours = "A freshly argued point in favour."
    row.save()
    assert "A freshly argued point in favour." in seen(client, case.get_answer_url())
    Differential.objects.get(pk=row.pk).delete()
    assert "Schwannoma" not in seen(client, case.get_answer_url())


def test_a_reference_saved_or_deleted_shows_on_the_answer_page(client, case):
    reference = case.references.get(order=2)
    reference.citation = "A corrected second reference."
    reference.save()
    assert "A corrected second reference." in seen(client, case.get_answer_url())
    Reference.objects.get(pk=reference.pk).delete()
    assert "second reference" not in seen(client, case.get_answer_url())


def test_a_diagnosis_renamed_or_deleted_shows_on_the_answer_page(client, case):
    diagnosis = make_diagnosis("Meningioma")
    diagnosis.name = "Spinal meningioma"
    diagnosis.save()
    assert "Spinal meningioma" in seen(client, case.get_answer_url())
    case.differentials.filter(diagnosis=diagnosis).delete()
    diagnosis.delete()
    assert "meningioma" not in seen(client, case.get_answer_url()).lower()


def test_a_primary_tumour_renamed_shows_on_the_list_and_the_case(client, case):
    primary = case.known_primary
    primary.name = "Invasive lobular breast carcinoma"
    primary.save()
    assert "Invasive lobular breast carcinoma" in seen(client, "/")
    assert "Invasive lobular breast carcinoma" in seen(client, case.get_absolute_url())
