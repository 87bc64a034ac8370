"""Every markdown field, fed a public XSS corpus and our own markdown vectors: nothing executes.

The corpus lives in ../shared/data/xss/ (MIT; see its README) and is read from there, never
copied into the project. Where it is absent the corpus tests skip; the hand-written vectors
always run.
"""

import pytest

from cases.models import Case, Diagnosis, ImagingFinding

from .factories import make_case
from .test_markdown import HAND_WRITTEN, XSS_DIR, assert_safe, xss_payloads

MARKDOWN_FIELDS = [
    (Case, "presentation"),
    (Case, "discussion"),
    (Case, "teaching_points"),
    (Case, "management_outcome"),
    (ImagingFinding, "description"),
    (Diagnosis, "summary"),
    (Diagnosis, "distinguishing_features"),
]


def corpus():
    payloads = xss_payloads()
    if not payloads:
        pytest.skip(f"XSS corpus not found at {XSS_DIR} (CI has ../shared beside the clone)")
    return payloads


@pytest.mark.parametrize(("model", "field"), MARKDOWN_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_every_markdown_field_neutralises_every_payload(model, field):
    row = model()
    for payload in HAND_WRITTEN + corpus():
        setattr(row, field, payload)
        row.refresh_derived_fields()
        assert_safe(getattr(row, f"{field}_html"))


@pytest.mark.django_db
def test_stored_html_of_a_case_full_of_payloads_is_safe():
    payloads = HAND_WRITTEN + corpus()
    case = make_case(presentation="\n\n".join(payloads), discussion="\n\n".join(reversed(payloads)))
    case.refresh_from_db()
    assert_safe(case.presentation_html)
    assert_safe(case.discussion_html)


def chunks(items, size):
    return ["\n\n".join(items[i : i + size]) for i in range(0, len(items), size)]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_full_of_payloads_fire_no_dialog_even_without_the_csp(live_server, browser):
    """The sanitiser alone must hold: the browser context ignores our CSP, so a surviving script would run."""
    payloads = HAND_WRITTEN + corpus()
    parts = chunks(payloads, 100)
    case = make_case(
        presentation=parts[0],
        discussion=parts[1 % len(parts)],
        teaching_points=parts[2 % len(parts)],
        management_outcome=parts[3 % len(parts)],
        findings=[{"description": part} for part in parts],
    )
    diagnosis = case.differentials.get(is_final=True).diagnosis
    diagnosis.summary, diagnosis.distinguishing_features = parts[4 % len(parts)], parts[5 % len(parts)]
    diagnosis.save()

    context = browser.new_context(bypass_csp=True, java_script_enabled=True)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for url in (case.get_absolute_url(), case.get_answer_url(), diagnosis.get_absolute_url(), "/"):
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        page.mouse.move(200, 300)  # hover handlers, had any survived
    context.close()
    assert dialogs == []
    assert sum(len(p) for p in parts) > 10_000
