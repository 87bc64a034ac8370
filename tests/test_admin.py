"""The admin as the authoring tool: writing, validating, previewing, publishing and merging."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from cases.anatomy import Level
from cases.editorial import merge_diagnoses
from cases.models import Case, Diagnosis, Differential
from tests.factories import make_case, make_diagnosis

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:cases_case_add")
CHANGELIST_URL = reverse("admin:cases_case_changelist")
INLINE_PREFIXES = ("level_spans", "findings", "differentials", "references")


# The admin posts a translated field's English as `title_en`, its French as `title_fr`.
TRANSLATED = {
    "title",
    "presentation",
    "proof_details",
    "discussion",
    "teaching_points",
    "management_outcome",
    "technique",
    "signal",
    "enhancement",
    "description",
    "favours",
    "against",
}


def in_english(row):
    return {f"{name}_en" if name in TRANSLATED else name: value for name, value in row.items()}


def formset_data(prefix, rows, initial=0):
    """The management form and the rows of one inline, as the admin page would post them."""
    rows = [in_english(row) for row in rows]
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{field}": value for field, value in row.items()})
    return data


def case_post(*, title="61-year-old man with back pain and a known lung primary", **inlines):
    metastasis = make_diagnosis(
        "Vertebral metastasis",
        aliases="Bone metastasis\nSpinal metastasis",
        name_fr="Métastase vertébrale",
        aliases_fr="Métastases osseuses",
    )
    myeloma = make_diagnosis("Multiple myeloma")
    rows = {
        "level_spans": [{"order": "1", "first_level": Level.T8, "last_level": Level.T9, "region": ""}],
        "findings": [
            {
                "order": "1",
                "modality": "mri",
                "technique": "T1",
                "plane": "sagittal",
                "first_level": Level.T8,
                "last_level": Level.T8,
                "compartment": "vertebral_body",
                "description": "Diffuse low T1 signal replacing the *marrow* of T8.",
            },
            {
                "order": "",
                "modality": "ct",
                "technique": "",
                "plane": "axial",
                "first_level": "",
                "last_level": "",
                "compartment": "",
                "description": "Lytic destruction of the left pedicle.",
            },
        ],
        "differentials": [
            {"order": "1", "diagnosis": metastasis.pk, "is_final": "on", "favours": "Pedicle destruction."},
            {"order": "2", "diagnosis": myeloma.pk, "favours": "Age.", "against": "Focal, not diffuse."},
        ],
        "references": [
            {
                "order": "1",
                "is_source": "on",
                "citation": "Doe J. Spine cases. 2020.",
                "doi": "10.1000/xyz123",
                "pmid": "33522744",
            }
        ],
    }
    rows.update(inlines)
    data = in_english(
        {
            "title": title,
            "slug": "",
            "age": "61",
            "sex": "male",
            "presentation": "Six weeks of thoracic back pain.",
            "difficulty": "2",
            "proven_by": "histology",
            "source_language": "en",
            "discussion": "Pedicle involvement favours metastasis.",
        }
    )
    for prefix in INLINE_PREFIXES:
        data.update(formset_data(prefix, rows[prefix]))
    return data


def test_editor_writes_a_case_with_its_findings_differentials_and_references_on_one_page(editor_client, editor):
    response = editor_client.post(ADD_URL, case_post())

    assert response.status_code == 302, response.context["errors"] if response.context else response
    case = Case.objects.get(slug="61-year-old-man-with-back-pain-and-a-known-lung-primary")
    assert case.status == Case.Status.DRAFT
    assert case.levels_label() == "T8–T9"
    assert [(f.order, f.modality) for f in case.findings.all()] == [(1, "mri"), (2, "ct")]  # blank order goes last
    assert case.findings.get(order=1).description_html == (
        "<p>Diffuse low T1 signal replacing the <em>marrow</em> of T8.</p>"
    )
    assert str(case.final_differential().diagnosis) == "Vertebral metastasis"
    assert case.references.get().pmid == "33522744"
    assert LogEntry.objects.get(object_id=case.pk).user == editor


def assert_refused(response, message):
    assert response.status_code == 200
    assert "Please correct the" in response.text
    assert message in response.text
    assert not Case.objects.exists()


def test_a_case_without_a_final_diagnosis_is_refused_on_the_differentials_inline(editor_client):
    data = case_post()
    del data["differentials-0-is_final"]
    assert_refused(editor_client.post(ADD_URL, data), "No final diagnosis: tick “Is final”")


def test_a_case_with_two_final_diagnoses_is_refused(editor_client):
    data = case_post()
    data["differentials-1-is_final"] = "on"
    assert_refused(editor_client.post(ADD_URL, data), "Only one differential can be the final diagnosis")


def test_levels_out_of_order_are_explained_on_the_row_not_a_server_error(editor_client):
    data = case_post()
    data["level_spans-0-first_level"], data["level_spans-0-last_level"] = Level.L2, Level.L1
    assert_refused(editor_client.post(ADD_URL, data), "The first level must be at or above the last level")


@pytest.mark.parametrize(
    "title",
    [
        "Woman with a VERTEBRAL METASTASIS",  # the name, in capitals
        "Man with a spinal métastasis at T8",  # an alias, with an accent
    ],
)
def test_a_title_that_names_the_final_diagnosis_is_refused_as_a_spoiler(editor_client, title):
    assert_refused(editor_client.post(ADD_URL, case_post(title=title)), "The title gives the answer away")


def test_a_title_with_the_diagnosis_only_as_part_of_a_word_is_fine(editor_client):
    make_diagnosis("Vertebral metastasis", aliases="VM")
    response = editor_client.post(ADD_URL, case_post(title="Woman with VMA deficiency and back pain"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("doi", "https://doi.org/10.1000/xyz", "Enter a DOI such as 10.1212/CON.0000000000000926"),
        ("pmid", "PMID 3352", "A PubMed ID is a number of up to nine digits"),
    ],
)
def test_a_malformed_doi_or_pmid_is_refused_on_the_reference(editor_client, field, value, message):
    data = case_post()
    data[f"references-0-{field}"] = value
    assert_refused(editor_client.post(ADD_URL, data), message)


def change_post(case):
    """The change form of an existing case, posted back as it was loaded."""
    data = in_english(
        {
            "title": case.title,
            "slug": case.slug,
            "age": case.age or "",
            "sex": case.sex,
            "presentation": case.presentation,
            "difficulty": case.difficulty,
            "proven_by": case.proven_by,
            "source_language": case.source_language,
            "discussion": case.discussion,
            "teaching_points": case.teaching_points,
            "management_outcome": case.management_outcome,
        }
    )
    children = {
        "level_spans": [
            {
                "id": s.pk,
                "order": s.order,
                "first_level": s.first_level or "",
                "last_level": s.last_level or "",
                "region": s.region,
            }
            for s in case.level_spans.all()
        ],
        "findings": [
            {
                "id": f.pk,
                "order": f.order,
                "modality": f.modality,
                "technique": f.technique,
                "plane": f.plane,
                "first_level": f.first_level or "",
                "last_level": f.last_level or "",
                "compartment": f.compartment,
                "description": f.description,
            }
            for f in case.findings.all()
        ],
        "differentials": [
            {
                "id": d.pk,
                "order": d.order,
                "diagnosis": d.diagnosis_id,
                "favours": d.favours,
                "against": d.against,
                **({"is_final": "on"} if d.is_final else {}),
            }
            for d in case.differentials.all()
        ],
        "references": [
            {
                "id": r.pk,
                "order": r.order,
                "citation": r.citation,
                "doi": r.doi,
                "pmid": r.pmid,
                **({"is_source": "on"} if r.is_source else {}),
            }
            for r in case.references.all()
        ],
    }
    for prefix, rows in children.items():
        for row in rows:
            row["case"] = case.pk
        data.update(formset_data(prefix, rows, initial=len(rows)))
    return data


def test_an_editor_can_move_the_final_diagnosis_to_another_row_and_swap_row_order(editor_client):
    case = make_case(title="Woman with leg weakness", findings=[{"modality": "mri"}, {"modality": "ct"}])
    data = change_post(case)
    del data["differentials-0-is_final"]
    data["differentials-1-is_final"] = "on"
    data["findings-0-order"], data["findings-1-order"] = "2", "1"

    response = editor_client.post(reverse("admin:cases_case_change", args=[case.pk]), data)

    assert response.status_code == 302
    assert str(case.final_differential().diagnosis) == "Meningioma"
    assert [f.modality for f in case.findings.all()] == ["ct", "mri"]


def test_an_editor_can_swap_the_diagnoses_of_two_rows_in_one_save(editor_client):
    case = make_case(title="Woman with leg weakness", differentials=("Meningioma", "Schwannoma"))
    data = change_post(case)
    data["differentials-1-diagnosis"], data["differentials-2-diagnosis"] = (
        data["differentials-2-diagnosis"],
        data["differentials-1-diagnosis"],
    )

    response = editor_client.post(reverse("admin:cases_case_change", args=[case.pk]), data)

    assert response.status_code == 302
    assert [str(d.diagnosis) for d in case.differentials.all()] == [
        "Intradural extramedullary metastasis",
        "Schwannoma",
        "Meningioma",
    ]
    assert case.differentials.get(diagnosis__name="Schwannoma").favours == "Meningioma is common here."


def publish(client, *cases, action="publish"):
    return client.post(CHANGELIST_URL, {"action": action, "_selected_action": [c.pk for c in cases]}, follow=True)


def test_publishing_records_when_and_by_whom_and_shows_in_the_history(editor_client, editor):
    case = make_case(status=Case.Status.DRAFT)

    response = publish(editor_client, case)

    assert "Published 1 case." in response.text
    case.refresh_from_db()
    assert case.status == Case.Status.PUBLISHED
    assert case.published_by == editor
    assert case.published_at is not None
    history = editor_client.get(reverse("admin:cases_case_history", args=[case.pk]))
    assert "Published." in history.text


def test_publishing_a_case_without_a_final_diagnosis_is_refused_with_a_message(editor_client):
    case = make_case(status=Case.Status.DRAFT)
    case.differentials.filter(is_final=True).delete()

    response = publish(editor_client, case)

    assert f"“{case.title}” was not published: it has no final diagnosis." in response.text
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT and case.published_at is None


def test_unpublishing_takes_a_case_back_to_draft(editor_client):
    case = make_case()
    response = publish(editor_client, case, action="unpublish")
    assert "Unpublished 1 case." in response.text
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT


def test_staff_without_the_publish_permission_are_not_offered_publishing(client):
    user = User.objects.create_user("reviewer", is_staff=True)
    user.user_permissions.add(*Group.objects.get(name="Editors").permissions.exclude(codename="publish_case"))
    client.force_login(user)
    case = make_case(status=Case.Status.DRAFT)

    assert "Publish selected cases" not in client.get(CHANGELIST_URL).text
    publish(client, case)
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT


def test_an_editor_previews_a_draft_through_view_on_site_and_the_answer_link(editor_client):
    case = make_case(status=Case.Status.DRAFT)
    change_page = editor_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    view_on_site = reverse("admin:view_on_site", args=[change_page.context["content_type_id"], case.pk])
    assert view_on_site in change_page.text
    assert case.get_answer_url() in change_page.text

    preview = editor_client.get(view_on_site, follow=True)
    assert preview.redirect_chain[-1][0].endswith(case.get_absolute_url())
    assert preview.status_code == 200
    assert case.title in preview.text
    assert editor_client.get(case.get_answer_url()).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_the_preview_of_a_draft_is_not_found_for_anyone_but_staff(editor_client, resident, who):
    case = make_case(status=Case.Status.DRAFT)
    change_page = editor_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    view_on_site = reverse("admin:view_on_site", args=[change_page.context["content_type_id"], case.pk])
    preview_url = editor_client.get(view_on_site)["Location"]
    visitor = Client()
    if who == "resident":
        visitor.force_login(resident)

    assert visitor.get(preview_url).status_code == 404
    assert visitor.get(case.get_answer_url()).status_code == 404
    assert visitor.get(view_on_site)["Location"].startswith("/admin/login/")  # not to the case


def test_merging_two_diagnoses_keeps_every_case_that_cited_either(editor_client):
    keep = make_diagnosis("Spinal epidural abscess", aliases="SEA")
    duplicate = make_diagnosis("Epidural abscess", aliases="Épidurite")
    only_keep = make_case(final=keep.name, differentials=())
    only_duplicate = make_case(final=duplicate.name, differentials=())
    both = make_case(final=duplicate.name, differentials=[keep.name])
    selected = {"action": "merge", "_selected_action": [keep.pk, duplicate.pk]}

    confirm = editor_client.post(reverse("admin:cases_diagnosis_changelist"), selected)
    assert "Keep which entry?" in confirm.text
    assert Diagnosis.objects.filter(pk=duplicate.pk).exists()

    done = editor_client.post(
        reverse("admin:cases_diagnosis_changelist"), {**selected, "post": "yes", "keep": keep.pk}, follow=True
    )

    assert "Merged Epidural abscess into Spinal epidural abscess." in done.text
    assert not Diagnosis.objects.filter(pk=duplicate.pk).exists()
    for case in (only_keep, only_duplicate, both):
        assert case.final_differential().diagnosis == keep
    assert both.differentials.filter(diagnosis=keep).count() == 1
    keep.refresh_from_db()
    assert keep.alias_list() == ["SEA", "Epidural abscess", "Épidurite"]
    assert (
        "merged into Spinal epidural abscess"
        in editor_client.get(reverse("admin:cases_case_history", args=[both.pk])).text
    )


def test_merge_keeps_one_row_final_if_either_was_and_both_rows_reasoning():
    keep, merge = make_diagnosis("Tuberculous spondylitis"), make_diagnosis("Pott disease", aliases="TB spine")
    case = make_case(final=merge.name, differentials=[keep.name])
    Differential.objects.filter(case=case, diagnosis=keep).update(favours="Skip lesions.")
    Differential.objects.filter(case=case, diagnosis=merge).update(favours="Paraspinal abscess.")

    merge_diagnoses(keep=keep, merge=merge)

    row = case.differentials.get(diagnosis=keep)
    assert row.is_final
    assert row.favours == "Skip lesions.\n\nParaspinal abscess."
    assert case.differentials.count() == 1
    keep.refresh_from_db()
    assert keep.alias_list() == ["Pott disease", "TB spine"]


def test_a_resident_who_opens_the_admin_is_sent_to_log_in_as_staff(client, resident):
    client.force_login(resident)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_an_editor_sees_users_but_cannot_delete_them(editor_client, resident):
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 200
    delete_url = reverse("admin:auth_user_delete", args=[resident.pk])
    assert editor_client.get(delete_url).status_code == 403
    assert editor_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=resident.pk).exists()


def test_editors_administer_cases_not_accounts_and_residents_hold_no_permissions():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert {"publish_case", "add_case", "change_case", "change_diagnosis", "add_imagingfinding"} <= editors
    assert editors & {"add_user", "change_user", "delete_user", "add_group", "change_group", "delete_case"} == set()
    assert not Group.objects.get(name="Residents").permissions.exists()


def test_admin_forms_refuse_a_post_without_a_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(ADD_URL, case_post()).status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=thoracic", {"Thoracic MRI case"}),
        ("compartment=disc_endplates", {"Thoracic MRI case"}),
        ("modality=ct", {"Lumbar CT case"}),
        ("status=draft", {"Lumbar CT case"}),
    ],
)
def test_the_case_list_filters_by_region_compartment_modality_and_status(editor_client, query, expected):
    make_case(title="Thoracic MRI case", levels=[(Level.T4, Level.T5)], findings=[{"compartment": "disc_endplates"}])
    make_case(
        title="Lumbar CT case", levels=[(Level.L3, Level.L3)], findings=[{"modality": "ct"}], status=Case.Status.DRAFT
    )
    response = editor_client.get(f"{CHANGELIST_URL}?{query}")
    assert {str(case) for case in response.context["cl"].result_list} == expected


def test_the_case_list_can_count_cases_per_filter_choice(editor_client):
    make_case(title="Thoracic MRI case", levels=[(Level.T4, Level.T5)], findings=[{"compartment": "disc_endplates"}])
    response = editor_client.get(f"{CHANGELIST_URL}?_facets=True")
    assert response.status_code == 200
    for choice in ("Thoracic (1)", "Lumbar (0)", "Disc and endplates (1)", "MRI (1)", "CT (0)"):
        assert choice in response.text


@pytest.mark.parametrize("n_cases", [1, 20])
def test_the_case_list_costs_the_same_queries_for_1_or_20_cases(editor_client, django_assert_num_queries, n_cases):
    for _ in range(n_cases):
        make_case()
    # session, user, the user's and the group's permissions, 2 counts (page and total),
    # cases joined with known primaries, level spans, differentials joined with diagnoses
    with django_assert_num_queries(9):
        response = editor_client.get(CHANGELIST_URL)
    assert response.status_code == 200
    assert response.text.count("Intradural extramedullary metastasis") == n_cases
