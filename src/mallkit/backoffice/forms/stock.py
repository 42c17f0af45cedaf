from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mallkit.inventory.models import StockMovement
from mallkit.inventory.services import ADJUSTMENT_REASONS

from .common import NUMBER_INPUT


class StockAdjustForm(forms.Form):
    change = forms.IntegerField(
        label=_("Change"),
        help_text=_("Positive to add units, negative to remove them."),
        widget=forms.NumberInput(attrs={"class": "input-number", "placeholder": "+10 / -2"}),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (value, label)
            for value, label in StockMovement.Reason.choices
            if value in ADJUSTMENT_REASONS
        ],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def clean_change(self):
        change = self.cleaned_data["change"]
        if change == 0:
            raise ValidationError(_("Enter a number other than zero."), code="zero")
        return change


class StockSetForm(forms.Form):
    on_hand = forms.IntegerField(label=_("Counted on hand"), min_value=0, widget=NUMBER_INPUT)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class ThresholdForm(forms.Form):
    low_stock_threshold = forms.IntegerField(label=_("Low at"), min_value=0, widget=NUMBER_INPUT)
