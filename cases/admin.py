"""The admin is the authoring tool: faculty write, review and publish cases here."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Count, Prefetch
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from .anatomy import Compartment
from .editorial import (
    PublishRefused,
    cases_spoiled_by,
    describe_spoilers,
    hold_case,
    merge_diagnoses,
    publish_case,
    release_case,
    unpublish_case,
)
from .filters import FIXED_FACETS
from .forms import CaseForm, DifferentialFormSet, ImagingFindingFormSet, OrderedInlineFormSet, OrderedRowForm
from .models import (
    Case,
    Diagnosis,
    Differential,
    ImagingFinding,
    LevelSpan,
    PrimaryTumour,
    Reference,
    batched_edits,
    in_each_language,
    unique_slug,
)


def side_by_side(*names):
    """Fieldset rows with each translated field's English and French columns next to each other."""
    return [tuple(in_each_language(name)) for name in names]


class SideBySide:
    """The stylesheet that lays a translated field's two boxes out next to each other."""

    class Media:
        css = {"all": ["css/languages.css"]}


def list_spoiled(spoiled):
    """“Title” (title names “X”); “Other title” (imaging finding 1: signal names “Y”)."""
    return "; ".join(f"“{case.title}” ({describe_spoilers(found)})" for case, found in spoiled)


class SelectedIdsAreChecked:
    """Actions on rows the page posts by id: an id that is not a number is a message, not a server error."""

    def response_action(self, request, queryset):
        ids = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if not all(re.fullmatch(r"[0-9]{1,18}", value) for value in ids):
            self.message_user(
                request,
                gettext(
                    "The selection holds something that is not an entry of this list; "
                    "nothing was done. Select the entries again."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


def facet_list_filter(facet):
    """The admin's list filter for one of the case list's facets, with the same options and test."""

    class FacetListFilter(admin.SimpleListFilter):
        title = lazy(lambda: str(facet.label).lower(), str)()
        parameter_name = facet.name

        def lookups(self, request, model_admin):
            return facet.choices()

        def queryset(self, request, queryset):
            return queryset.filter(facet.q(self.value())) if self.value() in facet.options else queryset

    return FacetListFilter


class OrderedInline:
    form = OrderedRowForm
    formset = OrderedInlineFormSet
    extra = 1


class LevelSpanInline(OrderedInline, admin.TabularInline):
    model = LevelSpan
    fields = ["order", "first_level", "last_level", "region"]
    verbose_name_plural = _("Involved levels (presentation)")


class ImagingFindingInline(OrderedInline, TranslationStackedInline):
    model = ImagingFinding
    formset = ImagingFindingFormSet
    fields = [
        "order",
        ("modality", "plane"),
        ("first_level", "last_level", "compartment"),
        *side_by_side("technique", "signal", "enhancement", "description"),
        "images",
    ]
    readonly_fields = ["images"]
    verbose_name_plural = _("Imaging findings (presentation)")

    @admin.display(description=_("Images"))
    def images(self, finding):
        if not finding.pk:
            return gettext("Save the case, then add images to this finding.")
        series = finding.series.all()
        listed = format_html_join(
            "", '<li><a href="{}">{}</a> ({})</li>', ((s.get_admin_url(), s, s.progress_label()) for s in series)
        )
        add = reverse("admin:imaging_imageseries_add") + f"?finding={finding.pk}"
        return format_html(
            '<ul class="images-list">{}</ul><a href="{}">{}</a>', listed, add, gettext("Add images to this finding")
        )


class DifferentialInline(OrderedInline, TranslationTabularInline):
    model = Differential
    formset = DifferentialFormSet
    fields = ["order", "diagnosis", "is_final", *in_each_language("favours"), *in_each_language("against")]
    extra = 2
    # Two full-size textareas per row would push the table far past the page's width.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 36})}}
    verbose_name_plural = _("Differential diagnoses (answer)")


class ReferenceInline(OrderedInline, admin.TabularInline):
    model = Reference
    fields = ["order", "is_source", "citation", "doi", "pmid", "url"]
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 40})},
    }
    verbose_name_plural = _("References (answer)")


