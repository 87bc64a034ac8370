"""The extradural and intradural extramedullary library cases (and one vertebral lesion): they load after
the other files, are complete, and hide their answer."""

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from cases.models import Case, Diagnosis
from cases.text import fold

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIBRARY = FIXTURES / "library_extradural_idem.yaml"
ENTRIES = yaml.safe_load(LIBRARY.read_text(encoding="utf-8"))
SLUGS = [e["fields"]["slug"] for e in ENTRIES if e["model"] == "cases.case"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    # The library references entries of the demo and vertebral files (vertebral-metastasis, meningioma…).
    call_command(
        "loaddata",
        str(FIXTURES / "demo_cases.yaml"),
        str(FIXTURES / "library_vertebral.yaml"),
        str(LIBRARY),
        verbosity=0,
    )


def mentions(html, phrase):
    """The phrase, case- and accent-blind, in the markup or in its text (tags read as spaces, so that a
    heading and the paragraph after it do not run together)."""
    pattern = rf"(?<![a-z0-9]){re.escape(fold(phrase))}(?![a-z0-9])"
    return any(re.search(pattern, fold(text)) for text in (html, re.sub(r"<[^>]*>", " ", html)))


def test_every_source_patient_is_a_published_case_with_one_final_diagnosis_and_its_source(library):
    # Eight sources, seven cases: source 113 (an abstract) gives only its diagnosis entry.
    assert len(SLUGS) == 7
    assert set(Case.objects.published().values_list("slug", flat=True)) >= set(SLUGS)
    for case in Case.objects.filter(slug__in=SLUGS):
        assert 3 <= case.differentials.count() <= 5, case.slug
        assert case.differentials.filter(is_final=True).count() == 1, case.slug
        assert case.references.filter(is_source=True).count() == 1, case.slug


def test_no_final_diagnosis_is_metastasis(library):
    finals = Case.objects.filter(slug__in=SLUGS, differentials__is_final=True).values_list(
        "differentials__diagnosis__slug", flat=True
    )
    assert not [slug for slug in finals if "metastasis" in slug]


def test_the_new_entries_load_with_their_broader_terms(library):
    broader = {
        "spinal-epidural-abscess": "spinal-infection",
        "schwannomatosis": "schwannoma",
        "extradural-spinal-meningioma": "meningioma",
        "paget-disease-of-bone": None,
        "spontaneous-spinal-epidural-haematoma": None,
    }
    for slug, parent in broader.items():
        entry = Diagnosis.objects.get(slug=slug)
        assert (entry.broader.slug if entry.broader else None) == parent, slug
        assert entry.summary and entry.distinguishing_features and entry.compartments, slug


def test_an_age_the_source_does_not_give_once_is_left_empty_and_explained(library):
    for case in Case.objects.filter(slug__in=SLUGS, age__isnull=True):
        assert "age" in case.presentation, case.slug


@pytest.mark.parametrize("slug", SLUGS)
def test_the_case_page_names_no_diagnosis_of_the_answer_and_the_answer_page_names_them_all(client, library, slug):
    case = Case.objects.get(slug=slug)
    before = client.get(case.get_absolute_url())
    after = client.get(case.get_answer_url())
    assert before.status_code == after.status_code == 200
    before_html, after_html = before.content.decode(), after.content.decode()
    for differential in case.differentials.select_related("diagnosis"):
        names = differential.diagnosis.names() if differential.is_final else [differential.diagnosis.name]
        for name in names:
            assert not mentions(before_html, name), f"{slug}: the case page names {name!r}"
        assert mentions(after_html, differential.diagnosis.name), f"{slug}: the answer lacks {differential.diagnosis}"
    opening = " ".join(fold(case.discussion).split()[:8])
    assert not mentions(before_html, opening) and mentions(after_html, opening)
