"""make_case(**kw) and friends: realistic rows for tests, built by the tests themselves."""

import itertools

from django.utils.text import slugify
from django.utils.translation import override

from cases.anatomy import Level
from cases.models import Case, Diagnosis, Differential, ImagingFinding, LevelSpan, PrimaryTumour, Reference

_counter = itertools.count(1)


def in_english(factory):
    """Rows written in English whatever language the test's last request left active: `title=` is
    the English column (`title_fr=` and the like set the French)."""

    def wrapper(*args, **kw):
        with override("en-gb"):
            return factory(*args, **kw)

    wrapper.__doc__ = factory.__doc__
    return wrapper


@in_english
def make_diagnosis(name=None, aliases="", **kw):
    name = name or f"Test entity {next(_counter)}"
    kw.setdefault("slug", slugify(name))
    kw.setdefault("summary", f"Summary of {name}.")
    diagnosis, _ = Diagnosis.objects.get_or_create(name_en=name, defaults={"aliases_en": aliases, **kw})
    return diagnosis


@in_english
def make_primary(name="Breast carcinoma"):
    primary, _ = PrimaryTumour.objects.get_or_create(name_en=name, defaults={"slug": slugify(name)})
    return primary


@in_english
def make_case(
    *,
    title=None,
    final="Intradural extramedullary metastasis",
    final_aliases="IDEM metastasis",
    differentials=("Meningioma", "Schwannoma"),
    levels=((Level.L1, Level.L1),),
    findings=None,
    primary="Breast carcinoma",
    discussion="Discussion: epidural spread explains the intradural deposit.",
    **kw,
):
    """A published case with a final diagnosis, two alternatives, one finding and a cited source."""
    n = next(_counter)
    title = title or f"{40 + n % 40}-year-old woman with progressive leg heaviness ({n})"
    kw.setdefault("age", 40 + n % 40)
    kw.setdefault("sex", Case.Sex.FEMALE)
    kw.setdefault("presentation", "Progressive heaviness of the left leg over weeks.")
    kw.setdefault("status", Case.Status.PUBLISHED)
    kw.setdefault("teaching_points", "- Look for epidural thickening.")
    kw.setdefault("management_outcome", "Decompression, then radiotherapy.")
    kw.setdefault("proven_by", Case.Proof.HISTOLOGY)
    case = Case.objects.create(
        title=title, known_primary=make_primary(primary) if primary else None, discussion=discussion, **kw
    )
    for order, (first, last) in enumerate(levels, start=1):
        if isinstance(first, str):  # a region with no stated level
            LevelSpan.objects.create(case=case, order=order, region=first)
        else:
            LevelSpan.objects.create(case=case, order=order, first_level=first, last_level=last)
    for order, finding in enumerate(findings or [{}], start=1):
        values = {
            "modality": "mri",
            "technique": "Post-contrast T1",
            "plane": "sagittal",
            "first_level": levels[0][0] if not isinstance(levels[0][0], str) else None,
            "last_level": levels[0][1] if not isinstance(levels[0][0], str) else None,
            "compartment": "intradural_extramedullary",
            "description": "A heterogeneously enhancing lesion with a non-enhancing centre.",
            **finding,
        }
        ImagingFinding.objects.create(case=case, order=order, **values)
    Differential.objects.create(
        case=case,
        order=1,
        diagnosis=make_diagnosis(final, aliases=final_aliases),
        is_final=True,
        favours="Necrotic centre and epidural thickening.",
        against="Rarity.",
    )
    for order, name in enumerate(differentials, start=2):
        Differential.objects.create(
            case=case,
            order=order,
            diagnosis=make_diagnosis(name),
            favours=f"{name} is common here.",
            against=f"{name} rarely necroses.",
        )
    Reference.objects.create(
        case=case,
        order=1,
        is_source=True,
        citation=f"Author A. A spoiler-bearing citation title {n}.",
        doi=f"10.1000/test.{n}",
        pmid=str(10000000 + n),
    )
    return case
