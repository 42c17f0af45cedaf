"""What the back office's forms share: widgets, category choices, service errors on fields."""

from django import forms

from mallkit.catalog import staff_selectors

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT_INPUT = forms.TextInput(attrs={"inputmode": "decimal", "class": "input-amount"})
NUMBER_INPUT = forms.NumberInput(attrs={"class": "input-number"})
ACCEPTED_PICTURES = "image/jpeg,image/png,image/webp,image/gif"


def category_choices(*, blank: str | None = None, exclude_ids=()) -> list[tuple[str, str]]:
    """Categories as choices in tree order, indented by depth (one query)."""
    choices = [("", blank)] if blank is not None else []
    for category in staff_selectors.staff_category_tree():
        if category.pk not in exclude_ids:
            choices.append((str(category.pk), "\u2003" * category.depth + category.name))
    return choices


def show_service_errors(form, errors: dict, *, formset=None, rows=()) -> list[str]:
    """Put a service's errors next to their fields; returns the ones that have no field.

    Keys are field names, or "variants.<index>.<field>" for the variant in `rows[index]`.
    """
    rest = []
    for key, messages in errors.items():
        target, field = form, key
        if key.startswith("variants.") and formset is not None:
            _, index, field = key.split(".", 2)
            target = rows[int(index)] if int(index) < len(rows) else None
            field = "sku" if field == "id" else field
        if field == "category_ids":
            field = "categories"
        if target is not None and field in target.fields:
            for message in messages:
                target.add_error(field, message)
        else:
            rest.extend(messages)
    return rest
