"""Admin forms for a case's ordered rows: findings, level spans, differentials, references."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .editorial import FINDING_FIELDS, in_language, presentation_texts, spoiler, spoilers
from .models import CONTENT_LANGUAGES, Case, Diagnosis, case_slug

PARKED = 10_000  # far above any real position
DIFFERENTIALS = "differentials"  # the differentials inline's prefix on the case page


def posted_final_diagnosis(data):
    """The final diagnosis as the case page posts it (its differentials inline), or None unless exactly one."""
    try:
        total = min(int(data.get(f"{DIFFERENTIALS}-TOTAL_FORMS", 0)), 1000)
    except (TypeError, ValueError):
        return None
    chosen = {
        data.get(f"{DIFFERENTIALS}-{i}-diagnosis")
        for i in range(total)
        if data.get(f"{DIFFERENTIALS}-{i}-is_final") and not data.get(f"{DIFFERENTIALS}-{i}-DELETE")
    }
    if len(chosen) != 1 or not str(next(iter(chosen))).isdigit():
        return None  # none, several or junk: the differentials inline says what is wrong
    return Diagnosis.objects.filter(pk=int(next(iter(chosen)))).first()


def spoiler_error(where, name, diagnosis):
    message = _(
        "The %(field)s gives the answer away: it names “%(name)s”, a name of the final diagnosis %(diagnosis)s. "
        "Describe the presentation only."
    )
    if where == "slug":
        message = _(
            "The %(field)s gives the answer away: it names “%(name)s”, a name of the final diagnosis %(diagnosis)s. "
            "Describe the presentation only. Leave the slug empty to make it from the title."
        )
    return ValidationError(
        message,
        code="spoiler",
        params={
            "field": where if where == "slug" else in_language(*where.rsplit("_", 1)),  # title_fr → title (fr)
            "name": name,
            "diagnosis": diagnosis,
        },
    )


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = "__all__"  # noqa: DJ007  (the admin's fieldsets choose and order the fields)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = format_lazy(
            "{} {}",
            self.fields["slug"].help_text,
            _(
                "Left empty, it is made from the title (or, for a title with no Latin "
                "letters, a neutral one such as case-3f9a1c)."
            ),
        )

    def clean_slug(self):
        # Made from the English title (or the French one, for a case written in French only).
        titles = [self.cleaned_data.get(f"title_{language}") for language in CONTENT_LANGUAGES]
        title = next((title for title in titles if title), "")
        return self.cleaned_data["slug"] or case_slug(title, exclude=self.instance.pk)

    def clean(self):
        """The title, the slug and the presentation never name the final diagnosis the page posts."""
        cleaned = super().clean()
        final = posted_final_diagnosis(self.data)
        if final is None:
            return cleaned
        typed_slug = cleaned.get("slug") if self.data.get(self.add_prefix("slug")) else ""  # else the title's
        texts = [("slug", typed_slug.replace("-", " "))]
        for language in CONTENT_LANGUAGES:  # every language's title and presentation, against every language's names
            texts += [
                (f"{where}_{language}", text)
                for where, text in presentation_texts(
                    title=cleaned.get(f"title_{language}"),
                    slug="",
                    presentation=cleaned.get(f"presentation_{language}"),
                    findings=[],
                )
                if where != "slug"
            ]
        found = dict(spoilers(texts, final.names()))
        if any(where.startswith("title_") for where in found) and found.pop("slug", None):
            # The slug was filled in from this very title: offer it empty, to be made again from the
            # corrected title (the page's script fills an empty slug in as the title is typed).
            self.data = self.data.copy()
            self.data[self.add_prefix("slug")] = ""
        for where, name in found.items():
            self.add_error(where, spoiler_error(where, name, final))
        return cleaned


class OrderedRowForm(forms.ModelForm):
    order = forms.IntegerField(
        label=_("Order"),
        min_value=1,
        max_value=999,
        required=False,
        help_text=_("Position in the list. Left empty, the row goes after the others."),
    )

    def __init__(self, *args, position=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.position = position

    def clean_order(self):
        return self.cleaned_data["order"] or self.position


class OrderedInlineFormSet(forms.BaseInlineFormSet):
    """Rows in their `order`; a new row left without one is placed after the rows already saved."""

    parked_values = {}

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None:
            last = max((row.order for row in self.get_queryset()), default=0)
            kwargs["position"] = last + index - self.initial_form_count() + 1
        return kwargs

    def save_existing_objects(self, commit=True):
        # Rows are written one at a time, so swapping two rows' order (or which one is final)
        # would briefly break a unique constraint: move the edited rows out of the way first.
        if commit:
            edited = [
                form.instance.pk for form in self.initial_forms if form.has_changed() or self._should_delete_form(form)
            ]
            self.model._default_manager.filter(pk__in=edited).update(order=F("order") + PARKED, **self.parked_values)
        return super().save_existing_objects(commit)


class ImagingFindingFormSet(OrderedInlineFormSet):
    """Findings whose technique, signal, enhancement and description never name the final diagnosis."""

    def clean(self):
        super().clean()
        final = posted_final_diagnosis(self.data)
        if final is None:
            return
        names = final.names()
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            for name in (f"{name}_{language}" for language in CONTENT_LANGUAGES for name in FINDING_FIELDS):
                found = spoiler(form.cleaned_data.get(name) or "", names)
                if found:
                    form.add_error(name, spoiler_error(name, found, final))


class DifferentialFormSet(OrderedInlineFormSet):
    """Exactly one final diagnosis (the case form and the findings check that nothing names it)."""

    parked_values = {"is_final": False}

    def save_existing_objects(self, commit=True):
        # A row whose diagnosis changed is written as a new row after its old one is deleted, so
        # that swapping two rows' diagnoses never collides with the one-row-per-diagnosis rule.
        moved = [
            form
            for form in self.initial_forms
            if "diagnosis" in form.changed_data and not self._should_delete_form(form)
        ]
        if commit and moved:
            self.model._default_manager.filter(pk__in=[form.instance.pk for form in moved]).delete()
            for form in moved:
                form.instance.pk = None  # the base class skips rows without a pk
        saved = super().save_existing_objects(commit)
        if commit:
            for form in moved:
                form.instance._state.adding = True
                form.instance.save()
                self.changed_objects.append((form.instance, form.changed_data))
                saved.append(form.instance)
        return saved

    def clean(self):
        super().clean()
        rows = [form.cleaned_data for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]
        finals = [row["diagnosis"] for row in rows if row.get("is_final") and row.get("diagnosis")]
        if not finals:
            raise ValidationError(
                _("No final diagnosis: tick “Is final” on the differential that was proven."), code="no_final"
            )
        if len(finals) > 1:
            raise ValidationError(
                _("Only one differential can be the final diagnosis; %(names)s are all ticked “Is final”."),
                code="several_finals",
                params={"names": ", ".join(str(d) for d in finals)},
            )