@admin.register(Case)
class CaseAdmin(SideBySide, SelectedIdsAreChecked, TranslationAdmin):
    form = CaseForm
    fieldsets = [
        (
            _("Presentation"),
            {
                "description": _(
                    "PRESENTATION: what residents see before they reveal the answer. "
                    "Nothing here may name or hint at the diagnosis."
                ),
                "fields": [
                    *side_by_side("title"),
                    "slug",
                    ("age", "sex"),
                    "known_primary",
                    *side_by_side("presentation"),
                    "difficulty",
                ],
            },
        ),
        (
            _("Answer"),
            {
                "description": _("ANSWER: shown only after the reveal, with the differentials and references below."),
                "fields": [
                    "proven_by",
                    *side_by_side("proof_details", "discussion", "teaching_points", "management_outcome"),
                ],
            },
        ),
        (
            _("Publication"),
            {
                "description": _(
                    "New cases are drafts, seen only by staff. Publish them with the action on the case list: "
                    "with a future “publish at” the case is scheduled, with a future “held until” it is held for "
                    "assessment (served only inside assignments); either joins the library at its time."
                ),
                "fields": ["source_language", "status", "publish_at", "held_until", "published_at", "published_by"],
            },
        ),
    ]
    readonly_fields = ["status", "published_at", "published_by"]
    prepopulated_fields = {"slug": ["title_en"]}
    inlines = [LevelSpanInline, ImagingFindingInline, DifferentialInline, ReferenceInline]
    list_display = ["title", "status", "final_diagnosis", "levels", "known_primary", "published_at"]
    list_filter = [
        "status",
        *(facet_list_filter(FIXED_FACETS[name]) for name in ("region", "compartment", "modality")),
        "difficulty",
        "source_language",
    ]
    list_select_related = ["known_primary"]
    search_fields = [
        *in_each_language("title"),
        "slug",
        *in_each_language("presentation"),
        *(f"differentials__diagnosis__{name}" for name in in_each_language("name")),
    ]
    actions = ["publish", "hold", "release", "unpublish"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                "level_spans",
                Prefetch("differentials", queryset=Differential.objects.select_related("diagnosis")),
            )
        )

    @admin.display(description=_("final diagnosis"))
    def final_diagnosis(self, case):
        final = case.final_differential()
        return final.diagnosis if final else "—"

    @admin.display(description=_("levels"))
    def levels(self, case):
        return case.levels_label()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # One save of the page writes the case and every inline row: index the case and renew the
        # cached pages once, inside the same transaction, rather than once per row.
        with transaction.atomic(using=router.db_for_write(Case)), batched_edits():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def has_publish_permission(self, request):
        return request.user.has_perm("cases.publish_case")

    @admin.action(description=_("Publish selected cases"), permissions=["publish"])
    def publish(self, request, queryset):
        published = 0
        for case in queryset.filter(status=Case.Status.DRAFT):
            try:
                publish_case(case=case, by=request.user)
            except PublishRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                continue
            self.log_change(request, case, "Published.")
            published += 1
        if published:
            self.message_user(request, ngettext("Published %d case.", "Published %d cases.", published) % published)

    @admin.action(description=_("Hold selected cases for assessment (until released)"), permissions=["publish"])
    def hold(self, request, queryset):
        held = 0
        for case in queryset.exclude(status=Case.Status.HELD):
            try:
                hold_case(case=case, by=request.user)
            except PublishRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                continue
            self.log_change(request, case, "Held for assessment.")
            held += 1
        if held:
            self.message_user(request, ngettext("Held %d case.", "Held %d cases.", held) % held)

    @admin.action(
        description=_("Release selected held or scheduled cases into the library now"), permissions=["publish"]
    )
    def release(self, request, queryset):
        cases = list(queryset.filter(status__in=[Case.Status.HELD, Case.Status.SCHEDULED]))
        for case in cases:
            release_case(case=case, by=request.user)
            self.log_change(request, case, "Released into the library.")
        self.message_user(request, ngettext("Released %d case.", "Released %d cases.", len(cases)) % len(cases))

    @admin.action(description=_("Unpublish selected cases (back to draft)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        cases = list(queryset.exclude(status=Case.Status.DRAFT))
        for case in cases:
            unpublish_case(case=case)
            self.log_change(request, case, "Unpublished (back to draft).")
        self.message_user(request, ngettext("Unpublished %d case.", "Unpublished %d cases.", len(cases)) % len(cases))


class DiagnosisForm(forms.ModelForm):
    compartments = forms.MultipleChoiceField(
        label=_("Compartments"),
        choices=Compartment.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=Diagnosis._meta.get_field("compartments").help_text,
    )

    class Meta:
        model = Diagnosis
        fields = [
            *in_each_language("name"),
            "slug",
            *in_each_language("aliases"),
            "broader",
            "compartments",
            *in_each_language("summary"),
            *in_each_language("distinguishing_features"),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # itself is never its own broader term; deeper cycles are refused by clean()
            self.fields["broader"].queryset = Diagnosis.objects.exclude(pk=self.instance.pk)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Left empty, it is made from the name (or is a neutral one).")

    def clean_slug(self):
        return self.cleaned_data["slug"] or unique_slug(
            self.cleaned_data.get("name_en") or self.cleaned_data.get("name_fr") or "",
            model=Diagnosis,
            prefix="diagnosis",
            max_length=180,
            exclude=self.instance.pk,
        )

    def clean_compartments(self):
        """Stored in the Compartment list's order, whatever order the boxes arrive in."""
        chosen = set(self.cleaned_data["compartments"])
        return [value for value in Compartment.values if value in chosen]

    def clean(self):
        """A new name or alias must not turn up in a published case this entry answers, before its reveal."""
        cleaned = super().clean()
        watched = {*in_each_language("name"), *in_each_language("aliases")}
        if not self.instance.pk or not watched & set(self.changed_data):
            return cleaned
        for name in sorted(watched & set(self.changed_data)):
            names = [line.strip() for line in (cleaned.get(name) or "").splitlines() if line.strip()]
            spoiled = cases_spoiled_by([self.instance], names)
            if spoiled:
                self.add_error(
                    name,
                    ValidationError(
                        _("This would give the answer away in published cases: %(cases)s. Rewrite those cases first."),
                        code="spoiler",
                        params={"cases": list_spoiled(spoiled)},
                    ),
                )
        return cleaned


@admin.register(Diagnosis)
class DiagnosisAdmin(SideBySide, SelectedIdsAreChecked, TranslationAdmin):
    form = DiagnosisForm
    fields = [
        *side_by_side("name"),
        "slug",
        *side_by_side("aliases"),
        "broader",
        "compartments",
        *side_by_side("summary", "distinguishing_features"),
    ]
    prepopulated_fields = {"slug": ["name_en"]}
    list_display = ["name", "aliases", "case_count"]
    search_fields = [*in_each_language("name"), *in_each_language("aliases")]
    actions = ["merge"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(case_count=Count("differentials"))

    @admin.display(description=_("cases"), ordering="case_count")
    def case_count(self, diagnosis):
        return diagnosis.case_count

    @admin.action(description=_("Merge selected into …"), permissions=["change", "delete"])
    def merge(self, request, queryset):
        if queryset.count() < 2:
            self.message_user(request, gettext("Select two or more entries to merge."), messages.WARNING)
            return None
        keep_id = request.POST.get("keep", "")
        keep = None
        if request.POST.get("post") == "yes":
            keep = queryset.filter(pk=keep_id).first() if re.fullmatch(r"[0-9]{1,18}", keep_id) else None
            if keep is None:
                self.message_user(request, gettext("Choose one of the selected entries to keep."), messages.ERROR)
        if keep is None:
            return TemplateResponse(
                request,
                "admin/cases/diagnosis/merge_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("Merge diagnoses"),
                    "opts": self.opts,
                    "diagnoses": queryset,
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                },
            )
        merged = list(queryset.exclude(pk=keep.pk))
        names = [*keep.names(), *(name for diagnosis in merged for name in diagnosis.names())]
        spoiled = cases_spoiled_by([keep, *merged], names)
        if spoiled:
            self.message_user(
                request,
                gettext(
                    "Nothing was merged: %(keep)s would take the names of %(merged)s, which would give the answer "
                    "away in published cases: %(cases)s. Rewrite those cases first."
                )
                % {"keep": keep, "merged": ", ".join(map(str, merged)), "cases": list_spoiled(spoiled)},
                messages.ERROR,
            )
            return None
        cases = Case.objects.filter(differentials__diagnosis__in=merged).distinct()
        for case in cases:
            self.log_change(request, case, f"Differential {', '.join(map(str, merged))} merged into {keep}.")
        self.log_deletions(request, merged)
        for diagnosis in merged:
            merge_diagnoses(keep=keep, merge=diagnosis)
        self.log_change(request, keep, f"Merged {', '.join(map(str, merged))} into this entry.")
        self.message_user(
            request, gettext("Merged %(merged)s into %(keep)s.") % {"merged": ", ".join(map(str, merged)), "keep": keep}
        )
        return None


class PrimaryTumourForm(forms.ModelForm):
    class Meta:
        model = PrimaryTumour
        fields = [*in_each_language("name"), "slug"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Left empty, it is made from the name (or is a neutral one).")

    def clean_slug(self):
        return self.cleaned_data["slug"] or unique_slug(
            self.cleaned_data.get("name_en") or self.cleaned_data.get("name_fr") or "",
            model=PrimaryTumour,
            prefix="primary",
            max_length=140,
            exclude=self.instance.pk,
        )


@admin.register(PrimaryTumour)
class PrimaryTumourAdmin(SideBySide, TranslationAdmin):
    form = PrimaryTumourForm
    fields = [*side_by_side("name"), "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    search_fields = in_each_language("name")
