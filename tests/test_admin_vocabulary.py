"""The Diagnosis admin's vocabulary links: a broader term chosen from a select, compartments as checkboxes."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from cases.models import Diagnosis
from tests.factories import make_diagnosis

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    user = User.objects.create_user("editor", password="long-enough-passphrase", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def change_url(diagnosis):
    return reverse("admin:cases_diagnosis_change", args=[diagnosis.pk])


def form_data(diagnosis, **changes):
    return {
        "name_en": diagnosis.name,
        "slug": diagnosis.slug,
        "aliases_en": diagnosis.aliases,
        "broader": diagnosis.broader_id or "",
        "compartments": list(diagnosis.compartments),
        "summary_en": diagnosis.summary,
        "distinguishing_features_en": "",
        **changes,
    }


def test_the_change_page_offers_a_broader_select_and_compartment_checkboxes(editor_client):
    spinal = make_diagnosis("Spinal metastasis")
    cord = make_diagnosis("Intramedullary spinal cord metastasis", broader=spinal, compartments=["intramedullary"])
    page = editor_client.get(change_url(cord)).text
    assert '<select name="broader"' in page
    assert f'<option value="{spinal.pk}" selected>Spinal metastasis</option>' in page
    assert f'<option value="{cord.pk}"' not in page  # not its own broader term
    assert 'type="checkbox" name="compartments" value="intramedullary"' in page
    assert 'value="intramedullary" id="id_compartments_0" checked' in page
    assert 'value="extradural"' in page and 'value="extradural" id="id_compartments_2" checked' not in page


def test_an_editor_links_an_entity_to_a_broader_term_and_ticks_its_compartments(editor_client):
    spinal = make_diagnosis("Spinal metastasis")
    cord = make_diagnosis("Intramedullary spinal cord metastasis")
    response = editor_client.post(
        change_url(cord), form_data(cord, broader=spinal.pk, compartments=["leptomeningeal", "intramedullary"])
    )
    assert response.status_code == 302
    cord.refresh_from_db()
    assert cord.broader == spinal
    assert cord.compartments == ["intramedullary", "leptomeningeal"]  # in the Compartment list's order


def test_a_cycle_of_broader_terms_is_refused_and_the_typed_values_are_kept(editor_client):
    metastasis = make_diagnosis("Metastasis")
    spinal = make_diagnosis("Spinal metastasis", broader=metastasis)
    cord = make_diagnosis("Intramedullary spinal cord metastasis", broader=spinal)
    response = editor_client.post(
        change_url(metastasis), form_data(metastasis, broader=cord.pk, aliases_en="Mets typed just now")
    )
    assert response.status_code == 200
    assert "A broader term cannot be one of this entity" in response.text
    assert "Mets typed just now" in response.text
    metastasis.refresh_from_db()
    assert metastasis.broader is None and metastasis.aliases == ""


def test_an_unknown_compartment_is_refused(editor_client):
    cord = make_diagnosis("Intramedullary spinal cord metastasis")
    response = editor_client.post(change_url(cord), form_data(cord, compartments=["intramedullary", "lungs"]))
    assert response.status_code == 200
    assert "Select a valid choice. lungs is not one of the available choices." in response.text
    assert Diagnosis.objects.get(pk=cord.pk).compartments == []


def test_the_model_refuses_unknown_compartments_and_cycles_outside_the_admin_too():
    from django.core.exceptions import ValidationError

    a = make_diagnosis("Entity A")
    b = make_diagnosis("Entity B", broader=a)
    a.broader = b
    with pytest.raises(ValidationError, match="cycle"):
        a.full_clean()
    b.compartments = ["spleen"]
    with pytest.raises(ValidationError, match="Unknown compartment 'spleen'"):
        b.full_clean()
