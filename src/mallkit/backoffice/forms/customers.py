from django import forms
from django.utils.translation import gettext_lazy as _


class CustomerNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
