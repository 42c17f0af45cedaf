from django import forms
from django.utils.translation import gettext_lazy as _

from mallkit.catalog import staff_selectors

from .common import ACCEPTED_PICTURES, NUMBER_INPUT, category_choices


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=140,
        required=False,
        allow_unicode=True,
        help_text=_("The category's address in the shop; made from the name when left empty."),
    )
    parent = forms.ChoiceField(label=_("Parent"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    image = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPTED_PICTURES}),
        help_text=_("JPEG, PNG, WebP or GIF; at most 10 MB and 40 megapixels."),
    )
    remove_image = forms.BooleanField(label=_("Remove the picture"), required=False)
    position = forms.IntegerField(
        label=_("Position"),
        required=False,
        min_value=0,
        widget=NUMBER_INPUT,
        help_text=_("Lower numbers come first; empty puts a new category last."),
    )
    is_active = forms.BooleanField(label=_("Shown in the shop"), required=False, initial=True)

    def __init__(self, *args, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        excluded = set()
        if category is not None:
            excluded = {
                category.pk,
                *staff_selectors.staff_category_descendants(category=category),
            }
        self.fields["parent"].choices = category_choices(
            blank=_("— None (top level) —"), exclude_ids=excluded
        )

    @classmethod
    def initial_for(cls, category) -> dict:
        return {
            "name": category.name,
            "slug": category.slug,
            "parent": str(category.parent_id or ""),
            "description": category.description,
            "position": category.position,
            "is_active": category.is_active,
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "slug": data["slug"],
            "parent_id": int(data["parent"]) if data.get("parent") else None,
            "description": data["description"],
            "position": data["position"],
            "is_active": data["is_active"],
            "image": data.get("image"),
            "remove_image": data["remove_image"],
        }
