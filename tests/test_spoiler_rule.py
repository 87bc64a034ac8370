"""One spoiler rule for every presentation-side field, wherever a case is written: the admin's case page,
the publish action and case files. The rule is cases.text.mentions, the grader's own matcher."""

import pytest
import yaml
from django.core.management import CommandError
from django.urls import reverse

from cases.editorial import FINDING_FIELDS
from cases.models import Case, Diagnosis
from tests.admin_html import field_texts
from tests.factories import make_case, make_diagnosis
from tests.test_admin import ADD_URL, assert_refused, case_post, publish
from tests.test_case_files import GOOD, SLUG, database, entry, import_file, write

pytestmark = pytest.mark.django_db

# The case page's final diagnosis (tests.test_admin.case_post): Vertebral metastasis, aliases Bone metastasis
# and Spinal metastasis; in French Métastase vertébrale, alias Métastases osseuses.
NAMED = [
    ("title_en", "Man with bone mets at T8"),  # an alias, abbreviated as residents write it
    ("title_en", "Man with two vertebral metastases"),  # the name, plural
    ("title_en", "Man with a metastasis, spinal, at T8"),  # an alias, its words apart only by punctuation
    ("presentation_en", "Known lung cancer; previous imaging suggested **spinal metastases**."),
    # Per language: the French text must not name it in French, nor in English.
    ("title_fr", "Homme de 61 ans avec des métastases osseuses en T8"),
    ("title_fr", "Homme de 61 ans, metastase vertebrale en T8"),  # typed without accents
    ("title_fr", "Homme de 61 ans avec une vertebral metastasis"),
    ("presentation_fr", "Cancer du poumon connu ; une imagerie antérieure évoquait une **métastase vertébrale**."),
]


@pytest.mark.parametrize(("field", "text"), NAMED)
def test_the_case_page_refuses_a_presentation_field_that_names_the_answer_next_to_that_field(
    editor_client, field, text
):
    data = case_post()
    data[field] = text

    response = editor_client.post(ADD_URL, data)

    assert_refused(response, "gives the answer away")
    (row,) = field_texts(response.text, field)
    assert "gives the answer away" in row and "a name of the final diagnosis Vertebral metastasis" in row
    assert text.replace("*", "") in response.text.replace("*", "")  # what was typed is kept


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        *((f"{name}_en", "Pattern of a bone metastasis", "Bone metastasis") for name in FINDING_FIELDS),
        *((f"{name}_fr", "Aspect de métastases osseuses", "Métastases osseuses") for name in FINDING_FIELDS),
    ],
)
def test_a_finding_that_names_the_answer_is_refused_on_that_finding_field(editor_client, name, text, named):
    data = case_post()
    data[f"findings-1-{name}"] = text

    response = editor_client.post(ADD_URL, data)

    assert_refused(response, "gives the answer away")
    rows = field_texts(response.text, name)  # the two findings, then the blank template row
    assert "gives the answer away" not in rows[0]
    assert f"gives the answer away: it names “{named}”" in rows[1]
    assert text in response.text


def test_a_typed_slug_that_names_the_answer_is_refused(editor_client):
    data = case_post()
    data["slug"] = "man-with-vertebral-metastases-at-t8"
    response = editor_client.post(ADD_URL, data)
    assert_refused(response, "The slug gives the answer away")
    assert 'value="man-with-vertebral-metastases-at-t8"' in response.text


def test_an_abbreviation_that_is_an_alias_is_a_spoiler_but_not_inside_a_longer_word(editor_client):
    net = make_diagnosis("Neuroendocrine tumour metastasis", aliases="NET")
    data = case_post(title="Man with a known NET and back pain")
    data["differentials-0-diagnosis"] = net.pk
    assert_refused(editor_client.post(ADD_URL, data), "The title gives the answer away: it names “NET”")

    data = case_post(title="Man with back pain after a NETWORK outage")
    data["differentials-0-diagnosis"] = net.pk
    assert editor_client.post(ADD_URL, data).status_code == 302


def test_changing_only_the_final_diagnosis_rechecks_the_title(editor_client):
    from tests.test_admin import change_post

    case = make_case(title="Woman with meningiomas", status=Case.Status.DRAFT, differentials=("Meningioma",))
    data = change_post(case)
    del data["differentials-0-is_final"]
    data["differentials-1-is_final"] = "on"  # Meningioma becomes the answer the title already names

    response = editor_client.post(reverse("admin:cases_case_change", args=[case.pk]), data)

    assert response.status_code == 200 and "The title gives the answer away" in response.text
    assert str(Case.objects.get().final_differential().diagnosis) == "Intradural extramedullary metastasis"


def test_a_draft_that_names_its_answer_is_not_published(editor_client):
    draft = make_case(
        title="Woman with back pain", status=Case.Status.DRAFT, findings=[{"signal": "Typical of IDEM metastases"}]
    )

    response = publish(editor_client, draft)

    assert "was not published: it gives the answer away (imaging finding 1: signal names “IDEM metastasis”" in (
        response.text
    )
    draft.refresh_from_db()
    assert draft.status == Case.Status.DRAFT and draft.published_at is None


@pytest.mark.parametrize(
    ("model", "field", "text", "line"),
    [
        ("case", "title", "Woman with IDEM mets", "case {slug}: title: contains “IDEM metastasis”"),
        (
            "case",
            "presentation",
            "Known intradural extramedullary metastases.",
            "case {slug}: presentation: contains “Intradural extramedullary metastasis”",
        ),
        (
            "case",
            "slug",
            "woman-with-idem-metastases",
            "case woman-with-idem-metastases: slug: contains “IDEM metastasis”",
        ),
        (
            "imagingfinding",
            "technique",
            "IDEM metastasis protocol",
            "case {slug}: imaging finding 1: technique: contains",
        ),
        ("imagingfinding", "signal", "as in IDEM metastases", "case {slug}: imaging finding 1: signal: contains"),
        (
            "imagingfinding",
            "enhancement",
            "like intradural-extramedullary metastasis",
            "case {slug}: imaging finding 1: enhancement: contains",
        ),
        (
            "imagingfinding",
            "description",
            "Intradural extramedullary metastases at L1.",
            "case {slug}: imaging finding 1: description: contains",
        ),
    ],
)
def test_a_case_file_that_names_the_answer_anywhere_before_the_reveal_is_refused(tmp_path, model, field, text, line):
    data = yaml.safe_load(GOOD)
    if field == "slug":
        for item in data:
            if item["model"] != "cases.case" and "case" in item["fields"]:
                item["fields"]["case"] = [text]
    entry(data, model)["fields"][field] = text
    before = database()

    with pytest.raises(CommandError) as refused:
        import_file(write(tmp_path, data))

    assert line.format(slug=SLUG) in str(refused.value)
    assert database() == before


def test_the_demo_cases_pass_the_rule(tmp_path):
    output = import_file("fixtures/demo_cases.yaml", "--dry-run")
    assert "Nothing was written" in output
    assert not Diagnosis.objects.exists()
