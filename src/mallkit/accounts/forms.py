"""Forms of the account pages: they check the shape of the input; services apply the rules."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Address
from .services import ADDRESS_FIELDS


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=settings.LANGUAGES,
        widget=forms.Select(attrs={"class": "field-select"}),
    )


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = [*ADDRESS_FIELDS, "is_default_shipping", "is_default_billing"]
        labels = {
            "full_name": _("Full name"),
            "phone": _("Phone"),
            "line1": _("Address"),
            "line2": _("Apartment, suite, floor"),
            "city": _("City"),
            "region": _("State, province or region"),
            "postal_code": _("Postal code"),
            "country": _("Country"),
            "is_default_shipping": _("Use as my default delivery address"),
            "is_default_billing": _("Use as my default billing address"),
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "region": forms.TextInput(attrs={"autocomplete": "address-level1"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "country": forms.Select(attrs={"class": "field-select", "autocomplete": "country"}),
        }

    def address_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ADDRESS_FIELDS}
