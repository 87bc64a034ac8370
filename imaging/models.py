"""Images of a case: series of frames attached to an imaging finding, their renditions and annotations.

Presentation side (shown before the reveal): the frames themselves, each series' and frame's caption
and alt text. Answer side (only after the reveal, or after a quiz answer is committed): the teaching
captions, the annotations drawn over a frame, and an editor's annotated copy of a frame.
"""

from django.core.exceptions import ValidationError
from django.core.signing import Signer
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.anatomy import Modality, Plane
from cases.models import ImagingFinding

PRESENTATION = _("Presentation side, shown before the reveal: describe, do not interpret. ")
ANSWER = _("Answer side, shown only after the reveal. ")


class ImageSeries(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        HELD = "held", _("Held: check for burned-in text")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    finding = models.ForeignKey(
        ImagingFinding, verbose_name=_("finding"), on_delete=models.CASCADE, related_name="series"
    )
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=1)
    modality = models.CharField(
        verbose_name=_("modality"), max_length=12, choices=Modality, blank=True, help_text=PRESENTATION
    )
    technique = models.CharField(
        verbose_name=_("technique"),
        max_length=120,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("Sequence or technique: T2, STIR, bone window…")),
    )
    plane = models.CharField(verbose_name=_("plane"), max_length=12, choices=Plane, blank=True, help_text=PRESENTATION)
    caption = models.CharField(
        verbose_name=_("caption"),
        max_length=200,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("A neutral caption: “Sagittal T2”.")),
    )
    alt_text = models.CharField(
        verbose_name=_("alt text"),
        max_length=300,
        blank=True,
        help_text=format_lazy(
            "{}{}", PRESENTATION, _("What the frames show, for a screen reader, without reading them.")
        ),
    )
    answer_caption = models.TextField(
        verbose_name=_("answer caption"),
        blank=True,
        help_text=format_lazy("{}{}", ANSWER, _("What to see in this series.")),
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=12, choices=Status, default=Status.PROCESSING, editable=False
    )
    held_reason = models.CharField(verbose_name=_("held reason"), max_length=300, blank=True, editable=False)
    frames_expected = models.PositiveIntegerField(verbose_name=_("frames expected"), default=0, editable=False)
    frames_done = models.PositiveIntegerField(verbose_name=_("frames done"), default=0, editable=False)
    error = models.TextField(verbose_name=_("error"), blank=True, editable=False)
    deidentification = models.CharField(
        verbose_name=_("deidentification"),
        max_length=300,
        blank=True,
        editable=False,
        help_text=_("How the uploaded DICOM files were de-identified."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("image series")
        verbose_name_plural = _("image series")
        ordering = ["finding_id", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["finding", "order"], name="series_order_unique")]

    def __str__(self):
        return self.caption or f"Series {self.order} of {self.finding}"

    def get_admin_url(self):
        return reverse("admin:imaging_imageseries_change", args=[self.pk])

    @property
    def case(self):
        return self.finding.case

    @property
    def is_visible(self):
        return self.status == self.Status.READY

    def progress_label(self):
        if self.status == self.Status.PROCESSING:
            return gettext("%(done)s of %(expected)s frames processed") % {
                "done": self.frames_done,
                "expected": self.frames_expected,
            }
        return self.get_status_display()


class Frame(models.Model):
    series = models.ForeignKey(ImageSeries, verbose_name=_("series"), on_delete=models.CASCADE, related_name="frames")
    index = models.PositiveIntegerField(verbose_name=_("index"), help_text=_("Position in the stack, from 1."))
    # The de-identified DICOM or the cleaned raster the renditions are made from. Never served.
    source = models.FileField(verbose_name=_("source"), upload_to="image-sources/", max_length=200, editable=False)
    source_frame = models.PositiveIntegerField(
        verbose_name=_("source frame"), default=0, editable=False, help_text=_("Within a multi-frame file.")
    )
    # The editor's annotated copy as cleaned PNG (answer side; its renditions are ImageFiles). Never served.
    annotated_source = models.FileField(
        verbose_name=_("annotated source"), upload_to="image-sources/", max_length=200, blank=True, editable=False
    )
    width = models.PositiveIntegerField(verbose_name=_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(verbose_name=_("height"), default=0, editable=False)
    caption = models.CharField(verbose_name=_("caption"), max_length=200, blank=True, help_text=PRESENTATION)
    alt_text = models.CharField(verbose_name=_("alt text"), max_length=300, blank=True, help_text=PRESENTATION)
    answer_caption = models.TextField(verbose_name=_("answer caption"), blank=True, help_text=ANSWER)

    class Meta:
        verbose_name = _("frame")
        verbose_name_plural = _("frames")
        ordering = ["series_id", "index"]
        constraints = [models.UniqueConstraint(fields=["series", "index"], name="frame_index_unique")]

    def __str__(self):
        return f"Frame {self.index}"

    def renditions(self, kind="frame", preset=""):
        """This frame's files of one kind and window preset, narrowest first (from the prefetch)."""
        return sorted((f for f in self.files.all() if f.kind == kind and f.preset == preset), key=lambda f: f.width)

    @staticmethod
    def _srcset(files):
        return ", ".join(f"{file.get_absolute_url()} {file.width}w" for file in files)

    @staticmethod
    def _middle(files):
        """The rendition shown by default: the phone width, or the widest below it."""
        fitting = [file for file in files if file.width <= 512]
        return (fitting or files)[-1] if files else None

    @property
    def src(self):
        file = self._middle(self.renditions())
        return file.get_absolute_url() if file else ""

    @property
    def srcset(self):
        return self._srcset(self.renditions())

    @property
    def full_url(self):
        files = self.renditions()
        return files[-1].get_absolute_url() if files else ""

    @property
    def preset_srcsets(self):
        """[(preset, srcset)] for the CT windows rendered on the server."""
        presets = sorted({f.preset for f in self.files.all() if f.kind == ImageFile.Kind.FRAME and f.preset})
        return [(preset, self._srcset(self.renditions(preset=preset))) for preset in presets]

    @property
    def annotated_src(self):
        file = self._middle(self.renditions(ImageFile.Kind.ANNOTATED))
        return file.get_absolute_url() if file else ""

    def overlay(self):
        """(viewBox height, shapes) for the SVG drawn over the frame: 1000 units across, the frame's
        own proportions down, so labels are not stretched."""
        height = round(1000 * self.height / self.width) if self.width else 1000
        shapes = []
        for annotation in self.annotations.all():
            shapes.append(
                {
                    "shape": annotation.shape,
                    "x1": round(annotation.x1 * 1000),
                    "y1": round(annotation.y1 * height),
                    "x2": round((annotation.x2 or 0) * 1000),
                    "y2": round((annotation.y2 or 0) * height),
                    "label": annotation.label,
                }
            )
        return height, shapes


def answer_key(name):
    return Signer(salt="casebook.imaging.answer-side").signature(name)


class ImageFile(models.Model):
    """One rendition of a frame, stored under its content hash and served by imaging.views.image."""

    class Kind(models.TextChoices):
        FRAME = "frame", _("Frame (presentation side)")
        ANNOTATED = "annotated", _("Annotated copy (answer side)")

    frame = models.ForeignKey(Frame, verbose_name=_("frame"), on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=Kind, default=Kind.FRAME)
    preset = models.CharField(
        verbose_name=_("preset"),
        max_length=20,
        blank=True,
        help_text=_("A CT window preset, or empty for the default."),
    )
    width = models.PositiveIntegerField(verbose_name=_("width"))
    height = models.PositiveIntegerField(verbose_name=_("height"))
    # Identical pictures share one stored file, so a name may belong to several rows.
    name = models.CharField(
        verbose_name=_("name"), max_length=100, db_index=True, help_text=_("<sha256>.webp, the storage name and URL.")
    )

    class Meta:
        verbose_name = _("image file")
        verbose_name_plural = _("image files")
        ordering = ["frame_id", "kind", "preset", "width"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        """Answer-side files carry a key that only answer pages (after the reveal, or after a quiz
        answer is committed) hand out: imaging.views.image refuses them without it."""
        url = reverse("imaging:image", args=[self.name])
        return f"{url}?key={answer_key(self.name)}" if self.is_answer_side else url

    @property
    def is_answer_side(self):
        return self.kind == self.Kind.ANNOTATED


class Annotation(models.Model):
    """An arrow, an ellipse or a label over a frame, in fractions of its width and height (answer side)."""

    class Shape(models.TextChoices):
        ARROW = "arrow", _("Arrow")
        ELLIPSE = "ellipse", _("Ellipse")
        LABEL = "label", _("Label")

    frame = models.ForeignKey(Frame, verbose_name=_("frame"), on_delete=models.CASCADE, related_name="annotations")
    shape = models.CharField(verbose_name=_("shape"), max_length=10, choices=Shape)
    x1 = models.FloatField(
        verbose_name=_("x1"), help_text=_("Arrow tail, ellipse centre or label position (0 = left edge, 1 = right).")
    )
    y1 = models.FloatField(verbose_name=_("y1"), help_text=_("0 = top edge, 1 = bottom."))
    x2 = models.FloatField(
        verbose_name=_("x2"), null=True, blank=True, help_text=_("Arrow head, or the ellipse's horizontal radius.")
    )
    y2 = models.FloatField(
        verbose_name=_("y2"), null=True, blank=True, help_text=_("Arrow head, or the ellipse's vertical radius.")
    )
    label = models.CharField(verbose_name=_("label"), max_length=80, blank=True, help_text=ANSWER)

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["frame_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(x1__gte=0, x1__lte=1, y1__gte=0, y1__lte=1), name="annotation_inside_frame"
            ),
        ]

    def __str__(self):
        return f"{self.get_shape_display()} {self.label}".strip()

    def clean(self):
        for name in ("x1", "y1", "x2", "y2"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValidationError({name: _("Between 0 and 1: a fraction of the frame's size.")})
        if self.shape in (self.Shape.ARROW, self.Shape.ELLIPSE) and (self.x2 is None or self.y2 is None):
            raise ValidationError(_("An arrow needs its head (x2, y2) and an ellipse its radii."))
        if self.shape == self.Shape.LABEL and not self.label:
            raise ValidationError({"label": _("A label needs its text.")})
