"""Teaching cases: a presentation a resident may see, and an answer they must ask for.

Every field an educator fills in says in its help text which side it is on:
PRESENTATION (shown before the reveal) or ANSWER (shown only after it).
"""

import secrets
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from html import unescape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import connections, models, router, transaction
from django.db.models import F, Func, Prefetch, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import get_language as translated_language

from .anatomy import (
    COMPARTMENT_BITS,
    FIRST_LEVEL,
    LAST_LEVEL,
    MODALITY_BITS,
    REGION_BITS,
    Compartment,
    Level,
    Modality,
    Plane,
    Region,
    level_bit,
    regions_between,
    span_label,
)
from .markdown import render_markdown
from .text import fold

PRESENTATION = _("PRESENTATION (visible before the reveal). ")
ANSWER = _("ANSWER (shown only after the reveal). ")

doi_validator = RegexValidator(
    r"^10\.\d{4,9}/\S+$", _("Enter a DOI such as 10.1212/CON.0000000000000926 (no https://doi.org/ prefix).")
)
pmid_validator = RegexValidator(r"^[1-9]\d{0,8}$", _("A PubMed ID is a number of up to nine digits, such as 33522744."))


CONTENT_LANGUAGES = ("en", "fr")  # settings.MODELTRANSLATION_LANGUAGES: the languages a case is written in


def shown_title(language=None, prefix=""):
    """The title a list shows in `language` (the active one by default), as an expression: its own, or
    the other language's where empty.

    What reading `case.title` gives (MODELTRANSLATION_FALLBACK_LANGUAGES), so a list ordered by it puts a
    case not yet translated among the others by the title it shows, the same on every database (ordering
    by `title_fr` alone puts the empty ones first on SQLite and last on PostgreSQL). The empty string is
    written into the SQL, not passed as a parameter, so that SQLite matches the expression to its index.
    `prefix` reaches the case through a relation ("case__").
    """
    language = language or translated_language()  # "en", not "en-gb"
    other = next(code for code in CONTENT_LANGUAGES if code != language)

    def non_empty(column):
        return Func(F(column), template="NULLIF(%(expressions)s, '')", output_field=models.CharField())

    return Coalesce(
        non_empty(f"{prefix}title_{language}"), non_empty(f"{prefix}title_{other}"), output_field=models.CharField()
    )


def sort_key(field, missing, output_field):
    """`field` as a list sorts on it, with `missing` (SQL) in place of no value: nulls last either way.

    Written into the SQL, like shown_title's empty string, so that one index on the expression
    serves the sort on SQLite and PostgreSQL alike (the two place nulls differently, and SQLite's
    indexes cannot say where). `missing` must be what the database returns for it unchanged, so
    that previous/next can compare a case's key with it.
    """
    return Func(F(field), template=f"COALESCE(%(expressions)s, {missing})", output_field=output_field)


# The first key of the list's other sorts (cases.filters.SORTS), each with an index on exactly it
# (Case.Meta): a case that states no age, or was never dated, comes after the others either way.
SORT_KEYS = {
    "age": sort_key("age", "1000", models.IntegerField()),  # youngest first
    "-age": sort_key("age", "-1", models.IntegerField()),  # oldest first
    # As Django writes a datetime on SQLite; PostgreSQL reads it in the connection's time zone, UTC.
    "recent": sort_key("published_at", "'0001-01-01 00:00:00'", models.DateTimeField()),
}


def in_each_language(name):
    """['title_en', 'title_fr']: the columns of a field that exists in every content language."""
    return [f"{name}_{language}" for language in CONTENT_LANGUAGES]


class DerivedFieldsMixin:
    """Markdown rendered to sanitised HTML once, at save time, in each language."""

    markdown_fields = ()

    def refresh_derived_fields(self):
        for name in self.markdown_fields:
            for source, html in zip(in_each_language(name), in_each_language(f"{name}_html"), strict=True):
                setattr(self, html, render_markdown(getattr(self, source) or ""))

    def save(self, *args, **kwargs):
        self.refresh_derived_fields()
        super().save(*args, **kwargs)


def level_span_constraints(prefix):
    """Both ends of a level span are given together, within C1–coccyx, head before tail."""
    return [
        models.CheckConstraint(
            condition=(
                Q(first_level__isnull=True, last_level__isnull=True)
                | Q(first_level__isnull=False, last_level__isnull=False)
            ),
            name=f"{prefix}_levels_given_together",
            violation_error_message=_("Give both the first and the last level, or neither."),
        ),
        models.CheckConstraint(
            condition=Q(first_level__isnull=True) | Q(first_level__lte=models.F("last_level")),
            name=f"{prefix}_levels_in_order",
            violation_error_message=_("The first level must be at or above the last level (head to tail)."),
        ),
        models.CheckConstraint(
            condition=Q(first_level__isnull=True) | Q(first_level__gte=FIRST_LEVEL, last_level__lte=LAST_LEVEL),
            name=f"{prefix}_levels_exist",
            violation_error_message=_("Levels run from C1 to the coccyx."),
        ),
    ]


class LevelSpanMixin:
    @property
    def levels_label(self):
        if self.first_level is None:
            return ""
        return span_label(self.first_level, self.last_level)


