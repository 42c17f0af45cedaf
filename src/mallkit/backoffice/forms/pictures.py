from django import forms
from django.utils.translation import gettext_lazy as _

from .common import ACCEPTED_PICTURES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by content in catalog.images."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_PICTURES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else single(data, initial)


class PictureUploadForm(forms.Form):
    images = MultipleFileField(
        label=_("Pictures"),
        help_text=_("JPEG, PNG, WebP or GIF; at most 10 MB and 40 megapixels each."),
    )


class PictureAltForm(forms.Form):
    alt = forms.CharField(label=_("Alternative text"), required=False, max_length=200)
