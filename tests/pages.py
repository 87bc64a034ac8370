"""The public page types, built from test rows, for the markup and accessibility checks."""

from .factories import make_case


def public_pages():
    """(name, path) for every public page type, on a database holding a couple of cases."""
    case = make_case(title="52-year-old woman with progressive left leg heaviness")
    make_case(title="Man with neck pain", sex="male", primary=None)
    diagnosis = case.differentials.get(is_final=True).diagnosis
    return [
        ("list", "/"),
        ("list-filtered", "/?region=lumbar&modality=mri&sort=-age"),
        ("list-empty", "/?q=nothing-matches-this"),
        ("case", case.get_absolute_url()),
        ("answer", case.get_answer_url()),
        ("diagnoses", "/diagnoses/"),
        ("diagnosis", diagnosis.get_absolute_url()),
        ("login", "/accounts/login/"),
        ("not-found", "/cases/no-such-case/"),
    ]