# Vocabularies editors grow ---------------------------------------------------------------


class SlugNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


# Letters NFKD does not take apart into ASCII (slugify drops what it cannot decompose).
_LATIN_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
    }
)


def unique_slug(text, *, model, prefix, max_length, exclude=None):
    """A slug from `text`, transliterated where possible; else (a title in Japanese, say) a neutral
    `prefix-xxxxxx` no other row uses. Never empty: an empty slug has no URL, and its pages fail."""
    slug = slugify((text or "").translate(_LATIN_LETTERS))[:max_length].strip("-")
    if any(c.isalpha() for c in slug):  # digits alone ('52' of a title in Japanese) say nothing
        return slug
    taken = model._default_manager.exclude(pk=exclude) if exclude else model._default_manager.all()
    while True:
        slug = f"{prefix}-{secrets.token_hex(3)}"  # random, so it says nothing about the case or how many there are
        former = model is Case and FormerSlug.objects.filter(slug=slug).exists()
        if not former and not taken.filter(slug=slug).exists():
            return slug


def case_slug(title, *, exclude=None):
    """The slug a case gets from its title when the editor leaves it empty."""
    return unique_slug(title, model=Case, prefix="case", max_length=220, exclude=exclude)


class PrimaryTumour(models.Model):
    name = models.CharField(
        verbose_name=_("name"), max_length=120, unique=True, help_text=_("PRESENTATION. e.g. 'Breast carcinoma'.")
    )
    slug = models.SlugField(verbose_name=_("slug"), max_length=140, unique=True)

    objects = SlugNaturalKeyManager()

    class Meta:
        verbose_name = _("primary tumour")
        verbose_name_plural = _("primary tumours")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(slug=""), name="primary_tumour_slug_not_empty")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self.name, model=PrimaryTumour, prefix="primary", max_length=140, exclude=self.pk)
        super().save(*args, **kwargs)

    def natural_key(self):
        return (self.slug,)


class DiagnosisQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries a resident may see: all but those that only draft or scheduled cases use (staff see every entry).

        An entry no case uses yet (a broader term, say) gives nothing away; one that only drafts use
        would announce a case still being written. Entries of cases held for an exam are shown: the
        exam's multiple-choice options and suggestions offer them, and an entry missing from the
        vocabulary would single out the held case's own.
        """
        return self if user.is_staff else self.for_residents()

    def for_residents(self):
        """Entries no draft alone gives away: used by a published or held case, or by no case at all."""
        rows = Differential.objects.filter(diagnosis=models.OuterRef("pk"))
        served = rows.filter(case__status__in=[Case.Status.PUBLISHED, Case.Status.HELD])
        return self.filter(~models.Exists(rows) | models.Exists(served))


class DiagnosisManager(SlugNaturalKeyManager.from_queryset(DiagnosisQuerySet)):
    pass


class Diagnosis(DerivedFieldsMixin, models.Model):
    name = models.CharField(
        verbose_name=_("name"), max_length=160, unique=True, help_text=_("ANSWER. The entity's usual name.")
    )
    slug = models.SlugField(verbose_name=_("slug"), max_length=180, unique=True)
    aliases = models.TextField(
        verbose_name=_("aliases"),
        blank=True,
        help_text=_(
            "ANSWER. Synonyms and abbreviations, one per line (e.g. 'IDEM metastasis'); "
            "free-text quiz answers are graded against the name and these."
        ),
    )
    summary = models.TextField(
        verbose_name=_("summary"),
        blank=True,
        help_text=_("ANSWER. Markdown: what the entity is, in our own words, cited."),
    )
    summary_html = models.TextField(verbose_name=_("summary html"), blank=True, editable=False)
    distinguishing_features = models.TextField(
        verbose_name=_("distinguishing features"),
        blank=True,
        help_text=_("ANSWER. Markdown: the imaging and clinical features that set it apart."),
    )
    distinguishing_features_html = models.TextField(
        verbose_name=_("distinguishing features html"), blank=True, editable=False
    )
    broader = models.ForeignKey(
        "self",
        verbose_name=_("broader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="narrower",
        help_text=_(
            "ANSWER. The broader entity this one is a kind of (e.g. 'Vertebral metastasis' for "
            "'Neuroendocrine tumour metastasis to the spine'). A resident who names a broader entity "
            "earns partial credit."
        ),
    )
    compartments = models.JSONField(
        verbose_name=_("compartments"),
        default=list,
        blank=True,
        help_text=_(
            "The compartments where a resident would weigh this entity (extradural, intradural "
            "extramedullary, intramedullary…): multiple-choice distractors are drawn from entities "
            "that share a compartment with the case."
        ),
    )

    objects = DiagnosisManager()
    markdown_fields = ("summary", "distinguishing_features")

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="diagnosis_slug_not_empty"),
            models.CheckConstraint(condition=~Q(broader=models.F("pk")), name="diagnosis_not_broader_than_itself"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self.name, model=Diagnosis, prefix="diagnosis", max_length=180, exclude=self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cases:diagnosis-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    def alias_list(self):
        """The aliases in every language, English first."""
        lines = "\n".join(getattr(self, field) or "" for field in in_each_language("aliases")).splitlines()
        return [line.strip() for line in lines if line.strip()]

    def aliases_shown(self):
        """The aliases in the page's language (or the other, where it has none), for reading."""
        return [line.strip() for line in (self.aliases or "").splitlines() if line.strip()]

    def names(self):
        """The name and every alias, in English and in French: what a resident may type for this
        entity, whatever the interface's language."""
        names = [getattr(self, field) for field in in_each_language("name")]
        return [name for name in names if name] + self.alias_list()

    def clean(self):
        """Compartments from the Compartment list; a broader term that is not, at any depth, this entity."""
        errors = {}
        compartments = self.compartments if isinstance(self.compartments, list) else [self.compartments]
        unknown = [value for value in compartments if value not in Compartment.values]
        if unknown:
            errors["compartments"] = gettext("Unknown compartment %(value)s; choose from: %(choices)s.") % {
                "value": repr(unknown[0]),
                "choices": ", ".join(Compartment.values),
            }
        seen, parent_id = set(), self.broader_id
        while parent_id is not None and parent_id not in seen:
            if self.pk is not None and parent_id == self.pk:
                errors["broader"] = _("A broader term cannot be one of this entity's own narrower terms (a cycle).")
                break
            seen.add(parent_id)
            parent_id = Diagnosis.objects.filter(pk=parent_id).values_list("broader_id", flat=True).first()
        if errors:
            raise ValidationError(errors)


