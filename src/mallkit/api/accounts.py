"""Member endpoints: registration, the profile, the address book and the wishlist.

Everything under /me belongs to the member of the token (or of the site's session): another
member's address or wishlist entry answers 404, exactly like one that does not exist.
"""

import json
from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from mallkit.accounts import selectors, services
from mallkit.accounts.countries import country_name
from mallkit.core.errors import ValidationFailed
from mallkit.core.money import default_currency, format_amount

from .common import InputStr, PageParams, error_responses, paginate, user_auth

router = Router(tags=["account"], auth=user_auth)


# Schemas -----------------------------------------------------------------------------------------


class RegisterIn(Schema):
    email: str = Field(description="The e-mail address to sign in with.")
    password: str = Field(
        description="At least 10 characters, not a common password, not all digits."
    )


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    phone: str
    preferred_language: str = Field(description="A language code: en or zh-hans.")
    date_joined: datetime


class MePatch(Schema):
    full_name: InputStr | None = None
    phone: InputStr | None = None
    preferred_language: InputStr | None = Field(None, description="en or zh-hans.")


class AddressOut(Schema):
    id: int
    full_name: str
    phone: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str = Field(description="An ISO 3166-1 alpha-2 code, e.g. CN or US.")
    country_name: str
    is_default_shipping: bool
    is_default_billing: bool

    @staticmethod
    def resolve_country_name(address) -> str:
        return country_name(address.country)


class AddressListOut(Schema):
    items: list[AddressOut]
    count: int


class AddressIn(Schema):
    full_name: InputStr = ""
    phone: InputStr = ""
    line1: InputStr = ""
    line2: InputStr = ""
    city: InputStr = ""
    region: InputStr = ""
    postal_code: InputStr = ""
    country: InputStr = Field("", description="An ISO 3166-1 alpha-2 code, e.g. CN or US.")
    is_default_shipping: bool = Field(False, description="Make it the default delivery address.")
    is_default_billing: bool = Field(False, description="Make it the default billing address.")


class AddressPatch(Schema):
    full_name: InputStr | None = None
    phone: InputStr | None = None
    line1: InputStr | None = None
    line2: InputStr | None = None
    city: InputStr | None = None
    region: InputStr | None = None
    postal_code: InputStr | None = None
    country: InputStr | None = None
    is_default_shipping: bool | None = None
    is_default_billing: bool | None = None


class WishlistIn(Schema):
    sku: InputStr = Field(max_length=64, description="The SKU of the variant to keep.")


class WishlistItemOut(Schema):
    sku: str
    product_name: str
    product_slug: str
    product_url: str
    variant_label: str = Field(description='The variant\'s options, e.g. "Red / M".')
    price: str = Field(description='A decimal string, e.g. "129.00".')
    currency: str
    stock_status: str = Field(
        description="in_stock, low, out_of_stock, coming_soon or not_sold (no longer on sale)."
    )
    image: str | None = Field(description="The URL of the product's first picture.")
    added_at: datetime

    @staticmethod
    def resolve_sku(item) -> str:
        return item.variant.sku

    @staticmethod
    def resolve_product_name(item) -> str:
        return item.variant.product.name

    @staticmethod
    def resolve_product_slug(item) -> str:
        return item.variant.product.slug

    @staticmethod
    def resolve_product_url(item) -> str:
        return item.variant.product.get_absolute_url()

    @staticmethod
    def resolve_variant_label(item) -> str:
        return item.variant.label

    @staticmethod
    def resolve_price(item) -> str:
        return format_amount(item.variant.price)

    @staticmethod
    def resolve_currency(item) -> str:
        return default_currency()

    @staticmethod
    def resolve_stock_status(item) -> str:
        return selectors.favourite_stock_status(item)

    @staticmethod
    def resolve_image(item) -> str | None:
        first = next(iter(item.variant.product.images.all()), None)
        return first.image.url if first is not None else None

    @staticmethod
    def resolve_added_at(item) -> datetime:
        return item.created_at


class WishlistOut(Schema):
    items: list[WishlistItemOut]
    count: int


