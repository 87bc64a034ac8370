"""The demo cases people see first: they load cleanly, and none gives its answer away early."""

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils.html import strip_tags

from cases.models import Case, Diagnosis, Differential, ImagingFinding, LevelSpan, Reference
from cases.text import fold

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "demo_cases.yaml"
ENTRIES = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
SLUGS = [e["fields"]["slug"] for e in ENTRIES if e["model"] == "cases.case"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("loaddata", str(FIXTURE), verbosity=0)


def table_counts():
    return [m.objects.count() for m in (Case, LevelSpan, ImagingFinding, Differential, Reference, Diagnosis)]


def test_all_eight_source_patients_load_as_published_cases(demo):
    assert len(SLUGS) >= 8
    assert Case.objects.published().count() == len(SLUGS)


def test_loading_the_fixture_twice_changes_nothing(demo):
    before = table_counts()
    snapshot = list(Case.objects.values_list("slug", "title", "presentation_html"))
    call_command("loaddata", str(FIXTURE), verbosity=0)
    assert table_counts() == before
    assert list(Case.objects.values_list("slug", "title", "presentation_html")) == snapshot


def test_every_case_has_one_final_diagnosis_and_a_cited_source(demo):
    for case in Case.objects.all():
        assert case.differentials.filter(is_final=True).count() == 1, case.slug
        source = case.references.get(is_source=True)
        assert source.citation.strip(), case.slug


def test_markdown_is_rendered_for_loaded_cases(demo):
    for case in Case.objects.all():
        assert case.presentation_html.startswith("<"), case.slug
        assert case.search_text, case.slug


def mentions(html, phrase):
    """The phrase, case- and accent-blind, in the markup itself or in its text with tags removed."""
    pattern = rf"(?<![a-z0-9]){re.escape(fold(phrase))}(?![a-z0-9])"
    return any(re.search(pattern, fold(text)) for text in (html, strip_tags(html)))


def answer_phrases(case):
    """What must not appear before the reveal: names, aliases, the differential, the discussion."""
    phrases = []
    for differential in case.differentials.select_related("diagnosis"):
        phrases += differential.diagnosis.names() if differential.is_final else [differential.diagnosis.name]
    discussion_words = fold(case.discussion).split()
    if discussion_words:
        phrases.append(" ".join(discussion_words[:8]))
    return phrases


@pytest.mark.parametrize("slug", SLUGS)
def test_pre_reveal_page_gives_nothing_away_and_the_answer_page_gives_it_all(client, demo, slug):
    case = Case.objects.get(slug=slug)
    before = client.get(case.get_absolute_url())
    after = client.get(case.get_answer_url())
    listing = client.get("/")
    assert before.status_code == after.status_code == 200
    before_html, after_html = before.content.decode(), after.content.decode()
    source = case.references.get(is_source=True)
    for phrase in answer_phrases(case):
        assert not mentions(before_html, phrase), f"{slug}: pre-reveal page mentions {phrase!r}"
        assert not mentions(listing.content.decode(), phrase), f"list page mentions {phrase!r}"
    for differential in case.differentials.select_related("diagnosis"):
        assert mentions(after_html, differential.diagnosis.name), f"{slug}: answer lacks {differential.diagnosis}"
    assert mentions(after_html, " ".join(fold(case.discussion).split()[:8]))
    assert source.citation[:40] not in before_html
    if source.doi:
        assert source.doi in after_html and source.doi not in before_html
    if source.pmid:
        assert f"pubmed.ncbi.nlm.nih.gov/{source.pmid}/" in after_html


def test_the_stored_filter_masks_agree_with_each_cases_own_rows(demo):
    """The list filters on masks stored on the case; checked here against the spans and findings themselves."""
    from cases.anatomy import REGION_BOUNDS, Compartment, Level, Modality, Region

    for case in Case.objects.prefetch_related("level_spans", "findings"):
        spans, findings = list(case.level_spans.all()), list(case.findings.all())
        for region in Region.values:
            low, high = REGION_BOUNDS[region]
            expected = any(
                s.region == region if s.first_level is None else s.first_level <= high and s.last_level >= low
                for s in spans
            )
            assert Case.objects.in_region(region).filter(pk=case.pk).exists() == expected, (case.slug, region)
        for level in Level.values:
            expected = any(s.first_level is not None and s.first_level <= level <= s.last_level for s in spans)
            assert Case.objects.at_level(level).filter(pk=case.pk).exists() == expected, (case.slug, level)
        for compartment in Compartment.values:
            shown = Case.objects.filter(
                pk=case.pk, compartment_mask__has_any=1 << Compartment.values.index(compartment)
            )
            assert shown.exists() == any(f.compartment == compartment for f in findings), (case.slug, compartment)
        for modality in Modality.values:
            shown = Case.objects.filter(pk=case.pk, modality_mask__has_any=1 << Modality.values.index(modality))
            assert shown.exists() == any(f.modality == modality for f in findings), (case.slug, modality)