# Cases ----------------------------------------------------------------------------------


class BitMaskField(models.PositiveBigIntegerField):
    """A set of options stored as one integer (bit n set: option n); filter with ``__has_any=mask``.

    64 bits, so levels and options can be added without overflowing a 32-bit column.
    """


@BitMaskField.register_lookup
class HasAny(models.Lookup):
    lookup_name = "has_any"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} & {rhs}) <> 0", (*lhs_params, *rhs_params)


# The columns the case list filters and counts on (cases.filters): all in the case_facets index.
FACET_COLUMNS = (
    "region_mask",
    "level_mask",
    "compartment_mask",
    "modality_mask",
    "known_primary",
    "sex",
    "age",
    "difficulty",
)


def visible_text(html):
    """What a reader sees of rendered, sanitised HTML: its text, without tags, link targets or comments."""
    return unescape(strip_tags(html))


def case_index_values(case, *, spans, findings):
    """A case's derived search and filter fields, from its level spans and imaging findings.

    The search text is what the case page shows before the reveal (the rendered presentation and
    findings), in English and in French, never text the page does not show, such as a link's
    address or a comment.
    """
    values = {"region_mask": 0, "level_mask": 0, "compartment_mask": 0, "modality_mask": 0}
    for span in spans:
        if span.first_level is None:
            values["region_mask"] |= REGION_BITS[span.region]
            continue
        for region in regions_between(span.first_level, span.last_level):
            values["region_mask"] |= REGION_BITS[region]
        for level in range(span.first_level, span.last_level + 1):
            values["level_mask"] |= level_bit(level)
    texts = [getattr(case, field) or "" for field in in_each_language("title")]
    texts += [visible_text(getattr(case, field) or "") for field in in_each_language("presentation_html")]
    for finding in findings:
        if finding.compartment:
            values["compartment_mask"] |= COMPARTMENT_BITS[finding.compartment]
        values["modality_mask"] |= MODALITY_BITS[finding.modality]
        for name in ("technique", "signal", "enhancement"):
            texts += [getattr(finding, field) or "" for field in in_each_language(name)]
        texts += [visible_text(getattr(finding, field) or "") for field in in_each_language("description_html")]
    values["search_text"] = fold("\n".join(texts))
    return values


def image_prefetches(answer):
    """The findings' ready image series, their frames and files: the presentation side only (no
    teaching captions, annotations or annotated copies are read) unless `answer`. Four queries
    however many frames."""
    from imaging.models import Frame, ImageFile, ImageSeries  # the images app builds on this one

    series = ImageSeries.objects.filter(status=ImageSeries.Status.READY)
    frames, files = Frame.objects.all(), ImageFile.objects.all()
    if not answer:
        series, frames = series.defer("answer_caption"), frames.defer("answer_caption")
        files = files.filter(kind=ImageFile.Kind.FRAME)
    prefetches = [
        Prefetch("findings__series", queryset=series),
        Prefetch("findings__series__frames", queryset=frames),
        Prefetch("findings__series__frames__files", queryset=files),
    ]
    if answer:
        prefetches.append("findings__series__frames__annotations")
    return prefetches


