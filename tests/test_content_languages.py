"""Case content in English and in French: each page reads its own language's text, a missing
translation falls back to the other with a note, search and grading work in both, the spoiler rule
holds per language, and case files carry both."""

import io
import re
import zipfile
from pathlib import Path

import pytest
import yaml
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.casefiles import export_cases, import_cases
from cases.editorial import PublishRefused, publish_case
from cases.models import Case, Diagnosis, Differential, ImagingFinding, PrimaryTumour
from imaging.archive import export_archive
from imaging.phantom import phantom_series
from imaging.services import add_series, process_series
from quiz.grading import grade_answer
from quiz.models import Attempt, QuizRun
from tests.factories import make_case
from tests.quiz_helpers import options_offered, question_url, start_quiz

pytestmark = pytest.mark.django_db

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures").glob("*.yaml"))  # demo first, then the library
NOTE_FR = "Pas encore traduit en français : affiché en anglais."
NOTE_EN = "Not yet translated into English: shown in French."
FINAL_FR = "Métastase intradurale extramédullaire"


def bilingual_case(n="", **kw):
    """A published case written in both languages, answered by an entity named in both."""
    case = make_case(
        title=f"Woman of 52 whose left leg grows heavy{n}",
        title_fr=f"Femme de 52 ans dont la jambe gauche devient lourde{n}",
        presentation="Her left leg has felt *heavier* for some weeks.",
        presentation_fr="Depuis quelques semaines, sa jambe gauche lui paraît *plus lourde*.",
        discussion="An English discussion of the deposit.",
        discussion_fr="Une discussion en français du dépôt.",
        teaching_points_fr="- Chercher un épaississement épidural.",
        management_outcome_fr="Décompression, puis radiothérapie.",
        **kw,
    )
    finding = case.findings.get()
    finding.description_fr = "Lésion rehaussée de façon hétérogène, au centre non rehaussé."
    finding.technique_fr = "T1 après injection"
    finding.save()
    for differential in case.differentials.all():
        differential.favours_fr = "Centre nécrotique."
        differential.against_fr = "Rareté."
        differential.save()
    Diagnosis.objects.filter(name_en="Intradural extramedullary metastasis").update(
        name_fr=FINAL_FR, aliases_fr="Métastase IDEM"
    )
    Diagnosis.objects.filter(name_en="Meningioma").update(name_fr="Méningiome")
    Diagnosis.objects.filter(name_en="Schwannoma").update(name_fr="Neurinome", aliases_fr="Schwannome")
    case.refresh_from_db()
    return case


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_each_language_reads_its_own_text(client):
    case = bilingual_case()
    english = page(client, f"/cases/{case.slug}/")
    french = page(client, f"/fr/cases/{case.slug}/")
    assert "Woman of 52 whose left leg grows heavy</h1>" in english and "<em>heavier</em>" in english
    assert "Femme de 52 ans dont la jambe gauche devient lourde</h1>" in french
    assert "<em>plus lourde</em>" in french and "T1 après injection" in french
    assert "heavier" not in french and "Woman of 52" not in french
    assert NOTE_FR not in french and "Not yet translated" not in english

    answer = page(client, f"/fr/cases/{case.slug}/answer/")
    assert FINAL_FR in answer and "Une discussion en français du dépôt." in answer
    assert "Centre nécrotique." in answer and "Neurinome" in answer
    assert "An English discussion" not in answer
    assert "Intradural extramedullary metastasis" in page(client, f"/cases/{case.slug}/answer/")


