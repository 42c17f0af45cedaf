"""Forms of the order pages: the list's search and filters, and one form per staff action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mallkit.orders import carriers
from mallkit.orders.models import Order
from mallkit.orders.staff_selectors import payment_method_names

from .common import AMOUNT_INPUT, DATE_INPUT

QUANTITY_INPUT = forms.NumberInput(attrs={"class": "input-qty", "min": 0})


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Order number, e-mail, name, phone or SKU")}
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    payment_method = forms.ChoiceField(label=_("Payment"), required=False)
    date_from = forms.DateField(label=_("Placed from"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("to"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *Order.Status.choices]
        self.fields["payment_method"].choices = [
            ("", _("Any payment")),
            *payment_method_names().items(),
        ]

    def filters(self) -> dict:
        """The valid filters, for staff_selectors.search_orders (invalid ones are ignored)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class LineQuantities(forms.Form):
    """A quantity field per order line, named line-<id>."""

    prefix_name = "line"

    def add_line_fields(self, lines, *, maximum, initial, label):
        self.line_fields = []
        for line in lines:
            most = maximum(line)
            if most <= 0:
                continue
            name = f"{self.prefix_name}-{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=label % {"sku": line.sku},
                min_value=0,
                max_value=most,
                initial=initial(line),
                required=False,
                widget=QUANTITY_INPUT,
            )
            self.line_fields.append((line, name, most))

    def quantities(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data.get(name) or 0
            for line, name, _most in self.line_fields
            if self.cleaned_data.get(name)
        }

    def line_rows(self):
        return [(line, self[name], most) for line, name, most in self.line_fields]


class ShipForm(LineQuantities):
    carrier = forms.ChoiceField(label=_("Carrier"))
    carrier_name = forms.CharField(label=_("Other carrier's name"), required=False, max_length=60)
    tracking_number = forms.CharField(label=_("Tracking number"), required=False, max_length=100)
    tracking_url = forms.URLField(
        label=_("Tracking link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Made from the tracking number for the carriers listed; give one for others."),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = carriers.choices()
        self.add_line_fields(
            lines,
            maximum=lambda line: line.quantity_to_ship,
            initial=lambda line: line.quantity_to_ship,
            label=_("Units of %(sku)s to ship"),
        )

    def clean(self):
        data = super().clean()
        if data.get("carrier") == carriers.OTHER and not data.get("carrier_name"):
            self.add_error("carrier_name", _("Name the carrier."))
        if self.line_fields and not any(data.get(name) for _l, name, _m in self.line_fields):
            raise forms.ValidationError(_("Choose at least one unit to ship."))
        return data

    def carrier_value(self) -> str:
        data = self.cleaned_data
        return data["carrier_name"] if data["carrier"] == carriers.OTHER else data["carrier"]


class RefundForm(LineQuantities):
    prefix_name = "restock"

    amount = forms.CharField(label=_("Amount"), max_length=20, widget=AMOUNT_INPUT)
    note = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, order=None, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        if order is not None:
            self.fields["amount"].initial = order.amount_paid - order.amount_refunded
            self.fields["amount"].help_text = _("At most %(amount)s %(currency)s.") % {
                "amount": order.amount_paid - order.amount_refunded,
                "currency": order.currency,
            }
        self.add_line_fields(
            lines,
            maximum=lambda line: (
                line.quantity_to_ship + line.quantity_shipped - line.quantity_returned
            ),
            initial=lambda line: 0,
            label=_("Units of %(sku)s back to stock"),
        )


class RestockForm(LineQuantities):
    prefix_name = "restock"

    note = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_line_fields(
            lines,
            maximum=lambda line: (
                line.quantity_to_ship + line.quantity_shipped - line.quantity_returned
            ),
            initial=lambda line: 0,
            label=_("Units of %(sku)s back to stock"),
        )


class RefundRequestForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=20,
        widget=AMOUNT_INPUT,
        help_text=_("Empty for everything paid."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000)
