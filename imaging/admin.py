"""Editors upload, caption, check and annotate images here.

A series is added from a finding ("Add images" on the case's finding rows, or this admin): the files
(PNG, JPEG, WebP or DICOM, several at once or a zip) are checked and de-identified while the form is
saved, then rendered in the background; the list and the series page show the progress. A series
whose pixels may carry text (screenshots, ultrasound, secondary captures) is held until an editor
has looked at every frame and confirms. Frames are annotated on their own page.
"""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from cases.admin import SideBySide, side_by_side
from cases.editorial import describe_spoilers, spoilers
from cases.models import in_each_language

from .models import Annotation, Frame, ImageSeries
from .processing import Refused, prepare
from .services import attach_annotated_copy, confirm_no_burned_in_text, store_series

# Captions, alt text and teaching captions are written in English and French (imaging/translation.py).
PRESENTATION_FIELDS = (*in_each_language("caption"), *in_each_language("alt_text"))
SERIES_PRESENTATION_FIELDS = (*in_each_language("technique"), *PRESENTATION_FIELDS)
SERIES_FIELDS = (
    "modality",
    *in_each_language("technique"),
    "plane",
    *in_each_language("caption"),
    *in_each_language("alt_text"),
    *in_each_language("answer_caption"),
)
FRAME_TEXTS = (*in_each_language("caption"), *in_each_language("alt_text"), *in_each_language("answer_caption"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if self.required and not files:
            raise forms.ValidationError(gettext("Choose the image files (PNG, JPEG, WebP, DICOM) or a zip of them."))
        return [(file.name, file.read()) for file in files]


def final_names(finding):
    final = finding.case.differentials.filter(is_final=True).select_related("diagnosis").first()
    return final.diagnosis.names() if final else []


def check_spoilers(form, finding, fields=PRESENTATION_FIELDS):
    """The spoiler rule on captions and alt text, as on the case's title and findings."""
    if finding is None:
        return
    found = spoilers(((name, form.cleaned_data.get(name) or "") for name in fields), final_names(finding))
    for field, name in found:
        form.add_error(
            field,
            gettext("Shown before the reveal, so it must not name the answer: %(spoilers)s.")
            % {"spoilers": describe_spoilers([(field, name)])},
        )


class ImageSeriesForm(forms.ModelForm):
    files = MultipleFileField(
        required=False,
        label=_("Files"),
        help_text=_(
            "PNG, JPEG, WebP or DICOM (uncompressed), several at once or a zip. DICOM is de-identified "
            "(DICOM PS3.15 Annex E) before anything is stored; pictures are re-encoded without their metadata."
        ),
    )

    class Meta:
        model = ImageSeries
        fields = ["finding", "order", *SERIES_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        if self.instance.pk is None:
            self.fields["files"].required = True

    def clean(self):
        cleaned = super().clean()
        finding = cleaned.get("finding") or (self.instance.finding if self.instance.pk else None)
        check_spoilers(self, finding, SERIES_PRESENTATION_FIELDS)
        if cleaned.get("files"):
            # Checked and de-identified now, in memory: a refusal is shown on the form, nothing stored.
            try:
                cleaned["prepared"] = prepare(cleaned["files"])
            except Refused as refused:
                for message in refused.messages:
                    self.add_error("files", message)
            cleaned["files"] = None  # the originals go no further
        return cleaned


class FrameFormSet(forms.BaseInlineFormSet):
    """The series page's frame rows: captions and alt text, in either language, never name the answer."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if form.cleaned_data:
                check_spoilers(form, self.instance.finding)


class FrameInline(TranslationTabularInline):
    model = Frame
    formset = FrameFormSet
    fields = ["index", "picture", *FRAME_TEXTS, "annotate"]
    # A series can have hundreds of frames: small boxes keep its page readable.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}
    readonly_fields = ["index", "picture", "annotate"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Frame"))
    def picture(self, frame):
        files = frame.renditions()
        return format_html('<img src="{}" alt="" width="80">', files[0].get_absolute_url()) if files else "—"

    @admin.display(description=_("Annotations"))
    def annotate(self, frame):
        count = frame.annotations.count()
        return format_html(
            '<a href="{}">{} ({})</a>',
            reverse("admin:imaging_frame_change", args=[frame.pk]),
            gettext("Annotate"),
            count,
        )


@admin.register(ImageSeries)
class ImageSeriesAdmin(SideBySide, TranslationAdmin):
    form = ImageSeriesForm
    list_display = ["__str__", "case_title", "status_and_progress", "frames_expected", "created_at"]
    list_filter = ["status", "modality"]
    search_fields = [*in_each_language("caption"), *(f"finding__case__{name}" for name in in_each_language("title"))]
    raw_id_fields = ["finding"]
    readonly_fields = ["status_and_progress", "held_reason", "deidentification", "error"]
    actions = ["confirm_checked"]
    inlines = [FrameInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("finding__case")

    def get_fieldsets(self, request, obj=None):
        main = [
            "finding",
            "order",
            ("modality", "plane"),
            *side_by_side("technique", "caption", "alt_text", "answer_caption"),
        ]
        if obj is None:
            return [(None, {"fields": [*main, "files"]})]
        return [
            (None, {"fields": main}),
            (_("Processing"), {"fields": ["status_and_progress", "held_reason", "deidentification", "error"]}),
        ]

    def get_inlines(self, request, obj):
        return [FrameInline] if obj else []

    @admin.display(description=_("Case"))
    def case_title(self, series):
        return series.finding.case.title

    @admin.display(description=_("Status"))
    def status_and_progress(self, series):
        if series.status == ImageSeries.Status.HELD:
            return format_html(
                "<strong>{}</strong> {}. {}",
                gettext("Held:"),
                series.held_reason,
                gettext(
                    "Look at every frame for names, dates or ID numbers in the pixels; "
                    "then select it in the list and choose “Confirm: no text in the pixels”."
                ),
            )
        return series.progress_label()

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {name: form.cleaned_data.get(name) or "" for name in SERIES_FIELDS}
        series = store_series(
            finding=form.cleaned_data["finding"],
            prepared=form.cleaned_data["prepared"],
            order=form.cleaned_data.get("order"),
            **fields,
        )
        obj.pk = series.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description=_("Confirm: no text in the pixels (every frame checked)"))
    def confirm_checked(self, request, queryset):
        held = list(queryset.filter(status=ImageSeries.Status.HELD))
        for series in held:
            confirm_no_burned_in_text(series)
        self.message_user(
            request,
            ngettext("%(count)d series released.", "%(count)d series released.", len(held)) % {"count": len(held)},
        )


class AnnotationInline(TranslationTabularInline):
    model = Annotation
    fields = ["shape", "x1", "y1", "x2", "y2", *in_each_language("label")]
    extra = 3


class FrameForm(forms.ModelForm):
    annotated_copy = forms.FileField(
        required=False,
        label=_("Annotated copy"),
        help_text=_("Optional, answer side: a copy of this frame with your own marks (PNG, JPEG or WebP)."),
    )

    class Meta:
        model = Frame
        fields = list(FRAME_TEXTS)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            check_spoilers(self, self.instance.series.finding)
        upload = cleaned.get("annotated_copy")
        if upload:
            cleaned["annotated_copy"] = (upload.name, upload.read())
        return cleaned


@admin.register(Frame)
class FrameAdmin(TranslationAdmin):
    form = FrameForm
    inlines = [AnnotationInline]
    readonly_fields = ["drawing"]
    fields = ["drawing", *side_by_side("caption", "alt_text", "answer_caption"), "annotated_copy"]

    class Media:
        js = ["js/annotate.js"]
        css = {"all": ["css/annotate.css", "css/languages.css"]}

    def has_module_permission(self, request):
        return False  # reached from its series

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("Frame"))
    def drawing(self, frame):
        files = frame.renditions()
        if not files:
            return gettext("Not rendered yet.")
        picture = files[-1]
        existing = format_html_join(
            "",
            '<li data-shape="{}" data-x1="{}" data-y1="{}" data-x2="{}" data-y2="{}">{} {}</li>',
            (
                (a.shape, a.x1, a.y1, a.x2 or "", a.y2 or "", a.get_shape_display(), a.label)
                for a in frame.annotations.all()
            ),
        )
        return format_html(
            '<div class="annotator" data-annotator>'
            '<img src="{}" width="{}" height="{}" alt="{}" class="annotator__image">'
            '<ul class="annotator__existing">{}</ul></div>'
            '<p class="help">{}</p>'
            '<p><a href="{}">{}</a></p>',
            picture.get_absolute_url(),
            picture.width,
            picture.height,
            gettext("Frame %(index)s of the series") % {"index": frame.index},
            existing,
            gettext(
                "Draw with the mouse (press, drag, release), or with the keyboard: focus the frame, "
                "move the cross with the arrow keys (Shift for larger steps), press Enter at the start and again at "
                "the end. Choose the shape first in the next empty row below; the row's numbers are filled in for "
                "you (fractions of the width and height, 0 to 1). Without JavaScript, type them."
            ),
            frame.series.get_admin_url(),
            gettext("Back to the series “%(series)s”") % {"series": frame.series},
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        copy = form.cleaned_data.get("annotated_copy")
        if copy:
            try:
                attach_annotated_copy(obj, *copy)
            except Refused as refused:
                for message in refused.messages:
                    self.message_user(request, message, messages.ERROR)
