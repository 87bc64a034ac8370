"""Saving a case with its rows: the case's search and filter fields are computed once per save, not once per row."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.anatomy import Level
from cases.models import Case, LevelSpan, batched_edits

from .factories import make_case
from .test_admin import ADD_URL, case_post

pytestmark = pytest.mark.django_db


def finding(n):
    return {
        "order": str(n),
        "modality": "mri",
        "technique": f"T{n}",
        "plane": "sagittal",
        "first_level": Level.T8,
        "last_level": Level.T8,
        "compartment": "vertebral_body",
        "description": f"Finding number {n}.",
    }


def writes(queries, table):
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and table in q["sql"]]


def test_an_admin_save_of_a_case_with_nine_rows_indexes_it_once(editor_client):
    rows = {"findings": [finding(n) for n in range(1, 6)]}  # with 1 span, 2 differentials, 1 reference: 9 rows
    data = case_post(**rows)
    ContentType.objects.clear_cache()  # as in a fresh worker: the admin's log entry looks its type up
    with CaptureQueriesContext(connection) as saving:
        assert editor_client.post(ADD_URL, data).status_code == 302
    case = Case.objects.get()
    assert "finding number 5" in case.search_text and case.level_mask
    # One UPDATE of the case's derived fields and one of the content version, whatever the rows.
    assert len(writes(saving.captured_queries, '"cases_case"')) == 1
    assert len(writes(saving.captured_queries, '"cases_contentversion"')) == 1
    # Pinned: the whole POST, from session to redirect; most of it is Django validating each
    # check constraint of the case and of every row with a query of its own. Three are the spoiler
    # rule's and the slug's: the posted final diagnosis, read by the case form and by the findings
    # formset, and the former slug a new case may take over. One reads when the next held or
    # scheduled case is due, stored with the new content version.
    assert len(saving.captured_queries) == 148


def test_edits_outside_a_batch_still_index_at_once_and_a_batch_indexes_at_its_end():
    case = make_case(levels=((Level.L1, Level.L1),))
    lumbar_only = Case.objects.get().region_mask
    LevelSpan.objects.create(case=case, order=2, first_level=Level.C5, last_level=Level.C5)
    assert Case.objects.get().region_mask == lumbar_only | 1  # cervical joined at once
    with batched_edits():
        LevelSpan.objects.filter(order=2).delete()
        LevelSpan.objects.create(case=case, order=3, first_level=Level.T4, last_level=Level.T4)
        assert Case.objects.get().region_mask & 1  # not yet: the batch has not ended
    assert Case.objects.get().region_mask & 1 == 0
