"""Shopper pages. Each view parses the request, asks the catalogue selectors and renders.

The catalogue pages answer with a TemplateResponse under cache_anonymous_page: anonymous
visitors share one rendering per address and language until the catalogue changes, with their
own CSRF token put into its forms (see mallkit.core.cache).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mallkit.catalog import selectors
from mallkit.core.cache import cache_anonymous_page, cached_fragment
from mallkit.core.client_ip import client_ip
from mallkit.enquiries.services import submit_enquiry

from . import presentation
from .forms import EnquiryForm, ListingForm

ENQUIRIES_PER_HOUR = 5


@cache_anonymous_page
def home(request):
    # The shelves are the same for everyone, members included; only their cards' buttons differ.
    sections = cached_fragment("home-sections", selectors.home_sections)
    return TemplateResponse(request, "storefront/home.html", {"sections": sections})


@cache_anonymous_page
def category(request, slug):
    found = selectors.category_by_slug(slug=slug)
    if found is None:
        raise Http404("No such category.")
    form = ListingForm(
        request.GET, option_slugs=option_slugs(), show_prices=presentation.prices_shown()
    )
    context = listing(form, form.filters(category=found))
    context.update(
        category=found,
        breadcrumbs=found.ancestors(),
        subcategories=selectors.child_categories(category=found),
    )
    return TemplateResponse(request, "storefront/category.html", context)


@cache_anonymous_page
def search(request):
    form = ListingForm(
        request.GET,
        option_slugs=option_slugs(),
        show_prices=presentation.prices_shown(),
        searching=True,
    )
    context = {"form": form, "query": form.query}
    if form.query:
        context.update(listing(form, form.filters()))
    return TemplateResponse(request, "storefront/search.html", context)


def option_slugs() -> set[str]:
    return cached_fragment("option-slugs", selectors.option_slugs)


def listing_scope(filters: selectors.ProductFilters) -> str:
    """What a list's product count and filter counts depend on: the filters, not the page or
    the sort order."""
    return repr(
        (
            filters.q,
            filters.category.pk if filters.category is not None else None,
            filters.min_price,
            filters.max_price,
            filters.in_stock,
            sorted((slug, sorted(values)) for slug, values in filters.options.items()),
        )
    )


def listing(form: ListingForm, filters: selectors.ProductFilters) -> dict:
    """The context a product list shows: one page of cards, the facets and the applied filters.

    The number of products and the filter counts are shared by all pages and sort orders of a
    list, and by every visitor, until the catalogue changes: at 100,000 products they are most
    of the cost of a list rendered afresh.
    """
    products = selectors.list_products(filters)
    scope = listing_scope(filters)
    paginator = Paginator(products, settings.MALLKIT_PAGE_SIZE)
    paginator.count = cached_fragment("listing-count", products.count, vary=[scope])
    # Past the end a shopper (or a stale link) lands on the last page, not an error.
    page = paginator.get_page(form.page_number)
    facets = cached_fragment(
        "listing-facets", lambda: selectors.facets(filters), vary=[get_language(), scope]
    )
    return {
        "form": form,
        "page_obj": page,
        "products": page.object_list,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "facets": facets,
        "chips": form.chips(facets),
        # A card opens its product with the chosen options picked (one value per option).
        "card_query": urlencode(
            sorted(
                (slug, values[0]) for slug, values in filters.options.items() if len(values) == 1
            )
        ),
    }


@cache_anonymous_page
def product(request, slug):
    found = selectors.product_detail(slug=slug)
    if found is None:
        raise Http404("No such product.")
    form = EnquiryForm() if settings.MALLKIT_MODE == "showcase" else None
    return product_page(request, found, enquiry_form=form)


@require_POST
def product_enquiry(request, slug):
    if settings.MALLKIT_MODE != "showcase":
        raise Http404("Enquiries are for showcase sites.")
    found = selectors.product_detail(slug=slug)
    if found is None:
        raise Http404("No such product.")
    form = EnquiryForm(request.POST)
    if form.is_valid():
        if form.is_spam:
            # Answer a robot like a person so it learns nothing; store nothing.
            messages.success(request, _("Thank you. We will reply as soon as we can."))
            return redirect(found)
        if enquiry_allowed(request):
            submit_enquiry(product=found, **form.enquiry_fields())
            messages.success(
                request,
                _("Thank you. We will reply to %(email)s as soon as we can.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect(found)
        form.add_error(
            None, _("You have sent several enquiries already. Please try again in an hour.")
        )
    return product_page(request, found, enquiry_form=form, status=400)


def enquiry_allowed(request) -> bool:
    """A light brake on floods: a few enquiries per address and hour."""
    key = f"storefront:enquiries:{client_ip(request)}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= ENQUIRIES_PER_HOUR


def product_page(request, product, *, enquiry_form=None, status=200):
    selection = request.GET.dict()
    variant = selectors.choose_variant(product, selection=selection)
    context = {
        "product": product,
        "images": list(product.images.all()),
        "breadcrumbs": selectors.breadcrumbs(product),
        "variant": variant,
        "stock": selectors.variant_stock(variant) if variant else None,
        "picker": presentation.variant_picker(product, variant=variant, selection=selection),
        "variant_data": presentation.variant_payload(
            product, show_prices=presentation.prices_shown()
        ),
        "enquiry_form": enquiry_form,
    }
    return TemplateResponse(request, "storefront/product.html", context, status=status)


def robots_txt(request):
    return render(request, "storefront/robots.txt", content_type="text/plain; charset=utf-8")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
