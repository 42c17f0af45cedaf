"""Forms of the back office: they parse input and show errors; the rules live in services."""

from .auth import LoginForm
from .categories import CategoryForm
from .common import category_choices, show_service_errors
from .pictures import PictureAltForm, PictureUploadForm
from .products import (
    BulkActionForm,
    ProductFilterForm,
    ProductForm,
    VariantForm,
    VariantFormSet,
    VariantGeneratorForm,
    format_options,
    kept_variant_forms,
    parse_options,
)
from .stock import StockAdjustForm, StockSetForm, ThresholdForm

__all__ = [
    "BulkActionForm",
    "CategoryForm",
    "LoginForm",
    "PictureAltForm",
    "PictureUploadForm",
    "ProductFilterForm",
    "ProductForm",
    "StockAdjustForm",
    "StockSetForm",
    "ThresholdForm",
    "VariantForm",
    "VariantFormSet",
    "VariantGeneratorForm",
    "category_choices",
    "format_options",
    "kept_variant_forms",
    "parse_options",
    "show_service_errors",
]