class CaseQuerySet(models.QuerySet):
    def published(self):
        """Cases residents may see."""
        return self.filter(status=Case.Status.PUBLISHED)

    def assignable(self):
        """Cases faculty may give as unknowns in an assignment: the library's and those held for assessment."""
        return self.filter(status__in=[Case.Status.PUBLISHED, Case.Status.HELD])

    def visible_to(self, user):
        """Published cases, and drafts too for staff (who preview them)."""
        return self if user.is_staff else self.published()

    def for_list(self):
        """What a case card needs: spans, findings' modalities, the known primary."""
        return (
            self.select_related("known_primary")
            .prefetch_related(
                "level_spans",
                Prefetch(
                    "findings",
                    queryset=ImagingFinding.objects.only("id", "case_id", "order", "modality", "compartment"),
                ),
            )
            .defer(*Case.ANSWER_FIELDS, "presentation", "presentation_html", "search_text")
        )

    def for_detail(self):
        """The pre-reveal page: presentation side only; answer columns are not even read."""
        return (
            self.select_related("known_primary")
            .prefetch_related("level_spans", "findings", *image_prefetches(answer=False))
            .defer(*Case.ANSWER_FIELDS)
        )

    def for_answer(self):
        """The answer page: everything, with differentials' diagnoses and references."""
        return self.select_related("known_primary").prefetch_related(
            "level_spans",
            "findings",
            *image_prefetches(answer=True),
            Prefetch("differentials", queryset=Differential.objects.select_related("diagnosis")),
            "references",
        )

    def search(self, query):
        """Cases whose presentation-side text (title, presentation, findings) holds every word of the query.

        Accent- and case-blind: the query is folded like the stored search_text.
        """
        qs = self
        for word in fold(query).split():
            qs = qs.filter(search_text__contains=word)
        return qs

    def in_region(self, region):
        """Cases with levels in the region (or naming it, where no level is stated)."""
        return self.filter(region_mask__has_any=REGION_BITS[region])

    def at_level(self, level):
        """Cases with a stated span that includes this level."""
        return self.filter(level_mask__has_any=level_bit(level))


