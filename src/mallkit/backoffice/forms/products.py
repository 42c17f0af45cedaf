from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mallkit.catalog import staff_selectors
from mallkit.catalog.models import Product

from .common import AMOUNT_INPUT, DATE_INPUT, DATETIME_INPUT, NUMBER_INPUT, category_choices


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Product.Status.choices],
    )
    low_stock = forms.BooleanField(label=_("Low stock only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-updated", _("Recently changed")),
            ("name", _("Name A–Z")),
            ("-name", _("Name Z–A")),
            ("price", _("Price, low to high")),
            ("-price", _("Price, high to low")),
            ("stock", _("Stock, least first")),
            ("-stock", _("Stock, most first")),
            ("status", _("Status")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(blank=_("Any category"))
        self.fields["q"].widget.attrs["placeholder"] = _("Name or SKU")

    def filters(self) -> staff_selectors.StaffProductFilters:
        data = self.cleaned_data if self.is_valid() else {}
        category = None
        if data.get("category"):
            category = staff_selectors.staff_category(category_id=int(data["category"]))
        return staff_selectors.StaffProductFilters(
            q=data.get("q", ""),
            category=category,
            status=data.get("status", ""),
            low_stock=data.get("low_stock", False),
            sort=data.get("sort") or "-updated",
        )


class IdListField(forms.Field):
    """Several whole numbers sent under one name, such as the ticked rows of a table."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            return list(dict.fromkeys(int(item) for item in value))
        except (TypeError, ValueError):
            raise ValidationError(_("Choose items from the list."), code="invalid") from None


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("publish", _("Publish")),
        ("unpublish", _("Unpublish (back to draft)")),
        ("archive", _("Archive")),
        ("move", _("Move to a category")),
        ("price", _("Change prices by a percentage")),
    ]
    products = IdListField(label=_("Products"))
    action = forms.ChoiceField(label=_("Action"), choices=[("", _("Choose an action…")), *ACTIONS])
    category = forms.ChoiceField(label=_("Category"), required=False)
    percent = forms.DecimalField(
        label=_("Percent"),
        required=False,
        max_digits=7,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "10 / -15"}),
    )
    include_compare_at = forms.BooleanField(label=_("Compare-at prices too"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(blank=_("Choose a category…"))

    def clean(self):
        data = super().clean()
        if not data.get("products"):
            self.add_error("products", _("Tick at least one product."))
        if data.get("action") == "move" and not data.get("category"):
            self.add_error("category", _("Choose the category to move the products to."))
        if data.get("action") == "price" and data.get("percent") is None:
            self.add_error("percent", _("Enter a percentage, such as 10 or -15."))
        return data


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=220,
        required=False,
        allow_unicode=True,
        help_text=_("The product's address in the shop; made from the name when left empty."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Product.Status.choices)
    published_at = forms.DateTimeField(
        label=_("Publish date"),
        required=False,
        widget=DATETIME_INPUT,
        help_text=_("An active product shows from this moment; empty means now."),
    )
    expected_at = forms.DateField(
        label=_("Expected date"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("When a coming-soon product arrives."),
    )
    is_featured = forms.BooleanField(label=_("Featured on the home page"), required=False)
    categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Simple HTML is kept (paragraphs, lists, bold, links); scripts are removed."),
    )
    seo_title = forms.CharField(
        label=_("SEO title"),
        max_length=70,
        required=False,
        help_text=_("The title search engines show; the name when empty."),
    )
    seo_description = forms.CharField(
        label=_("SEO description"),
        max_length=160,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = category_choices()

    @classmethod
    def initial_for(cls, product: Product) -> dict:
        return {
            "name": product.name,
            "slug": product.slug,
            "status": product.status,
            "published_at": product.published_at,
            "expected_at": product.expected_at,
            "is_featured": product.is_featured,
            "categories": [str(category.pk) for category in product.categories.all()],
            "description": product.description,
            "seo_title": product.seo_title,
            "seo_description": product.seo_description,
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "slug": data["slug"],
            "status": data["status"],
            "published_at": data["published_at"],
            "expected_at": data["expected_at"],
            "is_featured": data["is_featured"],
            "category_ids": [int(pk) for pk in data["categories"]],
            "description": data["description"],
            "seo_title": data["seo_title"],
            "seo_description": data["seo_description"],
        }


def format_options(options: dict) -> str:
    return "; ".join(f"{name}: {value}" for name, value in options.items())


def parse_options(text: str) -> dict[str, str]:
    """Read "Colour: Red; Size: M" into {"Colour": "Red", "Size": "M"}."""
    options = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        name, separator, value = part.partition(":")
        if not separator or not name.strip() or not value.strip():
            raise ValidationError(
                _("Write options as “Colour: Red; Size: M”."), code="invalid_options"
            )
        options[name.strip()] = value.strip()
    return options


class VariantForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sku = forms.CharField(label=_("SKU"), max_length=64)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Colour: Red; Size: M")}),
    )
    price = forms.DecimalField(
        label=_("Price"), min_value=0, max_digits=12, decimal_places=2, widget=AMOUNT_INPUT
    )
    compare_at_price = forms.DecimalField(
        label=_("Compare-at price"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=AMOUNT_INPUT,
    )
    weight = forms.DecimalField(
        label=_("Weight (kg)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=3,
        widget=AMOUNT_INPUT,
    )
    stock = forms.IntegerField(
        label=_("Stock"), required=False, min_value=0, initial=0, widget=NUMBER_INPUT
    )
    low_stock_threshold = forms.IntegerField(
        label=_("Low at"), required=False, min_value=0, initial=5, widget=NUMBER_INPUT
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Stock of an existing variant changes on the stock page, through the ledger.
        if self.initial.get("id") or (self.is_bound and self.data.get(self.add_prefix("id"))):
            self.fields["stock"].disabled = True

    @classmethod
    def initial_for(cls, variant) -> dict:
        stock = getattr(variant, "stock", None)
        return {
            "id": variant.pk,
            "sku": variant.sku,
            "options": format_options(
                {value.option.name: value.value for value in variant.option_values.all()}
            ),
            "price": variant.price,
            "compare_at_price": variant.compare_at_price,
            "weight": variant.weight,
            "stock": stock.on_hand if stock else 0,
            "low_stock_threshold": stock.low_stock_threshold if stock else 5,
        }

    def clean_options(self):
        return parse_options(self.cleaned_data.get("options", ""))

    def service_row(self) -> dict:
        data = self.cleaned_data
        return {
            "id": data.get("id"),
            "sku": data["sku"],
            "options": data["options"],
            "price": data["price"],
            "compare_at_price": data.get("compare_at_price"),
            "weight": data.get("weight"),
            "stock": None if data.get("id") else data.get("stock") or 0,
            "low_stock_threshold": data.get("low_stock_threshold"),
        }


VariantFormSet = forms.formset_factory(VariantForm, extra=0, can_delete=True, max_num=200)


def kept_variant_forms(formset) -> list:
    """The variant forms kept (not ticked for removal, not left blank), in the service's order.

    Call after formset.is_valid().
    """
    removed = formset.deleted_forms
    return [form for form in formset.forms if form not in removed and form.cleaned_data]


class VariantGeneratorForm(forms.Form):
    """Options such as "Colour: Red, Blue" and "Size: S, M, L", one per line, become a grid."""

    options = forms.CharField(
        label=_("Options, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Colour: Red, Blue\nSize: S, M, L"}),
    )
    sku_prefix = forms.CharField(label=_("SKU prefix"), required=False, max_length=20)
    price = forms.DecimalField(
        label=_("Price of each"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=AMOUNT_INPUT,
    )

    def clean_options(self):
        lines = []
        for line in (self.cleaned_data.get("options") or "").splitlines():
            if not line.strip():
                continue
            name, separator, values = line.partition(":")
            values = [value.strip() for value in values.split(",") if value.strip()]
            if not separator or not name.strip() or not values:
                raise ValidationError(_("Write each option as “Size: S, M, L”."), code="invalid")
            lines.append((name.strip(), values))
        if not lines:
            raise ValidationError(_("Enter at least one option with its values."), code="required")
        return lines