# Registration ------------------------------------------------------------------------------------


def _json_object(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed("The request body must be a JSON object.", code="bad_request")
    return data


@router.post(
    "/auth/register",
    auth=None,
    response={201: MeOut, **error_responses(400)},
    summary="Create an account",
    description=(
        "Every refusal answers 400 with messages by field. An address that is already "
        "registered is refused with the generic “This e-mail address cannot be used.”; its "
        "owner gets an e-mail about the attempt. A verification e-mail is sent to new members."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RegisterIn.model_json_schema()}},
        }
    },
)
def register(request):
    # The body is read here rather than by a schema so that every refusal, a wrong type
    # included, is the promised 400 with field errors.
    data = _json_object(request.body)
    user = services.register(
        email=data.get("email"), password=data.get("password"), request=request
    )
    return Status(201, user)


# Profile -----------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **error_responses(401)}, summary="Show my profile")
def get_me(request):
    return request.auth


@router.patch(
    "/me", response={200: MeOut, **error_responses(400, 401, 422)}, summary="Change my profile"
)
def update_me(request, payload: MePatch):
    return services.update_profile(user=request.auth, **payload.dict(exclude_unset=True))


# Address book ------------------------------------------------------------------------------------


@router.get(
    "/me/addresses",
    response={200: AddressListOut, **error_responses(401, 422)},
    summary="List my addresses",
    description="Default addresses first.",
)
def list_addresses(request, params: Query[PageParams]):
    addresses = selectors.addresses_for_user(user=request.auth)
    return paginate(addresses, page=params.page, page_size=params.page_size)


@router.post(
    "/me/addresses",
    response={201: AddressOut, **error_responses(400, 401, 422)},
    summary="Add an address",
    description="The first address becomes the default for delivery and billing.",
)
def create_address(request, payload: AddressIn):
    return Status(201, services.create_address(user=request.auth, **payload.dict()))


@router.get(
    "/me/addresses/{address_id}",
    response={200: AddressOut, **error_responses(401, 404, 422)},
    summary="Show one of my addresses",
)
def get_address(request, address_id: int):
    return selectors.address_for_user(user=request.auth, address_id=address_id)


@router.patch(
    "/me/addresses/{address_id}",
    response={200: AddressOut, **error_responses(400, 401, 404, 422)},
    summary="Change one of my addresses",
    description="Setting a default flag to true replaces the previous default of that kind.",
)
def update_address(request, address_id: int, payload: AddressPatch):
    return services.update_address(
        user=request.auth, address_id=address_id, changes=payload.dict(exclude_unset=True)
    )


@router.delete(
    "/me/addresses/{address_id}",
    response={204: None, **error_responses(401, 404, 422)},
    summary="Delete one of my addresses",
)
def delete_address(request, address_id: int):
    services.delete_address(user=request.auth, address_id=address_id)
    return Status(204, None)


# Wishlist ----------------------------------------------------------------------------------------


@router.get(
    "/me/wishlist",
    response={200: WishlistOut, **error_responses(401, 422)},
    summary="List my favourites",
)
def list_wishlist(request, params: Query[PageParams]):
    items = selectors.wishlist_for_user(user=request.auth)
    return paginate(items, page=params.page, page_size=params.page_size)


@router.post(
    "/me/wishlist",
    response={200: WishlistItemOut, 201: WishlistItemOut, **error_responses(400, 401, 422)},
    summary="Add a favourite",
    description="Answers 201 when added, 200 when the variant was already a favourite.",
)
def add_to_wishlist(request, payload: WishlistIn):
    item, created = services.add_to_wishlist(user=request.auth, sku=payload.sku)
    return Status(201 if created else 200, selectors.wishlist_item(user=request.auth, pk=item.pk))


@router.delete(
    "/me/wishlist/{sku}",
    response={204: None, **error_responses(401, 404)},
    summary="Remove a favourite",
)
def remove_from_wishlist(request, sku: InputStr):
    services.remove_from_wishlist(user=request.auth, sku=sku)
    return Status(204, None)
