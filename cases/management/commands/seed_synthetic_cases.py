"""seed_synthetic_cases N: made-up published cases in bulk, for benchmarks and load tests.

Every synthetic case has ``is_synthetic`` set and a title starting "[Synthetic]"; its diagnoses
and known primaries are their own rows, named "Synthetic: …", so nothing seeded here can be
mistaken for (or edit) the real teaching vocabulary. Rows are written with bulk_create, and each
distinct markdown text is rendered once, so 100,000 cases take about a minute on SQLite.
"""

import random
import time
from functools import cache

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from cases.anatomy import REGION_BOUNDS, Compartment, Modality, Plane, Region
from cases.markdown import render_markdown
from cases.models import (
    Case,
    ContentVersion,
    Diagnosis,
    Differential,
    ImagingFinding,
    LevelSpan,
    PrimaryTumour,
    Reference,
    case_index_values,
)

PREFIX = "Synthetic: "
TITLE_PREFIX = "[Synthetic]"

DIAGNOSES = [
    "Vertebral metastasis",
    "Epidural metastasis",
    "Intramedullary metastasis",
    "Leptomeningeal metastasis",
    "Multiple myeloma",
    "Plasmacytoma",
    "Lymphoma",
    "Meningioma",
    "Schwannoma",
    "Ependymoma",
    "Astrocytoma",
    "Haemangioblastoma",
    "Vertebral haemangioma",
    "Pyogenic spondylodiscitis",
    "Tuberculous spondylitis",
    "Epidural abscess",
    "Osteoporotic compression fracture",
    "Modic type 1 change",
    "Transverse myelitis",
    "Spinal cord infarction",
    "Sarcoidosis",
    "Chordoma",
    "Giant cell tumour",
    "Aneurysmal bone cyst",
]
PRIMARIES = ["Breast carcinoma", "Lung carcinoma", "Prostate carcinoma", "Renal cell carcinoma", "Melanoma"]
SYMPTOMS = [
    "progressive back pain",
    "leg weakness",
    "numb hands",
    "urinary retention",
    "neck pain",
    "gait unsteadiness",
    "band-like chest pain",
    "saddle numbness",
]
DURATIONS = ["over two weeks", "over three months", "since a fall a month ago", "waking at night for six weeks"]
HISTORIES = [
    "No past medical history of note.",
    "Treated for a **known primary** some years ago.",
    "Weight loss and night sweats.",
    "Fever and a raised CRP.",
    "Recent travel abroad; otherwise well.",
]
FINDINGS = [
    ("T1", "low", "none", "A marrow-replacing lesion with loss of the normal fatty signal."),
    ("T2", "high", "", "A well-defined lesion with a thin rim of oedema around it."),
    ("STIR", "high", "", "Oedema of the vertebral body with the disc spared."),
    ("Post-contrast T1", "", "ring enhancement", "A peripherally enhancing collection with a non-enhancing centre."),
    ("Post-contrast T1", "", "homogeneous", "A homogeneously enhancing mass displacing the cord."),
    ("Axial CT", "lytic", "", "A lytic lesion breaching the posterior cortex."),
    ("Axial CT", "sclerotic", "", "Patchy sclerosis without a soft-tissue mass."),
    ("Whole body", "", "", "Increased uptake at the involved level and nowhere else."),
]
ANSWER_TEXT = {
    "discussion": "A made-up discussion for load testing. *Not* a teaching case.",
    "teaching_points": "- Synthetic cases exist to measure the site, not to teach.",
    "management_outcome": "Not applicable: this case was generated.",
}


@cache
def rendered(text):
    """Each distinct markdown text is rendered (and sanitised) once."""
    return render_markdown(text)


def vocabulary(model, names):
    """The synthetic rows of a vocabulary, created on first use (saved one by one: a handful)."""
    rows = []
    for name in names:
        full = PREFIX + name
        row = model.objects.filter(name_en=full).first()
        if row is None:
            row = model(name_en=full, slug=slugify(full))
            if model is Diagnosis:
                row.summary = f"A made-up entity named after {name.lower()}, used only by synthetic cases."
            row.save()
        rows.append(row)
    return rows


