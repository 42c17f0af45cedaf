"""Forms of the storefront: listing filters read from the query string, enquiries and refund
requests."""

import re
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mallkit.catalog.selectors import RESERVED_PARAMS, ProductFilters

from .presentation import format_money

# Option value slugs come from slugify(allow_unicode=True), so they may hold any word character.
VALUE_SLUG = re.compile(r"[-\w]{1,60}")
MAX_VALUES_PER_OPTION = 20
MAX_QUERY_LENGTH = 200
NOT_FILTERS = {"page", "sort", "q"}


class ListingForm(forms.Form):
    """The filters, sort and page of a category or search page, from the query string.

    Anything that does not parse is left out of the listing rather than refused: a shopper who
    edits a URL by hand still gets products, and a bad price shows its error beside the field.
    """

    min_price = forms.DecimalField(
        label=pgettext_lazy("price filter", "From"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"placeholder": "0", "step": "any", "inputmode": "decimal"}),
    )
    max_price = forms.DecimalField(
        label=pgettext_lazy("price filter", "To"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data, *, option_slugs=(), show_prices=True, searching=False):
        super().__init__(data)
        self.searching = searching
        choices = [
            ("newest", _("Newest")),
            ("price", _("Price: low to high")),
            ("-price", _("Price: high to low")),
            ("name", _("Name: A to Z")),
        ]
        if searching:
            choices.insert(0, ("relevance", _("Best match")))
            self.fields["q"] = forms.CharField(label=_("Search"), required=False)
        if not show_prices:
            # Filtering or sorting by a price the site does not show would reveal it.
            del self.fields["min_price"], self.fields["max_price"]
            choices = [choice for choice in choices if "price" not in choice[0]]
        self.fields["sort"].choices = choices
        self.default_sort = choices[0][0]
        self.option_choices = self._parse_options(set(option_slugs) - RESERVED_PARAMS)

    def _parse_options(self, known: set[str]) -> dict[str, list[str]]:
        # Unknown parameters (utm_source, fbclid, ...) are not filters and must not empty the
        # list, so only options of the catalogue count.
        chosen = {}
        for key in self.data:
            if key in known:
                values = [v for v in self.data.getlist(key) if VALUE_SLUG.fullmatch(v)]
                if values:
                    chosen[key] = list(dict.fromkeys(values))[:MAX_VALUES_PER_OPTION]
        return chosen

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())[:MAX_QUERY_LENGTH]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            # Typed the wrong way round: the shopper still means the range between them.
            cleaned["min_price"], cleaned["max_price"] = high, low
        return cleaned

    def _value(self, name):
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)

    @property
    def query(self) -> str:
        return self._value("q") or ""

    @property
    def page_number(self) -> int:
        return self._value("page") or 1

    @property
    def current_sort(self) -> str:
        return self._value("sort") or self.default_sort

    @property
    def has_filters(self) -> bool:
        return bool(self.chips_source())

    def filters(self, *, category=None) -> ProductFilters:
        return ProductFilters(
            q=self.query,
            category=category,
            min_price=self._value("min_price"),
            max_price=self._value("max_price"),
            in_stock=bool(self._value("in_stock")),
            options=self.option_choices,
            sort=self.current_sort,
        )

    def chips_source(self) -> list[tuple[str, str | None]]:
        """The applied filters as (parameter, value) pairs."""
        pairs = []
        for name in ("min_price", "max_price"):
            if self._value(name) is not None:
                pairs.append((name, None))
        if self._value("in_stock"):
            pairs.append(("in_stock", None))
        for slug, values in self.option_choices.items():
            pairs.extend((slug, value) for value in values)
        return pairs

    def chips(self, facets) -> list[dict]:
        """The applied filters as removable labels: [{"label", "url"}] (url is a query string)."""
        names = {
            (facet.option.slug, value.slug): f"{facet.option.name}: {value.value}"
            for facet in facets["options"]
            for value, _count, _selected in facet.values
        }
        chips = []
        for param, value in self.chips_source():
            if param == "min_price":
                label = gettext("From %(amount)s") % {"amount": format_money(self._value(param))}
            elif param == "max_price":
                label = gettext("Up to %(amount)s") % {"amount": format_money(self._value(param))}
            elif param == "in_stock":
                label = gettext("In stock only")
            else:
                label = names.get((param, value), value)
            chips.append({"label": label, "url": self._without(param, value)})
        return chips

    def clear_url(self) -> str:
        """The query string that keeps the search words and sort but drops every filter."""
        kept = self.data.copy()
        for key in list(kept):
            if key not in NOT_FILTERS or key == "page":
                del kept[key]
        return "?" + kept.urlencode()

    def _without(self, param, value=None) -> str:
        kept = self.data.copy()
        kept.pop("page", None)
        if value is None:
            kept.pop(param, None)
        else:
            kept.setlist(param, [v for v in kept.getlist(param) if v != value])
        return "?" + kept.urlencode()


phone_validator = RegexValidator(
    r"^\+?[0-9 ()./-]{5,32}$", _("Enter a phone number using digits, spaces and + - ( ).")
)


class EnquiryForm(forms.Form):
    """A visitor's question about a product on a showcase site."""

    name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("E-mail address"))
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, validators=[phone_validator]
    )
    company = forms.CharField(label=_("Company"), max_length=120, required=False)
    message = forms.CharField(
        label=_("Message"), min_length=10, max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    # Left empty by people (it is hidden from them); robots that fill every field give
    # themselves away.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["company"].widget.attrs["autocomplete"] = "organization"
        self.fields["website"].widget.attrs.update(tabindex="-1", autocomplete="off")

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def enquiry_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("name", "email", "phone", "company", "message")
        }


class RefundRequestForm(forms.Form):
    """A customer's request for money back, from their order page."""

    reason = forms.CharField(
        label=_("Why do you want a refund?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Leave empty to ask for everything paid."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