def test_a_missing_translation_falls_back_to_the_other_language_and_says_so(client):
    english_only = make_case(presentation="Only in *English*.")
    french = page(client, f"/fr/cases/{english_only.slug}/")
    assert NOTE_FR in french
    assert re.search(r'<div class="prose" lang="en"><p>Only in <em>English</em>.</p>', french)
    assert re.search(r'<h1 lang="en">', french)  # the title is English too, and says so to a screen reader
    assert '<span lang="en">Post-contrast T1</span>' in french  # each finding field marked on its own
    assert '<article class="finding">' in french  # not the whole finding: its labels are French

    french_only = make_case(title="Cas écrit en français", presentation="")
    Case.objects.filter(pk=french_only.pk).update(
        title_en=None, title_fr="Homme de 70 ans qui boite", presentation_en="", presentation_fr="Il *boite*."
    )
    french_only = Case.objects.get(pk=french_only.pk)
    french_only.save()  # renders each language's markdown
    english = page(client, f"/cases/{french_only.slug}/")
    assert NOTE_EN in english and '<div class="prose" lang="fr"><p>Il <em>boite</em>.</p>' in english
    assert '<h1 lang="fr">Homme de 70 ans qui boite</h1>' in english


@settings(max_examples=30, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("ab <>/\"'=*_[]()!:;&#é")) | st.characters(blacklist_categories=("Cs", "Cc")),
        max_size=80,
    )
)
def test_each_languages_markdown_is_rendered_and_sanitised_on_save(text):
    case = Case(title="Sanitised title", slug=f"sanitised-{abs(hash(text))}", presentation="x")
    case.presentation_fr = f"**gras** {text} <script>alert(1)</script> <img src=x onerror=alert(1)>"
    case.save()
    html = Case.objects.get(pk=case.pk).presentation_html_fr
    assert "<strong>gras</strong>" in html
    assert "<script" not in html and "onerror" not in html and "<img" not in html


def test_search_finds_each_languages_text_accent_blind_and_filters_count_the_same(client):
    case = bilingual_case()
    make_case(title="Another case", presentation="Nothing alike.")
    for url in ("/fr/?q=devient", "/fr/?q=LOURDÉ", "/?q=heavier", "/fr/?q=rehaussee+heterogene"):
        assert case.title_en in page(client, url) or case.title_fr in page(client, url), url
    assert "Another case" not in page(client, "/fr/?q=lourde")

    def counts(html):
        return re.findall(r'<option value="[^"]*"[^>]*>[^<]* \((\d+)\)</option>', html)

    english, french = page(client, "/?region=lumbar"), page(client, "/fr/?region=lumbar")
    assert counts(english) and counts(english) == counts(french)


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("Métastase intradurale extramédullaire", Attempt.Outcome.CORRECT),
        ("metastases intradurales extramedullaires", Attempt.Outcome.CORRECT),  # plural, no accents
        ("métastase IDEM", Attempt.Outcome.CORRECT),  # a French alias
        ("Intradural extramedullary metastasis", Attempt.Outcome.CORRECT),  # English, in either interface
        ("métastase intradurale extramédulaire", Attempt.Outcome.CLOSE),  # a typo
        ("Méningiome", Attempt.Outcome.WRONG),
    ],
)
def test_a_free_text_answer_is_graded_against_the_names_in_both_languages(text, outcome):
    bilingual_case()
    final = Diagnosis.objects.get(name_en="Intradural extramedullary metastasis")
    assert grade_answer(diagnosis=final, text=text, vocabulary=Diagnosis.objects.all()).outcome == outcome


def test_a_resident_takes_a_quiz_in_french_graded_right_and_switches_language_mid_run(client):
    bilingual_case()
    bilingual_case(" (2)")
    response = client.post("/fr/quiz/", {"count": 2, "mode": "practice", "answer_format": "free_text"})
    assert response.status_code == 302
    run = QuizRun.objects.get()
    question = page(client, f"/fr{question_url(run, 1)}")
    assert "Depuis quelques semaines" in question and "Her left leg" not in question
    client.post(f"/fr{question_url(run, 1)}", {"answer": "métastases intradurales extramédullaires"})
    # The same run goes on in English: the address differs only by its prefix.
    assert "Her left leg has felt" in page(client, question_url(run, 2))
    client.post(question_url(run, 2), {"answer": "Métastase IDEM"})
    assert list(Attempt.objects.order_by("question__position").values_list("outcome", flat=True)) == [
        Attempt.Outcome.CORRECT,
        Attempt.Outcome.CORRECT,
    ]


