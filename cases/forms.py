"""Admin forms for a case's ordered rows: findings, level spans, differentials, references."""
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.text import slugify

from .editorial import title_spoiler
from .models import Case

PARKED = 10_000  # far above any real position


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text += " Left empty, it is made from the title."

    def clean_slug(self):
        return self.cleaned_data["slug"] or slugify(self.cleaned_data.get("title", ""))[:220]


class OrderedRowForm(forms.ModelForm):
    order = forms.IntegerField(
        min_value=1, max_value=999, required=False,
        help_text="Position in the list. Left empty, the row goes after the others.",
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
            edited = [form.instance.pk for form in self.initial_forms
                      if form.has_changed() or self._should_delete_form(form)]
            self.model._default_manager.filter(pk__in=edited).update(order=F("order") + PARKED, **self.parked_values)
        return super().save_existing_objects(commit)


class DifferentialFormSet(OrderedInlineFormSet):
    """Exactly one final diagnosis, and a title that does not name it."""

    parked_values = {"is_final": False}

    def save_existing_objects(self, commit=True):
        # A row whose diagnosis changed is written as a new row after its old one is deleted, so
        # that swapping two rows' diagnoses never collides with the one-row-per-diagnosis rule.
        moved = [form for form in self.initial_forms
                 if "diagnosis" in form.changed_data and not self._should_delete_form(form)]
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
        rows = [form.cleaned_data for form in self.forms
                if form.cleaned_data and not self._should_delete_form(form)]
        finals = [row["diagnosis"] for row in rows if row.get("is_final") and row.get("diagnosis")]
        if not finals:
            raise ValidationError(
                "No final diagnosis: tick “Is final” on the differential that was proven.", code="no_final"
            )
        if len(finals) > 1:
            raise ValidationError(
                "Only one differential can be the final diagnosis; %(names)s are all ticked “Is final”.",
                code="several_finals", params={"names": ", ".join(str(d) for d in finals)},
            )
        spoiler = title_spoiler(self.instance.title, finals[0])
        if spoiler:
            raise ValidationError(
                "The title gives the answer away: it contains “%(name)s”, a name of the final diagnosis "
                "%(diagnosis)s. Rewrite the title to describe the presentation only.",
                code="spoiler", params={"name": spoiler, "diagnosis": finals[0]},
            )
