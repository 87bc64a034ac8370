"""The intramedullary library cases (cord lesions and their mimics): they load, are complete, and hide their answer."""

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils.text import slugify

from cases.models import Case
from cases.text import fold

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIBRARY = FIXTURES / "library_intramedullary.yaml"
# Loaded before it: the vocabulary it references (radiation-myelitis, spinal-cord-ependymoma…).
BEFORE = [FIXTURES / "demo_cases.yaml", FIXTURES / "library_vertebral.yaml"]
SLUGS = [e["fields"]["slug"] for e in yaml.safe_load(LIBRARY.read_text(encoding="utf-8")) if e["model"] == "cases.case"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    call_command("loaddata", *map(str, BEFORE), str(LIBRARY), verbosity=0)


def mentions(html, phrase):
    """The phrase, case- and accent-blind, in the markup or in its text (tags read as spaces, so that a
    heading and the paragraph after it do not run together)."""
    pattern = rf"(?<![a-z0-9]){re.escape(fold(phrase))}(?![a-z0-9])"
    return any(re.search(pattern, fold(text)) for text in (html, re.sub(r"<[^>]*>", " ", html)))


def test_every_source_patient_is_a_published_case_with_one_final_diagnosis_and_its_source(library):
    assert len(SLUGS) == 8
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


def test_titles_make_the_slugs_and_the_file_redefines_no_entry_of_the_files_before_it():
    entries = yaml.safe_load(LIBRARY.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["model"] == "cases.case":
            assert entry["fields"]["slug"] == slugify(entry["fields"]["title"])
    earlier = {
        e["fields"]["slug"]
        for path in BEFORE
        for e in yaml.safe_load(path.read_text(encoding="utf-8"))
        if e["model"] in ("cases.diagnosis", "cases.primarytumour")
    }
    mine = {e["fields"]["slug"] for e in entries if e["model"] in ("cases.diagnosis", "cases.primarytumour")}
    assert not mine & earlier