def test_multiple_choice_options_show_in_the_interfaces_language(client):
    bilingual_case()
    run = start_quiz(client, count=1, answer_format="multiple_choice")
    french = options_offered(client.get(f"/fr{question_url(run, 1)}"))
    english = options_offered(client.get(question_url(run, 1)))
    assert FINAL_FR in french and "Intradural extramedullary metastasis" not in french
    assert "Intradural extramedullary metastasis" in english and FINAL_FR not in english


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("title_fr", "Femme de 52 ans avec une métastase intradurale extramédullaire"),  # the French name
        ("title_fr", "Femme de 52 ans, metastase IDEM"),  # a French alias, unaccented
        ("presentation_fr", "On évoque une intradural extramedullary metastasis."),  # the English name
    ],
)
def test_publishing_refuses_a_french_presentation_that_names_the_answer(editor, field, text):
    case = bilingual_case(status=Case.Status.DRAFT)
    setattr(case, field, text)
    case.save()
    with pytest.raises(PublishRefused, match=r"\((fr)\) names"):
        publish_case(case=case, by=editor)
    assert Case.objects.get(pk=case.pk).status == Case.Status.DRAFT


def test_case_files_carry_both_languages_and_round_trip_to_the_same_bytes():
    case = bilingual_case()
    exported = export_cases()
    entries = yaml.safe_load(exported)
    case_entry = next(e for e in entries if e["model"] == "cases.case")
    assert case_entry["fields"]["title"] == case.title_en
    assert case_entry["fields"]["title_fr"] == case.title_fr
    assert "title_en" not in exported and "_html" not in exported
    assert "proof_details_fr" not in case_entry["fields"]  # empty French is left out, not written as null
    Case.objects.all().delete()
    Diagnosis.objects.all().delete()
    import_cases(text=exported)
    assert export_cases() == exported
    imported = Case.objects.get(slug=case.slug)
    french = "<p>Depuis quelques semaines, sa jambe gauche lui paraît <em>plus lourde</em>.</p>"
    assert imported.presentation_html_fr == french


def test_a_case_file_whose_french_names_the_answer_is_refused_whole():
    bilingual_case()
    exported = export_cases()
    Case.objects.all().delete()
    spoiled = exported.replace("title_fr: Femme de 52 ans", "title_fr: Métastase IDEM chez une femme de 52 ans")
    assert spoiled != exported
    with pytest.raises(Exception, match=r"title \(fr\)"):
        import_cases(text=spoiled)
    assert not Case.objects.exists()


def test_the_admin_edits_both_languages_side_by_side(editor_client):
    case = bilingual_case()
    html = editor_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    for field in ("title", "presentation", "discussion"):  # one row, the two languages' boxes side by side
        assert f'class="form-row field-{field}_en field-{field}_fr"' in html
    assert "Femme de 52 ans dont la jambe gauche" in html and "Woman of 52 whose left leg" in html
    assert 'name="findings-0-description_fr"' in html and 'name="differentials-0-favours_fr"' in html


@pytest.mark.parametrize("kind", ["list", "case", "answer", "question"])
def test_french_pages_cost_the_same_queries_as_english_ones(client, kind):
    case = bilingual_case()
    bilingual_case(" (2)")
    run = start_quiz(client, count=2)
    url = {
        "list": "/",
        "case": f"/cases/{case.slug}/",
        "answer": f"/cases/{case.slug}/answer/",
        "question": question_url(run, 1),
    }[kind]
    assert client.get(url).status_code == 200  # a question's first serving records when it was served
    counted = {}
    for prefix in ("", "/fr"):
        for cache in caches.all():  # nothing cached: each language renders and reads everything
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(prefix + url).status_code == 200
        counted[prefix or "en"] = len(queries.captured_queries)
    assert counted["en"] == counted["/fr"]