class CaseManager(models.Manager.from_queryset(CaseQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Case(DerivedFieldsMixin, models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    class Difficulty(models.IntegerChoices):
        FOUNDATION = 1, _("Foundation")
        INTERMEDIATE = 2, _("Intermediate")
        ADVANCED = 3, _("Advanced")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held for assessment")
        PUBLISHED = "published", _("Published")

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        FRENCH = "fr", _("French")
        SPANISH = "es", _("Spanish")
        GERMAN = "de", _("German")
        ITALIAN = "it", _("Italian")
        PORTUGUESE = "pt", _("Portuguese")
        JAPANESE = "ja", _("Japanese")

    class Proof(models.TextChoices):
        HISTOLOGY = "histology", _("Histology")
        CULTURE = "culture", _("Culture")
        IMAGING = "imaging", _("Imaging")
        FOLLOW_UP = "follow_up", _("Clinical and imaging follow-up")
        NOT_STATED = "not_stated", _("Not stated in the source")

    # Presentation side
    title = models.CharField(
        verbose_name=_("title"),
        max_length=200,
        help_text=format_lazy(
            "{}{}",
            PRESENTATION,
            _(
                "A neutral title describing the presentation, never the diagnosis: "
                "e.g. '52-year-old woman with progressive left leg heaviness'."
            ),
        ),
    )
    slug = models.SlugField(
        verbose_name=_("slug"), max_length=220, unique=True, help_text=_("Made from the title; it appears in the URL.")
    )
    age = models.PositiveSmallIntegerField(
        verbose_name=_("age"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(120)],
        help_text=format_lazy(
            "{}{}", PRESENTATION, _("Age in years at presentation. Leave empty when the source does not give it.")
        ),
    )
    sex = models.CharField(
        verbose_name=_("sex"),
        max_length=6,
        choices=Sex,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("Leave 'not stated' when the source does not say.")),
    )
    presentation = models.TextField(
        verbose_name=_("presentation"),
        help_text=format_lazy(
            "{}{}", PRESENTATION, _("Markdown: the clinical presentation and history, up to the imaging.")
        ),
    )
    presentation_html = models.TextField(verbose_name=_("presentation html"), blank=True, editable=False)
    known_primary = models.ForeignKey(
        PrimaryTumour,
        verbose_name=_("known primary"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=format_lazy(
            "{}{}",
            PRESENTATION,
            _("Only a primary tumour already known at presentation; one the work-up discovers belongs in the answer."),
        ),
    )
    difficulty = models.PositiveSmallIntegerField(
        verbose_name=_("difficulty"),
        choices=Difficulty,
        default=Difficulty.INTERMEDIATE,
        help_text=format_lazy("{}{}", PRESENTATION, _("For filtering.")),
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        db_index=True,
        help_text=_(
            "Drafts are visible only to staff. Scheduled cases join the library at their publication time; "
            "held cases are served only as unknowns inside assignments until their release."
        ),
    )
    publish_at = models.DateTimeField(
        verbose_name=_("publish at"),
        null=True,
        blank=True,
        help_text=_("Optional: once published, the case stays out of the library until this date and time."),
    )
    held_until = models.DateTimeField(
        verbose_name=_("held until"),
        null=True,
        blank=True,
        help_text=_(
            "Optional: held for assessment (an exam) until this date and time. Until then residents can "
            "neither find nor open it; it is served only inside assignments."
        ),
    )
    source_language = models.CharField(
        verbose_name=_("source language"),
        max_length=2,
        choices=Language,
        default=Language.ENGLISH,
        help_text=_("The language of the source document this case was written from."),
    )
    is_synthetic = models.BooleanField(
        verbose_name=_("is synthetic"),
        default=False,
        editable=False,
        db_index=True,
        help_text=_("Made up by seed_synthetic_cases for load testing; never a real teaching case."),
    )

    # Answer side
    proven_by = models.CharField(
        verbose_name=_("proven by"),
        max_length=12,
        choices=Proof,
        default=Proof.NOT_STATED,
        help_text=format_lazy("{}{}", ANSWER, _("How the final diagnosis was established.")),
    )
    proof_details = models.CharField(
        verbose_name=_("proof details"),
        max_length=300,
        blank=True,
        help_text=format_lazy(
            "{}{}", ANSWER, _("One line, e.g. 'CT-guided disc aspiration grew coagulase-negative staphylococci'.")
        ),
    )
    discussion = models.TextField(
        verbose_name=_("discussion"), blank=True, help_text=format_lazy("{}{}", ANSWER, _("Markdown."))
    )
    discussion_html = models.TextField(verbose_name=_("discussion html"), blank=True, editable=False)
    teaching_points = models.TextField(
        verbose_name=_("teaching points"),
        blank=True,
        help_text=format_lazy("{}{}", ANSWER, _("Markdown, usually a short list.")),
    )
    teaching_points_html = models.TextField(verbose_name=_("teaching points html"), blank=True, editable=False)
    management_outcome = models.TextField(
        verbose_name=_("management outcome"),
        blank=True,
        help_text=format_lazy(
            "{}{}", ANSWER, _("Markdown: treatment and outcome, only as far as the source reports them.")
        ),
    )
    management_outcome_html = models.TextField(verbose_name=_("management outcome html"), blank=True, editable=False)

    # Derived from the case and its findings and spans by refresh_case_index(), for the list's
    # search and filters: accent-folded text of the presentation side, and which regions, levels,
    # compartments and modalities the case involves (bit masks, see anatomy.py).
    search_text = models.TextField(verbose_name=_("search text"), blank=True, editable=False)
    # The list's thumbnail: a presentation-side frame of the case's first shown series (imaging keeps it).
    key_image = models.CharField(verbose_name=_("key image"), max_length=100, blank=True, editable=False)
    region_mask = BitMaskField(verbose_name=_("region mask"), default=0, editable=False)
    level_mask = BitMaskField(verbose_name=_("level mask"), default=0, editable=False)
    compartment_mask = BitMaskField(verbose_name=_("compartment mask"), default=0, editable=False)
    modality_mask = BitMaskField(verbose_name=_("modality mask"), default=0, editable=False)

    # Bookkeeping
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), default=timezone.now, editable=False)
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CaseManager()
    markdown_fields = ("presentation", "discussion", "teaching_points", "management_outcome")
    ANSWER_FIELDS = (
        "proven_by",
        "proof_details",
        "discussion",
        "discussion_html",
        "teaching_points",
        "teaching_points_html",
        "management_outcome",
        "management_outcome_html",
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["title", "pk"]  # the pk breaks ties, so pages are stable on every database
        permissions = [
            ("publish_case", "Can publish cases"),
            ("view_held_case", "Can see cases held for assessment"),
        ]
        indexes = [
            # The list's order in each language to the last tiebreak, so that a page reads only its own
            # rows, even where titles tie; and the newest edit.
            *(
                models.Index(F("status"), shown_title(language), F("id"), name=f"case_list_order_{language}")
                for language in CONTENT_LANGUAGES
            ),
            # The other sorts' first key: the database reads the cases in that order, sorting only
            # those that tie on it by title (an incremental sort); read backwards for the reverse.
            models.Index(F("status"), SORT_KEYS["age"], name="case_sort_age"),
            models.Index(F("status"), SORT_KEYS["-age"], name="case_sort_age_oldest"),
            models.Index(F("status"), SORT_KEYS["recent"], name="case_sort_recent"),
            models.Index(fields=["updated_at"], name="case_updated_at"),
            # Everything the list's filters and counts read, so they scan this index, not the table.
            models.Index(fields=[*FACET_COLUMNS, "status"], name="case_facets"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=["", "female", "male"]), name="case_sex_valid"),
            models.CheckConstraint(condition=Q(difficulty__in=[1, 2, 3]), name="case_difficulty_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "scheduled", "held", "published"]), name="case_status_valid"
            ),
            models.CheckConstraint(condition=Q(age__isnull=True) | Q(age__lte=120), name="case_age_plausible"),
            models.CheckConstraint(condition=~Q(slug=""), name="case_slug_not_empty"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = case_slug(self.title, exclude=self.pk)
        self.updated_at = timezone.now()
        self.settle_status(self.updated_at)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "slug" not in update_fields:
            super().save(*args, **kwargs)
            return
        before = Case.objects.filter(pk=self.pk).values("slug", "status").first() if self.pk else None
        super().save(*args, **kwargs)
        if before and before["slug"] == self.slug:
            return
        # A live slug wins over a former one: the case now served here takes the address back.
        FormerSlug.objects.filter(slug=self.slug).delete()
        if before and before["status"] == Case.Status.PUBLISHED:
            # Residents may have bookmarked the old address: it redirects here from now on.
            FormerSlug.objects.update_or_create(slug=before["slug"], defaults={"case": self})

    def get_absolute_url(self):
        return reverse("cases:case-detail", args=[self.slug])

    def get_answer_url(self):
        return reverse("cases:case-answer", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def is_held(self):
        return self.status == self.Status.HELD

    def settle_status(self, now):
        """A case past draft is scheduled until ``publish_at``, then held until ``held_until`` (or until
        released by hand, when held with no date), then published. Returns whether the status changed."""
        if self.status == self.Status.DRAFT:
            return False
        before = self.status
        if self.publish_at and self.publish_at > now:
            self.status = self.Status.SCHEDULED
        elif self.held_until and self.held_until > now:
            self.status = self.Status.HELD
        elif self.status == self.Status.HELD and self.held_until is None:
            pass  # held until faculty or an editor release it
        else:
            self.status = self.Status.PUBLISHED
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            # Joins the library at the time it was due (or now): "Recently published" lists it first.
            self.published_at = max((t for t in (self.publish_at, self.held_until) if t and t <= now), default=now)
        return before != self.status

    # These read prefetched relations (for_list / for_detail), so they cost no query there.
    def regions(self):
        found = set()
        for span in self.level_spans.all():
            found.update(span.regions())
        return [r for r in Region if r in found]

    def levels_label(self):
        return ", ".join(span.label() for span in self.level_spans.all())

    def stated_levels_label(self):
        return ", ".join(span.label() for span in self.level_spans.all() if span.first_level is not None)

    def involved_levels(self):
        """Levels marked on the spine diagram (exact spans only)."""
        marked = set()
        for span in self.level_spans.all():
            if span.first_level is not None:
                marked.update(range(span.first_level, span.last_level + 1))
        return marked

    def unlevelled_regions(self):
        return {span.region for span in self.level_spans.all() if span.first_level is None}

    def modalities(self):
        seen = []
        for finding in self.findings.all():
            if finding.modality not in seen:
                seen.append(finding.modality)
        return [Modality(m).label for m in seen]

    def final_differential(self):
        return next((d for d in self.differentials.all() if d.is_final), None)

    def has_images(self):
        """Whether a finding shows an image series (from the page's prefetch: no query)."""
        return any(finding.series.all() for finding in self.findings.all())


class FormerSlug(models.Model):
    """A slug a published case was once served at: its old URL redirects permanently to the case."""

    slug = models.SlugField(verbose_name=_("slug"), max_length=220, unique=True)
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="former_slugs")
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("former slug")
        verbose_name_plural = _("former slugs")
        constraints = [models.CheckConstraint(condition=~Q(slug=""), name="former_slug_not_empty")]

    def __str__(self):
        return self.slug


class ChildNaturalKeyManager(models.Manager):
    """Rows ordered within a case are known by (case slug, order)."""

    def get_by_natural_key(self, case_slug, order):
        return self.get(case__slug=case_slug, order=order)


class LevelSpan(LevelSpanMixin, models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="level_spans")
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=1)
    first_level = models.PositiveSmallIntegerField(
        verbose_name=_("first level"),
        choices=Level,
        null=True,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("Highest level involved.")),
    )
    last_level = models.PositiveSmallIntegerField(
        verbose_name=_("last level"),
        choices=Level,
        null=True,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("Lowest level involved (same as first for one level).")),
    )
    region = models.CharField(
        verbose_name=_("region"),
        max_length=10,
        choices=Region,
        blank=True,
        help_text=format_lazy(
            "{}{}",
            PRESENTATION,
            _(
                "Only when the source names the region but not the level; otherwise leave "
                "empty, the region follows from the levels."
            ),
        ),
    )

    objects = ChildNaturalKeyManager()

    class Meta:
        verbose_name = _("involved levels")
        verbose_name_plural = _("involved levels")
        ordering = ["case", "order"]
        constraints = [
            models.UniqueConstraint(fields=["case", "order"], name="level_span_order_unique"),
            *level_span_constraints("level_span"),
            models.CheckConstraint(
                condition=(
                    Q(first_level__isnull=False, region="")
                    | Q(first_level__isnull=True, region__in=[r.value for r in Region])
                ),
                name="level_span_levels_or_region",
                violation_error_message=_("Give the levels, or (only when the source gives no level) the region."),
            ),
        ]

    def __str__(self):
        return self.label()

    def natural_key(self):
        return (self.case.slug, self.order)

    natural_key.dependencies = ["cases.case"]

    def regions(self):
        if self.first_level is None:
            return [Region(self.region)]
        return regions_between(self.first_level, self.last_level)

    def label(self):
        if self.first_level is None:
            return gettext("%(region)s, level not stated") % {"region": Region(self.region).label}
        return self.levels_label


