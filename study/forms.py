from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NOTE_MAX_LENGTH


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Your private note"),
        required=False,
        strip=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only you can see it. Save it empty to delete it."),
    )
