"""Renaming a diagnosis, adding an alias, merging entries or importing a vocabulary file re-checks the
published cases the entry answers: an edit that would make one name its answer is refused, nothing saved."""

import pytest
from django.core.management import CommandError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.models import Case, Diagnosis
from tests.admin_html import field_texts
from tests.factories import make_case, make_diagnosis
from tests.test_case_files import database, import_file, write

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:cases_diagnosis_changelist")


def diagnosis_post(diagnosis, **changes):
    return {
        "name_en": diagnosis.name,
        "slug": diagnosis.slug,
        "aliases_en": diagnosis.aliases,
        "broader": "",
        "summary_en": diagnosis.summary,
        "distinguishing_features_en": "",
        **changes,
    }


@pytest.fixture
def hidden_answer():
    """A published case answered by 'Spinal epidural abscess' whose presentation mentions an epidural collection."""
    return make_case(
        title="Man with fever and back pain",
        final="Spinal epidural abscess",
        final_aliases="SEA",
        presentation="Fever, then an epidural collection on the outside scan.",
        presentation_fr="De la fièvre, puis une collection épidurale sur l'imagerie faite ailleurs.",
        differentials=(),
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("aliases_en", "SEA\nEpidural collection"),  # a new alias the presentation already uses
        ("name_en", "Epidural collections"),  # a rename, in the plural
        ("aliases_fr", "Collection épidurale"),  # a French alias the French presentation already uses
        ("name_fr", "Collections epidurales"),  # a French name, plural, typed without accents
    ],
)
def test_a_vocabulary_edit_that_would_spoil_a_published_case_is_refused_listing_the_case(
    editor_client, hidden_answer, field, value
):
    diagnosis = Diagnosis.objects.get(name="Spinal epidural abscess")
    url = reverse("admin:cases_diagnosis_change", args=[diagnosis.pk])

    response = editor_client.post(url, diagnosis_post(diagnosis, **{field: value}))

    assert response.status_code == 200
    (row,) = field_texts(response.text, field)
    where = "presentation (fr)" if field.endswith("_fr") else "presentation"
    assert f"would give the answer away in published cases: “Man with fever and back pain” ({where} names" in row
    diagnosis.refresh_from_db()
    assert diagnosis.name == "Spinal epidural abscess" and diagnosis.aliases == "SEA"


def test_an_alias_no_published_case_uses_is_saved(editor_client, hidden_answer):
    diagnosis = Diagnosis.objects.get(name="Spinal epidural abscess")
    url = reverse("admin:cases_diagnosis_change", args=[diagnosis.pk])
    assert editor_client.post(url, diagnosis_post(diagnosis, aliases_en="SEA\nEpidural abscess")).status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.alias_list() == ["SEA", "Epidural abscess"]


def test_a_merge_that_would_spoil_a_published_case_is_refused_and_nothing_is_merged(editor_client, hidden_answer):
    keep = Diagnosis.objects.get(name="Spinal epidural abscess")
    other = make_diagnosis("Epidural collection")
    selected = {"action": "merge", "_selected_action": [keep.pk, other.pk], "post": "yes", "keep": keep.pk}

    response = editor_client.post(CHANGELIST, selected, follow=True)

    assert "Nothing was merged" in response.text
    assert "“Man with fever and back pain” (presentation names “Epidural collection”)" in response.text
    assert Diagnosis.objects.filter(pk=other.pk).exists()
    keep.refresh_from_db()
    assert keep.aliases == "SEA"


def test_a_file_holding_only_a_diagnosis_that_would_spoil_a_published_case_is_refused(tmp_path, hidden_answer):
    data = [
        {
            "model": "cases.diagnosis",
            "fields": {
                "name": "Spinal epidural abscess",
                "slug": "spinal-epidural-abscess",
                "aliases": "SEA\nEpidural collection",
                "summary": "Summary of Spinal epidural abscess.",
            },
        }
    ]
    before = database()

    with pytest.raises(CommandError) as refused:
        import_file(write(tmp_path, data))

    assert (
        "diagnosis spinal-epidural-abscess: its names would give away the published case "
        f"{hidden_answer.slug} (“Man with fever and back pain”): presentation names “Epidural collection”"
    ) in str(refused.value)
    assert database() == before


def test_importing_a_changed_diagnosis_reports_it_updated_and_an_unchanged_one_unchanged(tmp_path):
    make_diagnosis("Meningioma", summary="Old summary.")
    make_diagnosis("Schwannoma", summary="Summary of Schwannoma.")
    data = [
        {"model": "cases.diagnosis", "fields": {"name": "Meningioma", "slug": "meningioma", "summary": "New."}},
        {
            "model": "cases.diagnosis",
            "fields": {"name": "Schwannoma", "slug": "schwannoma", "summary": "Summary of Schwannoma."},
        },
    ]
    path = write(tmp_path, data)

    dry = import_file(path, "--dry-run")
    assert "updated: diagnosis meningioma" in dry and "unchanged: diagnosis schwannoma" in dry
    assert Diagnosis.objects.get(slug="meningioma").summary == "Old summary."

    import_file(path)
    assert Diagnosis.objects.get(slug="meningioma").summary == "New."


# The merge action posts ids: junk must be a message, never a server error ------------------------------

JUNK = ["abc", "", "1.5", "-1", "1e3", "²", " 1", "1; DROP TABLE", "9" * 40, "０"]


@pytest.mark.parametrize("junk", JUNK)
def test_a_merge_with_a_junk_id_to_keep_explains_and_merges_nothing(editor_client, junk):
    first, second = make_diagnosis("Meningioma"), make_diagnosis("Meningiomatosis")
    response = editor_client.post(
        CHANGELIST, {"action": "merge", "_selected_action": [first.pk, second.pk], "post": "yes", "keep": junk}
    )
    assert response.status_code == 200
    assert "Choose one of the selected entries to keep." in response.text
    assert Diagnosis.objects.count() == 2


@settings(max_examples=40, deadline=None)
@given(junk=st.text(max_size=30).filter(lambda value: not value.isascii() or not value.isdigit()))
def test_junk_selected_ids_never_give_a_server_error(junk):
    from django.contrib.auth.models import User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="boss", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    first = make_diagnosis("Meningioma")
    for data in (
        {"action": "merge", "_selected_action": [first.pk, junk]},
        {"action": "merge", "_selected_action": [first.pk], "post": "yes", "keep": junk},
    ):
        response = client.post(CHANGELIST, data, follow=True)
        assert response.status_code == 200
    assert Diagnosis.objects.filter(pk=first.pk).exists()
    assert not Case.objects.exists()