class ImagingFinding(DerivedFieldsMixin, LevelSpanMixin, models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="findings")
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=1)
    modality = models.CharField(verbose_name=_("modality"), max_length=12, choices=Modality, help_text=PRESENTATION)
    technique = models.CharField(
        verbose_name=_("technique"),
        max_length=120,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("Sequence or technique: T1, T2, STIR, post-contrast T1…")),
    )
    plane = models.CharField(verbose_name=_("plane"), max_length=12, choices=Plane, blank=True, help_text=PRESENTATION)
    first_level = models.PositiveSmallIntegerField(
        verbose_name=_("first level"), choices=Level, null=True, blank=True, help_text=PRESENTATION
    )
    last_level = models.PositiveSmallIntegerField(
        verbose_name=_("last level"), choices=Level, null=True, blank=True, help_text=PRESENTATION
    )
    compartment = models.CharField(
        verbose_name=_("compartment"), max_length=30, choices=Compartment, blank=True, help_text=PRESENTATION
    )
    signal = models.CharField(
        verbose_name=_("signal"),
        max_length=200,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("Signal or density, where stated.")),
    )
    enhancement = models.CharField(
        verbose_name=_("enhancement"),
        max_length=200,
        blank=True,
        help_text=format_lazy("{}{}", PRESENTATION, _("Where stated.")),
    )
    description = models.TextField(
        verbose_name=_("description"),
        help_text=format_lazy("{}{}", PRESENTATION, _("Markdown: what is seen, descriptively. Not the conclusion.")),
    )
    description_html = models.TextField(verbose_name=_("description html"), blank=True, editable=False)

    objects = ChildNaturalKeyManager()
    markdown_fields = ("description",)

    class Meta:
        verbose_name = _("imaging finding")
        verbose_name_plural = _("imaging findings")
        ordering = ["case", "order"]
        constraints = [
            models.UniqueConstraint(fields=["case", "order"], name="finding_order_unique"),
            *level_span_constraints("finding"),
            models.CheckConstraint(
                condition=Q(modality__in=[m.value for m in Modality]), name="finding_modality_valid"
            ),
            models.CheckConstraint(
                condition=Q(compartment__in=["", *[c.value for c in Compartment]]), name="finding_compartment_valid"
            ),
            models.CheckConstraint(condition=Q(plane__in=["", *[p.value for p in Plane]]), name="finding_plane_valid"),
        ]

    def __str__(self):
        return f"{self.get_modality_display()} {self.technique}".strip()

    def natural_key(self):
        return (self.case.slug, self.order)

    natural_key.dependencies = ["cases.case"]


