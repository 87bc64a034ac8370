"""The public page types, built from test rows, for the markup and accessibility checks."""

from imaging.models import Annotation
from imaging.phantom import phantom_series
from imaging.services import add_series, process_series

from .factories import make_case
from .teaching_helpers import make_cohort, make_invitation


def public_pages():
    """(name, path) for every public page type, on a database holding a couple of cases."""
    case = make_case(
        title="52-year-old woman with progressive left leg heaviness",
        title_fr="Femme de 52 ans avec une lourdeur progressive de la jambe gauche",
        presentation_fr="Lourdeur *progressive* de la jambe gauche depuis quelques semaines.",
    )
    make_case(title="Man with neck pain", sex="male", primary=None)
    diagnosis = case.differentials.get(is_final=True).diagnosis
    imaged = make_case(title="Woman with low back pain and a lumbar CT")
    series = add_series(
        finding=imaged.findings.get(),
        files=phantom_series(frames=4, size=64, plant=False),
        caption="Sagittal CT",
        alt_text="Sagittal CT of the lumbar spine",
        answer_caption="The dark focus in the second body.",
    )
    process_series(series.pk)  # at once, whether or not the test's transaction commits
    frame = series.frames.get(index=1)
    Annotation.objects.create(frame=frame, shape="arrow", x1=0.2, y1=0.2, x2=0.4, y2=0.35, label="focus")
    invitation = make_invitation(make_cohort("Year 2"))
    return [
        ("list", "/"),
        ("list-filtered", "/?region=lumbar&modality=mri&sort=-age"),
        ("list-empty", "/?q=nothing-matches-this"),
        ("case", case.get_absolute_url()),
        ("answer", case.get_answer_url()),
        ("case-with-images", imaged.get_absolute_url()),
        ("answer-with-images", imaged.get_answer_url()),
        ("diagnoses", "/diagnoses/"),
        ("diagnosis", diagnosis.get_absolute_url()),
        ("login", "/accounts/login/"),
        ("password-reset", "/accounts/password_reset/"),
        ("password-reset-sent", "/accounts/password_reset/done/"),
        ("password-reset-bad-link", "/accounts/reset/MQ/not-a-token/"),
        ("password-reset-complete", "/accounts/reset/done/"),
        ("join", "/join/"),
        ("join-sign-up", f"/join/{invitation.code}/"),
        ("not-found", "/cases/no-such-case/"),
        # In French: a case partly translated (the rest falls back to English, marked lang="en"),
        # and an untranslated one with images.
        ("list-fr", "/fr/"),
        ("case-fr", "/fr" + case.get_absolute_url()),
        ("answer-fr", "/fr" + case.get_answer_url()),
        ("answer-with-images-fr", "/fr" + imaged.get_answer_url()),
        ("diagnosis-fr", "/fr" + diagnosis.get_absolute_url()),
        ("login-fr", "/fr/accounts/login/"),
        ("password-reset-fr", "/fr/accounts/password_reset/"),
    ]
