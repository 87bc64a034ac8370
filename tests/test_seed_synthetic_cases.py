import pytest
from django.core.management import call_command

from cases.models import (
    Case,
    ContentVersion,
    Diagnosis,
    Differential,
    ImagingFinding,
    LevelSpan,
    PrimaryTumour,
    Reference,
    refresh_case_index,
)

from .factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_synthetic_cases", 30, verbosity=0)
    return Case.objects.filter(is_synthetic=True)


def test_seeds_the_requested_number_of_published_marked_cases(seeded):
    real = make_case(title="A real teaching case")
    assert seeded.count() == 30
    assert seeded.published().count() == 30
    assert all(title.startswith("[Synthetic] ") for title in seeded.values_list("title", flat=True))
    assert not Case.objects.get(pk=real.pk).is_synthetic


def test_each_case_has_spans_findings_one_final_a_differential_and_a_source(seeded):
    for case in seeded.prefetch_related("level_spans", "findings", "differentials", "references"):
        assert 1 <= len(case.level_spans.all()) <= 2
        assert 2 <= len(case.findings.all()) <= 4
        assert [d.is_final for d in case.differentials.all()].count(True) == 1
        assert len(case.differentials.all()) == 3
        assert [r.is_source for r in case.references.all()] == [True]
    assert LevelSpan.objects.count() >= 30 and ImagingFinding.objects.count() >= 60
    assert Differential.objects.count() == 90 and Reference.objects.count() == 30


def test_synthetic_vocabulary_never_passes_for_the_real_one(seeded):
    used = Diagnosis.objects.filter(differentials__case__in=seeded).distinct()
    assert used.exists() and all(d.name.startswith("Synthetic: ") for d in used)
    primaries = PrimaryTumour.objects.filter(cases__in=seeded).distinct()
    assert all(p.name.startswith("Synthetic: ") for p in primaries)


def test_derived_fields_match_what_saving_would_compute(seeded):
    fields = ("search_text", "region_mask", "level_mask", "compartment_mask", "modality_mask")
    for case in seeded[:10]:
        seeded_values = Case.objects.values(*fields).get(pk=case.pk)
        refresh_case_index(case.pk)  # what a save computes
        assert Case.objects.values(*fields).get(pk=case.pk) == seeded_values
        assert seeded_values["level_mask"] or seeded_values["region_mask"]
        assert seeded_values["modality_mask"] and seeded_values["search_text"]
    case = seeded.first()
    assert case.presentation_html.startswith("<p>") and case.discussion_html.startswith("<p>")
    assert case.findings.first().description_html.startswith("<p>")


def test_seeding_changes_the_content_version(db):
    before = ContentVersion.current()
    call_command("seed_synthetic_cases", 2, verbosity=0)
    assert ContentVersion.current() != before


def test_seeding_again_adds_more_without_clashing(seeded):
    call_command("seed_synthetic_cases", 5, verbosity=0, seed=2)
    assert Case.objects.filter(is_synthetic=True).count() == 35
    assert Diagnosis.objects.filter(name__startswith="Synthetic: ").count() == 24


def test_seeded_cases_render_on_every_page(client, seeded):
    case = seeded.first()
    listing = client.get("/", {"q": "synthetic"})
    assert listing.status_code == 200 and "30 cases match your filters" in listing.content.decode()
    assert client.get(case.get_absolute_url()).status_code == 200
    answer = client.get(case.get_answer_url()).content.decode()
    assert case.final_differential().diagnosis.name in answer
