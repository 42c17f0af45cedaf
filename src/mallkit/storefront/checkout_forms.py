"""Forms of the checkout pages: they check the shape of the input; checkout.services the rules.

Which address fields are required, what a country code looks like and which shipping method may
be used are decided by the checkout services, whose errors the views put on these forms.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from mallkit.accounts.countries import country_choices
from mallkit.checkout.services import ADDRESS_FIELDS

NEW_ADDRESS = "new"


def _blank_first():
    return [("", _("Choose a country")), *country_choices()]


class AddressStepForm(forms.Form):
    """Who is buying and where it goes: an address from the book or a new one."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("We send the order confirmation here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address_choice = forms.ChoiceField(
        label=_("Deliver to"), widget=forms.RadioSelect, required=False
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    line1 = forms.CharField(
        label=_("Address"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label=_("Apartment, suite, floor"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    region = forms.CharField(
        label=_("State, province or region"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=_blank_first,
        required=False,
        widget=forms.Select(attrs={"class": "field-select", "autocomplete": "country"}),
    )
    save_address = forms.BooleanField(label=_("Save to my address book"), required=False)

    def __init__(self, *args, member=None, addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.addresses = list(addresses)
        if member is not None:
            # A member's confirmation goes to their account's address.
            del self.fields["email"]
        else:
            del self.fields["save_address"]
        if self.addresses:
            self.fields["address_choice"].choices = [
                *((str(address.pk), str(address)) for address in self.addresses),
                (NEW_ADDRESS, _("A new address")),
            ]
            self.fields["address_choice"].required = True
        else:
            del self.fields["address_choice"]

    @property
    def uses_book(self) -> bool:
        """Whether an address from the book was chosen (then the typed fields are ignored)."""
        choice = self.cleaned_data.get("address_choice", NEW_ADDRESS)
        return bool(choice) and choice != NEW_ADDRESS

    def book_address_id(self) -> int:
        return int(self.cleaned_data["address_choice"])

    def address_fields(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in ADDRESS_FIELDS}

    def address_bound_fields(self):
        """The typed address's fields, for the template (the choice and e-mail stand apart)."""
        return [self[name] for name in ADDRESS_FIELDS]


class ChoiceStepForm(forms.Form):
    """One choice among what the shop offers for this order (shipping or payment)."""

    method = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, *args, choices=(), label="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = list(choices)
        self.fields["method"].label = label
        self.fields["method"].error_messages["required"] = _("Choose one of the options.")
        self.fields["method"].error_messages["invalid_choice"] = _(
            "That option is not available; choose another."
        )


class VoucherForm(forms.Form):
    code = forms.CharField(label=_("Voucher code"), max_length=40, required=False)
    action = forms.ChoiceField(choices=[("apply", "apply"), ("remove", "remove")])


class PlaceOrderForm(forms.Form):
    # The one-time token issued with the review page: the order's idempotency key.
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the shop"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