class Command(BaseCommand):
    help = "Create N published synthetic cases (marked is_synthetic, titled '[Synthetic] …') in bulk."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many cases to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable data.")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *, count, seed, batch_size, verbosity, **options):
        if not 0 < count <= 1_000_000:
            raise CommandError("COUNT must be between 1 and 1,000,000.")
        started = time.monotonic()
        rng = random.Random(seed)
        diagnoses = [d.pk for d in vocabulary(Diagnosis, DIAGNOSES)]
        primaries = vocabulary(PrimaryTumour, PRIMARIES)
        first = Case.objects.filter(is_synthetic=True).count() + 1
        reported = started
        for start in range(first, first + count, batch_size):
            stop = min(start + batch_size, first + count)
            self.seed_batch(range(start, stop), rng=rng, diagnoses=diagnoses, primaries=primaries)
            now = time.monotonic()
            if verbosity and (now - reported > 5 or verbosity > 1):  # a progress line every few seconds
                done, rate = stop - first, (stop - first) / (now - started)
                self.stdout.write(
                    f"  {done:,} of {count:,} cases, {rate:,.0f} a second, about {(count - done) / rate:.0f} s to go"
                )
                reported = now
        # Fresh statistics, so SQLite's planner knows nearly every case is published (and scans
        # rather than walks the status index when searching text).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"Added {count} synthetic cases in {time.monotonic() - started:.1f} s.")

    @transaction.atomic
    def seed_batch(self, numbers, *, rng, diagnoses, primaries):
        now = timezone.now()
        cases, spans, findings, differentials, references = [], [], [], [], []
        for n in numbers:
            case, levels, n_findings = self.make_case(n, rng=rng, primaries=primaries, now=now)
            case_spans = [
                LevelSpan(case=case, order=order, first_level=first, last_level=last, region=region)
                for order, (first, last, region) in enumerate(levels, start=1)
            ]
            first, last, _ = levels[0]
            case_findings = [self.make_finding(case, order, first, last, rng=rng) for order in range(1, n_findings + 1)]
            # The derived fields a save would compute (see refresh_case_index), since bulk_create sends no signal.
            for name, value in case_index_values(case, spans=case_spans, findings=case_findings).items():
                setattr(case, name, value)
            cases.append(case)
            spans += case_spans
            findings += case_findings
            for order, diagnosis_id in enumerate(rng.sample(diagnoses, 3), start=1):
                differentials.append(
                    Differential(
                        case=case,
                        order=order,
                        diagnosis_id=diagnosis_id,
                        is_final=order == 1,
                        favours="Synthetic: fits the made-up history.",
                        against="Synthetic: nothing real.",
                    )
                )
            references.append(
                Reference(
                    case=case,
                    order=1,
                    is_source=True,
                    citation=(f"Synthetic reference {case.slug}. Generated for load testing; not a publication."),
                )
            )
        Case.objects.bulk_create(cases, batch_size=_rows_per_statement(Case))  # SQLite returns the ids
        for model, rows in (
            (LevelSpan, spans),
            (ImagingFinding, findings),
            (Differential, differentials),
            (Reference, references),
        ):
            model.objects.bulk_create(rows, batch_size=_rows_per_statement(model))
        ContentVersion.bump()

    def make_case(self, n, *, rng, primaries, now):
        age = rng.choice([None, *range(18, 91)])
        sex = rng.choice(["female", "male", "female", "male", ""])
        symptom = rng.choice(SYMPTOMS)
        who = {"female": "woman", "male": "man"}.get(sex, "patient")
        title = f"{TITLE_PREFIX} {f'{age}-year-old ' if age else ''}{who} with {symptom} #{n}"
        presentation = f"{symptom.capitalize()} {rng.choice(DURATIONS)}. {rng.choice(HISTORIES)}"
        case = Case(
            title=title,
            slug=slugify(title)[:220],
            age=age,
            sex=sex,
            presentation=presentation,
            presentation_html=rendered(presentation),
            known_primary=rng.choice(primaries) if rng.random() < 0.3 else None,
            difficulty=rng.choice(Case.Difficulty.values),
            status=Case.Status.PUBLISHED,
            proven_by=rng.choice(Case.Proof.values),
            is_synthetic=True,
            created_at=now,
            updated_at=now,
            published_at=now,
            **{name: text for name, text in ANSWER_TEXT.items()},
            **{f"{name}_html": rendered(text) for name, text in ANSWER_TEXT.items()},
        )
        levels = []
        for _ in range(rng.choice([1, 1, 2])):
            if rng.random() < 0.05:  # the source names a region but no level
                levels.append((None, None, rng.choice(Region.values)))
            else:
                low, high = REGION_BOUNDS[rng.choice(Region.values)]
                first = rng.randint(low, high)
                levels.append((first, min(first + rng.choice([0, 0, 1, 2]), 30), ""))
        return case, levels, rng.choice([2, 3, 3, 4])

    def make_finding(self, case, order, first, last, *, rng):
        technique, signal, enhancement, description = rng.choice(FINDINGS)
        return ImagingFinding(
            case=case,
            order=order,
            modality=rng.choice(Modality.values),
            technique=technique,
            plane=rng.choice(["", *Plane.values]),
            first_level=first,
            last_level=last,
            compartment=rng.choice(Compartment.values),
            signal=signal,
            enhancement=enhancement,
            description=description,
            description_html=rendered(description),
        )


def _rows_per_statement(model):
    # SQLite allows 32,766 bound parameters per statement.
    return 32_000 // len(model._meta.concrete_fields)