class DifferentialManager(models.Manager):
    def get_by_natural_key(self, case_slug, diagnosis_slug):
        return self.get(case__slug=case_slug, diagnosis__slug=diagnosis_slug)


class Differential(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="differentials")
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=1)
    diagnosis = models.ForeignKey(
        Diagnosis, verbose_name=_("diagnosis"), on_delete=models.PROTECT, related_name="differentials"
    )
    is_final = models.BooleanField(
        verbose_name=_("is final"),
        default=False,
        help_text=format_lazy("{}{}", ANSWER, _("Tick for the proven diagnosis. Exactly one per case.")),
    )
    favours = models.TextField(
        verbose_name=_("favours"),
        blank=True,
        help_text=format_lazy("{}{}", ANSWER, _("What in this case speaks for it.")),
    )
    against = models.TextField(
        verbose_name=_("against"),
        blank=True,
        help_text=format_lazy("{}{}", ANSWER, _("What in this case speaks against it.")),
    )

    objects = DifferentialManager()

    class Meta:
        verbose_name = _("differential")
        verbose_name_plural = _("differentials")
        ordering = ["case", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(is_final=True),
                name="one_final_diagnosis_per_case",
                violation_error_message=_("A case has exactly one final diagnosis."),
            ),
            models.UniqueConstraint(
                fields=["case", "diagnosis"],
                name="differential_diagnosis_once_per_case",
                violation_error_message=_("This diagnosis is already in the case's differential."),
            ),
        ]

    def __str__(self):
        return f"{self.diagnosis} ({'final' if self.is_final else 'differential'})"

    def natural_key(self):
        return (self.case.slug, self.diagnosis.slug)

    natural_key.dependencies = ["cases.case", "cases.diagnosis"]


class Reference(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="references")
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=1)
    is_source = models.BooleanField(
        verbose_name=_("is source"),
        default=False,
        help_text=format_lazy("{}{}", ANSWER, _("Tick for the document this case was written from (one per case).")),
    )
    citation = models.TextField(
        verbose_name=_("citation"),
        help_text=format_lazy("{}{}", ANSWER, _("Authors, title, journal, year, as the source gives them.")),
    )
    doi = models.CharField(
        verbose_name=_("doi"), max_length=200, blank=True, validators=[doi_validator], help_text=ANSWER
    )
    pmid = models.CharField(
        verbose_name=_("pmid"), max_length=9, blank=True, validators=[pmid_validator], help_text=ANSWER
    )
    url = models.URLField(verbose_name=_("url"), blank=True, help_text=ANSWER)

    objects = ChildNaturalKeyManager()

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["case", "order"]
        constraints = [
            models.UniqueConstraint(fields=["case", "order"], name="reference_order_unique"),
            models.UniqueConstraint(fields=["case"], condition=Q(is_source=True), name="one_source_per_case"),
        ]

    def __str__(self):
        return self.citation[:80]

    def natural_key(self):
        return (self.case.slug, self.order)

    natural_key.dependencies = ["cases.case"]

    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def pubmed_url(self):
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""


