from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.text import fold

from .models import QuizRun, Recall

ANSWER_MAX_LENGTH = 200
MAX_DIFFERENTIALS = 3
MAX_RUN_LENGTH = 50


class QuizStartForm(forms.Form):
    count = forms.IntegerField(
        label=_("How many cases"),
        min_value=1,
        max_value=MAX_RUN_LENGTH,
        initial=10,
        help_text=_("Capped by how many cases match the filters."),
    )
    mode = forms.ChoiceField(
        label=_("Mode"), choices=QuizRun.Mode.choices, initial=QuizRun.Mode.PRACTICE, widget=forms.RadioSelect
    )
    answer_format = forms.ChoiceField(
        label=_("Answer format"),
        choices=QuizRun.AnswerFormat.choices,
        initial=QuizRun.AnswerFormat.FREE_TEXT,
        widget=forms.RadioSelect,
    )


FILTER_LABELS = {"q": _("Search presentations")}  # the facets bring their own labels


def filter_fields(filterset):
    """The case list's filters as the start form shows them: labelled, 'Any' for no choice, no sorting."""
    names = [name for name in filterset.form.fields if name != "sort"]
    for name in names:
        field = filterset.form.fields[name]
        field.label = FILTER_LABELS.get(name, field.label)
        if getattr(field, "empty_label", None) is not None:
            field.empty_label = pgettext_lazy("filter", "Any")
            if not isinstance(field, forms.ModelChoiceField):  # django-filter's choices carry the label
                field.choices = [choice for choice in field.choices if choice[0] != ""]
    return [filterset.form[name] for name in names]


class ReviewStartForm(forms.Form):
    answer_format = forms.ChoiceField(
        label=_("Answer format"),
        choices=QuizRun.AnswerFormat.choices,
        initial=QuizRun.AnswerFormat.FREE_TEXT,
        widget=forms.RadioSelect,
    )


def _diagnosis_input(label, *, required):
    return forms.CharField(
        label=label,
        required=required,
        max_length=ANSWER_MAX_LENGTH,
        error_messages={"max_length": _("Keep it under %(limit_value)d characters (this has %(show_value)d).")},
        widget=forms.TextInput(attrs={"list": "diagnosis-names", "autocomplete": "off", "spellcheck": "false"}),
    )


class FreeTextAnswerForm(forms.Form):
    answer = _diagnosis_input(_("Your leading diagnosis"), required=True)
    differential_1 = _diagnosis_input(_("Other differential (optional)"), required=False)
    differential_2 = _diagnosis_input(_("Other differential (optional)"), required=False)
    differential_3 = _diagnosis_input(_("Other differential (optional)"), required=False)

    def clean_answer(self):
        answer = self.cleaned_data["answer"]
        if not fold(answer):
            raise forms.ValidationError(_("Type a diagnosis: letters or numbers, not only punctuation."))
        return answer

    def differentials(self):
        texts = (self.cleaned_data.get(f"differential_{i}", "") for i in range(1, MAX_DIFFERENTIALS + 1))
        return [text for text in texts if fold(text)]


class ChoiceAnswerForm(forms.Form):
    """The options are posted as their position in the list shown, never as a diagnosis id."""

    choice = forms.TypedChoiceField(
        label=_("Your diagnosis"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose one of the diagnoses."),
            "invalid_choice": _("That is not one of the options shown; choose one of them."),
        },
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.fields["choice"].choices = [(i, diagnosis.name) for i, diagnosis in enumerate(options)]

    def chosen(self):
        return self.options[self.cleaned_data["choice"]]


class ConfirmCloseForm(forms.Form):
    meant_it = forms.TypedChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes")


class RecallForm(forms.Form):
    recall = forms.TypedChoiceField(
        label=_("How well did you recall this case?"),
        choices=Recall.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how well you recalled it."),
            "invalid_choice": _("Choose one of the four."),
        },
    )
