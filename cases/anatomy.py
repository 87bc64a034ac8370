"""The fixed anatomical vocabulary: spinal levels, regions and compartments."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    CERVICAL = "cervical", _("Cervical")
    THORACIC = "thoracic", _("Thoracic")
    LUMBAR = "lumbar", _("Lumbar")
    SACRAL = "sacral", _("Sacral")
    COCCYGEAL = "coccygeal", _("Coccygeal")


class Level(models.IntegerChoices):
    """Vertebral levels numbered head to tail, so a span is a range of integers."""

    C1 = 1, "C1"
    C2 = 2, "C2"
    C3 = 3, "C3"
    C4 = 4, "C4"
    C5 = 5, "C5"
    C6 = 6, "C6"
    C7 = 7, "C7"
    T1 = 8, "T1"
    T2 = 9, "T2"
    T3 = 10, "T3"
    T4 = 11, "T4"
    T5 = 12, "T5"
    T6 = 13, "T6"
    T7 = 14, "T7"
    T8 = 15, "T8"
    T9 = 16, "T9"
    T10 = 17, "T10"
    T11 = 18, "T11"
    T12 = 19, "T12"
    L1 = 20, "L1"
    L2 = 21, "L2"
    L3 = 22, "L3"
    L4 = 23, "L4"
    L5 = 24, "L5"
    S1 = 25, "S1"
    S2 = 26, "S2"
    S3 = 27, "S3"
    S4 = 28, "S4"
    S5 = 29, "S5"
    COCCYX = 30, _("Coccyx")


FIRST_LEVEL, LAST_LEVEL = Level.C1.value, Level.COCCYX.value

# Inclusive level bounds of each region.
REGION_BOUNDS = {
    Region.CERVICAL: (Level.C1.value, Level.C7.value),
    Region.THORACIC: (Level.T1.value, Level.T12.value),
    Region.LUMBAR: (Level.L1.value, Level.L5.value),
    Region.SACRAL: (Level.S1.value, Level.S5.value),
    Region.COCCYGEAL: (Level.COCCYX.value, Level.COCCYX.value),
}


def region_of(level):
    for region, (low, high) in REGION_BOUNDS.items():
        if low <= level <= high:
            return Region(region)
    raise ValueError(f"not a spinal level: {level!r}")


def regions_between(first, last):
    """The regions a span of levels touches, head to tail."""
    return [Region(r) for r, (low, high) in REGION_BOUNDS.items() if first <= high and last >= low]


def span_label(first, last):
    if first == last:
        return str(Level(first).label)
    return f"{Level(first).label}–{Level(last).label}"


class Compartment(models.TextChoices):
    INTRAMEDULLARY = "intramedullary", _("Intramedullary")
    INTRADURAL_EXTRAMEDULLARY = "intradural_extramedullary", _("Intradural extramedullary")
    EXTRADURAL = "extradural", _("Extradural (epidural)")
    VERTEBRAL_BODY = "vertebral_body", _("Vertebral body / posterior elements")
    DISC_ENDPLATES = "disc_endplates", _("Disc and endplates")
    LEPTOMENINGEAL = "leptomeningeal", _("Leptomeningeal")
    PARASPINAL = "paraspinal", _("Paraspinal")


class Modality(models.TextChoices):
    MRI = "mri", _("MRI")
    CT = "ct", _("CT")
    RADIOGRAPH = "radiograph", _("Radiograph")
    PET = "pet", _("PET")
    BONE_SCAN = "bone_scan", _("Bone scan")
    MYELOGRAPHY = "myelography", _("Myelography")
    # Appended, never inserted: a modality's bit in the filter masks follows its position here.
    ANGIOGRAPHY = "angiography", _("Angiography (DSA, MR or CT angiography)")
    ULTRASOUND = "ultrasound", _("Ultrasound")


class Plane(models.TextChoices):
    SAGITTAL = "sagittal", _("Sagittal")
    AXIAL = "axial", _("Axial")
    CORONAL = "coronal", _("Coronal")
    PROJECTION = "projection", _("Projection (AP / lateral)")


# Bit positions for the case list's facets, stored on each case as integer masks (see
# Case.region_mask and friends). Append new choices at the end; reordering would need the
# masks recomputed (cases.models.refresh_case_index).
REGION_BITS = {region: 1 << n for n, region in enumerate(Region.values)}
COMPARTMENT_BITS = {compartment: 1 << n for n, compartment in enumerate(Compartment.values)}
MODALITY_BITS = {modality: 1 << n for n, modality in enumerate(Modality.values)}


def level_bit(level):
    return 1 << (level - FIRST_LEVEL)