class FacetTotal(models.Model):
    """How many published cases have each value of a column the list's facets read: each bit of a
    mask, each primary, sex, age and difficulty, and ("*", "") all of them.

    Kept by database triggers (migration 0017) on every insert, update and delete of a case, whatever
    wrote it (a save, a queryset update, a fixture, a bulk seed), in the same transaction (on
    PostgreSQL at its commit): the list with no filter and no search reads its counts from these few
    rows instead of every case. A later migration that makes SQLite rebuild cases_case (a field
    added with a default, a field altered) drops its triggers: it must create them again (the SQL
    is in 0017). `migrate` stops with an error when they are missing (cases.signals), so such a
    migration cannot reach a database unnoticed, nor leave the list's counts silently wrong.
    """

    # The triggers migration 0017 creates on cases_case, by database.
    TRIGGERS = {
        "sqlite": {"cases_facettotal_insert", "cases_facettotal_delete", "cases_facettotal_update"},
        "postgresql": {"cases_facettotal_count", "cases_facettotal_truncate"},
    }

    column = models.CharField(max_length=40)
    key = models.CharField(max_length=40, blank=True)  # "" where a case states no value
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["column", "key"], name="facet_total_unique")]

    def __str__(self):
        return f"{self.column}={self.key}: {self.n}"


class ContentVersion(models.Model):
    """One row whose token changes with every save or deletion of case content.

    Cached pages are keyed on it, so an edit (a case, a finding, a renamed diagnosis…) shows at
    once. A random token, not a counter: a restored backup can never bring back an old key.
    """

    token = models.CharField(verbose_name=_("token"), max_length=32)
    next_release = models.FloatField(
        verbose_name=_("next release"),
        null=True,
        blank=True,
        help_text=_("When the next scheduled or held case joins the library (a Unix time), if any."),
    )

    class Meta:
        verbose_name = _("content version")
        verbose_name_plural = _("content versions")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="content_version_single_row")]

    def __str__(self):
        return self.token

    @classmethod
    def current(cls):
        """The token, after letting in any scheduled or held case whose time has come.

        Read on every cached page, so plain SQL rather than a queryset to compile each time. The
        release time rides along in the same row: a case joins the library on the first request after
        its time, on every server, with no worker and no extra query.
        """
        connection = connections[router.db_for_read(cls)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT token, next_release FROM {connection.ops.quote_name(cls._meta.db_table)} WHERE id = 1"
            )
            row = cursor.fetchone()
        if row is None:
            return ""
        token, next_release = row
        if next_release is not None and next_release <= time.time():
            release_due_cases()
            token = cls.objects.values_list("token", flat=True).get(pk=1)
        return token

    @classmethod
    def bump(cls):
        values = {"token": uuid.uuid4().hex, "next_release": next_release_time()}
        if not cls.objects.filter(pk=1).update(**values):
            cls.objects.create(pk=1, **values)


def next_release_time():
    """When the next scheduled or held case is due to join the library (a Unix time), or None."""
    pending = Case.objects.filter(status__in=[Case.Status.SCHEDULED, Case.Status.HELD]).aggregate(
        scheduled=models.Min("publish_at", filter=Q(status=Case.Status.SCHEDULED)),
        held=models.Min("held_until", filter=Q(status=Case.Status.HELD)),
    )
    times = [t for t in pending.values() if t is not None]
    return min(times).timestamp() if times else None


def release_due_cases(now=None):
    """Publish the scheduled and held cases whose time has come; the cached pages are renewed. Returns them."""
    now = now or timezone.now()
    due = Case.objects.filter(
        Q(status=Case.Status.SCHEDULED, publish_at__lte=now) | Q(status=Case.Status.HELD, held_until__lte=now)
    )
    released = []
    with transaction.atomic(using=router.db_for_write(Case)), batched_edits():
        for case in due.select_for_update().defer(*Case.ANSWER_FIELDS):
            if case.settle_status(now):
                case.save(update_fields=["status", "published_at", "updated_at"])
                released.append(case)
        content_changed()  # also records the next release time
    return released


def refresh_case_index(case_id):
    """Recompute a case's search text and filter masks from its rows (one UPDATE, no signal)."""
    case = Case.objects.filter(pk=case_id).only("title", "presentation_html").first()
    if case is None:  # deleted along with its rows
        return
    values = case_index_values(
        case,
        spans=LevelSpan.objects.filter(case_id=case_id),
        findings=ImagingFinding.objects.filter(case_id=case_id).only(
            "modality", "compartment", "technique", "signal", "enhancement", "description_html"
        ),
    )
    Case.objects.filter(pk=case_id).update(**values)


# Edits in a batch (an admin save, an import): each case's index is recomputed once and the
# content version changed once, when the batch ends, instead of once per row saved.
_batch = ContextVar("case_edit_batch", default=None)


@contextmanager
def batched_edits():
    """Within this block, recompute each edited case's index once, and bump the content version once, at the end."""
    if _batch.get() is not None:  # already inside a batch: the outer one finishes the work
        yield
        return
    pending = {"cases": set(), "content": False}
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    for case_id in sorted(pending["cases"]):
        refresh_case_index(case_id)
    if pending["content"]:
        ContentVersion.bump()


def case_rows_changed(case_id):
    """A case, one of its level spans or one of its findings was saved or deleted."""
    pending = _batch.get()
    if pending is None:
        refresh_case_index(case_id)
    else:
        pending["cases"].add(case_id)


def content_changed():
    """Something a page shows was saved or deleted: cached pages must be rendered anew."""
    pending = _batch.get()
    if pending is None:
        ContentVersion.bump()
    else:
        pending["content"] = True
