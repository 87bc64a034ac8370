"""The teaching library (fixtures/library_*.yaml, the mimics of metastasis): every file loads after the
demo cases, every case is complete and hides its answer, and together they teach more than metastasis."""

import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils.text import slugify

from cases.anatomy import Compartment
from cases.models import Case, Diagnosis
from cases.text import fold

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIBRARY = sorted(FIXTURES.glob("library_*.yaml"))
ENTRIES = {
    path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in [FIXTURES / "demo_cases.yaml", *LIBRARY]
}
SLUGS = [e["fields"]["slug"] for path in LIBRARY for e in ENTRIES[path.name] if e["model"] == "cases.case"]
# The compartments a resident filters the library by; each must offer a fair number of cases.
MAIN_COMPARTMENTS = [
    Compartment.VERTEBRAL_BODY,
    Compartment.EXTRADURAL,
    Compartment.INTRADURAL_EXTRAMEDULLARY,
    Compartment.INTRAMEDULLARY,
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    # The demo file holds most of the vocabulary the library refers to; `make run` loads them in this order.
    call_command("loaddata", str(FIXTURES / "demo_cases.yaml"), *map(str, LIBRARY), verbosity=0)


def mentions(html, phrase):
    """The phrase, case- and accent-blind, in the markup or in its text (tags read as spaces, so that a
    heading and the paragraph after it do not run together)."""
    pattern = rf"(?<![a-z0-9]){re.escape(fold(phrase))}(?![a-z0-9])"
    return any(re.search(pattern, fold(text)) for text in (html, re.sub(r"<[^>]*>", " ", html)))


def test_the_files_define_each_entry_once_and_slugs_follow_titles():
    defined = [
        (entry["model"], entry["fields"]["slug"])
        for entries in ENTRIES.values()
        for entry in entries
        if entry["model"] in ("cases.diagnosis", "cases.primarytumour", "cases.case")
    ]
    assert len(defined) == len(set(defined)), [key for key in set(defined) if defined.count(key) > 1]
    for path in LIBRARY:
        for entry in ENTRIES[path.name]:
            if entry["model"] == "cases.case":
                assert entry["fields"]["slug"] == slugify(entry["fields"]["title"]), entry["fields"]["slug"]


def test_every_library_case_is_published_with_one_final_diagnosis_and_its_source(library):
    assert len(SLUGS) == len(set(SLUGS)) >= 20
    assert set(Case.objects.published().values_list("slug", flat=True)) >= set(SLUGS)
    for case in Case.objects.filter(slug__in=SLUGS):
        assert 3 <= case.differentials.count() <= 5, case.slug
        assert case.differentials.filter(is_final=True).count() == 1, case.slug
        assert case.references.filter(is_source=True).count() == 1, case.slug
        if case.age is None:  # a source that gives no age, or two: the presentation says so
            assert "age" in case.presentation or re.search(r"\d+ or \d+", case.title), case.slug
    for entry in Diagnosis.objects.filter(differentials__is_final=True).distinct():
        assert entry.summary and entry.compartments, entry.slug  # every answer has its entity page


def test_no_library_case_is_answered_by_a_metastasis(library):
    finals = Case.objects.filter(slug__in=SLUGS, differentials__is_final=True).values_list(
        "differentials__diagnosis__slug", flat=True
    )
    assert not [slug for slug in finals if "metastasis" in slug]


def test_the_library_teaches_more_than_metastasis_in_every_compartment(client, library):
    published = Case.objects.published().filter(is_synthetic=False)
    finals = published.filter(differentials__is_final=True).values_list("differentials__diagnosis__slug", flat=True)
    not_metastasis = [slug for slug in finals if "metastasis" not in slug]
    assert published.count() >= 28
    assert len(not_metastasis) >= 0.4 * published.count()
    for compartment in MAIN_COMPARTMENTS:
        html = client.get("/", {"compartment": compartment.value}).content.decode()
        shown = re.search(r"(\d+) cases? match your filters", html)
        assert shown and int(shown.group(1)) >= 4, (compartment, shown and shown.group(0))


def test_no_case_page_names_a_diagnosis_of_its_answer_and_every_answer_page_names_them_all(client, library):
    """In both languages: the French case page names no name of the answer in either language, and
    the French answer page names every entity of the differential in French (or English, untranslated)."""
    problems = []
    for case in Case.objects.filter(slug__in=SLUGS).prefetch_related("differentials__diagnosis"):
        for prefix, language in (("", "en"), ("/fr", "fr")):
            before = client.get(f"{prefix}/cases/{case.slug}/")
            after = client.get(f"{prefix}/cases/{case.slug}/answer/")
            assert before.status_code == after.status_code == 200, case.slug
            before_html, after_html = unescape(before.content.decode()), unescape(after.content.decode())
            for differential in case.differentials.all():
                diagnosis = differential.diagnosis
                shown = getattr(diagnosis, f"name_{language}") or diagnosis.name_en
                names = diagnosis.names() if differential.is_final else [shown]
                problems += [
                    f"{prefix}/cases/{case.slug}/ names {name!r}" for name in names if mentions(before_html, name)
                ]
                if not mentions(after_html, shown):
                    problems.append(f"{prefix}/cases/{case.slug}/answer/ lacks {shown}")
            discussion = getattr(case, f"discussion_{language}") or case.discussion_en
            opening = " ".join(fold(discussion).split()[:8])
            if mentions(before_html, opening) or not mentions(after_html, opening):
                problems.append(f"{prefix}/cases/{case.slug}/: the discussion is not on the answer side only")
    assert problems == []


def test_every_row_of_the_demo_and_the_library_passes_the_models_own_checks(library):
    """What loaddata does not check (lengths, choices, validators), in both languages: PostgreSQL
    refuses a title or a proof line longer than its column, where SQLite would keep it."""
    from django.apps import apps
    from django.core.exceptions import ValidationError

    problems = []
    for model in apps.get_app_config("cases").get_models():
        if model._meta.model_name in ("contentversion", "formerslug"):
            continue
        for row in model.objects.all():
            try:
                row.full_clean()
            except ValidationError as exc:
                problems.append(f"{model._meta.model_name} {row.pk}: {exc.message_dict}")
    assert problems == []