def test_image_captions_are_written_in_both_languages_and_travel_in_archives(client):
    case = bilingual_case()
    series = add_series(
        finding=case.findings.get(),
        files=phantom_series(frames=2, size=32, plant=False),
        caption="Sagittal T1",
        caption_fr="T1 sagittale",
        answer_caption="The lesion at L1.",
        answer_caption_fr="La lésion en L1.",
    )
    process_series(series.pk)
    french = page(client, f"/fr/cases/{case.slug}/answer/")
    assert "T1 sagittale" in french and "La lésion en L1." in french and "The lesion at L1." not in french
    assert "Sagittal T1" in page(client, f"/cases/{case.slug}/")
    manifest = yaml.safe_load(zipfile.ZipFile(io.BytesIO(export_archive())).read("images.yaml"))
    assert (manifest[0]["caption"], manifest[0]["caption_fr"]) == ("Sagittal T1", "T1 sagittale")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("métastase intramédullaire", "intramedullary-spinal-cord-metastasis"),
        ("spondylodiscite", "infectious-spondylodiscitis"),
        ("métastases osseuses", "vertebral-metastasis"),
        ("mal de Pott", "tuberculous-spondylitis"),
        ("neurinome", "schwannoma"),
        ("SEP", "multiple-sclerosis"),
    ],
)
def test_the_vocabulary_grades_french_answers_a_teacher_would_mark_right(text, slug):
    call_command("loaddata", *map(str, FIXTURES), verbosity=0)
    diagnosis = Diagnosis.objects.get(slug=slug)
    grade = grade_answer(diagnosis=diagnosis, text=text, vocabulary=Diagnosis.objects.all())
    assert grade.outcome == Attempt.Outcome.CORRECT, (text, diagnosis.names())


def test_every_case_and_entry_of_the_demo_and_the_library_is_written_in_french():
    call_command("loaddata", *map(str, FIXTURES), verbosity=0)
    missing = []
    for model, fields in (
        (Case, ("title", "presentation", "proof_details", "discussion", "teaching_points", "management_outcome")),
        (ImagingFinding, ("technique", "signal", "enhancement", "description")),
        (Differential, ("favours", "against")),
        (Diagnosis, ("name", "aliases", "summary", "distinguishing_features")),
        (PrimaryTumour, ("name",)),
    ):
        for row in model.objects.all():
            missing += [
                f"{model.__name__} {row.pk}: {field}"
                for field in fields
                if getattr(row, f"{field}_en") and not getattr(row, f"{field}_fr")
            ]
    assert missing == []


def test_a_case_file_without_french_keeps_the_french_already_written():
    """A file written before French arrived (or by an English-only tool) updates the English and
    leaves the French as it was: importing never erases a translation it does not mention."""
    case = bilingual_case()
    entries = yaml.safe_load(export_cases())
    for entry in entries:
        entry["fields"] = {name: value for name, value in entry["fields"].items() if not name.endswith("_fr")}
    english_only = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    assert "_fr:" not in english_only
    english_only = english_only.replace("Her left leg has felt *heavier*", "Her left leg has felt *much heavier*")
    report = import_cases(text=english_only)
    assert report.updated == [case.slug]
    case = Case.objects.get(pk=case.pk)
    assert case.presentation_en.startswith("Her left leg has felt *much heavier*")
    assert case.title_fr == "Femme de 52 ans dont la jambe gauche devient lourde"
    assert case.presentation_html_fr.startswith("<p>Depuis quelques semaines")
    assert case.findings.get().description_fr.startswith("Lésion rehaussée")
    assert set(case.differentials.values_list("favours_fr", flat=True)) == {"Centre nécrotique."}
    assert Diagnosis.objects.get(name_en="Schwannoma").name_fr == "Neurinome"
