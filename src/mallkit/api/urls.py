"""The REST API at /api/v1/: one router module per domain, mounted here.

A later domain adds `api/<domain>.py` with `router = Router(tags=[...])` and one line below.
"""

from . import accounts, auth, cart, catalog, docs
from .common import MallkitAPI

api = MallkitAPI(
    title="Mallkit API",
    version="1",
    description=(
        "The shop's catalogue and, for signed-in shoppers, their own data. Lists answer "
        '`{"items": [...], "count": N}` and take `page` and `page_size`; errors answer '
        '`{"detail", "code", "errors"}` with a 4xx status; money is a decimal string next to '
        "its `currency`. Authenticate with `Authorization: Bearer <token>` from `POST /auth/token`."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs=docs.BundledSwagger(settings={"persistAuthorization": True}),
    docs_url="/docs",
)

api.add_router("", catalog.router)
api.add_router("/auth", auth.router)
api.add_router("/docs", docs.router)
api.add_router("", accounts.router)
api.add_router("", cart.router)
api.add_router("/payments", "mallkit.api.payments.router")
api.add_router("/staff", "mallkit.api.staff.router")
api.add_router("", "mallkit.api.checkout.router")
api.add_router("", "mallkit.api.orders.router")
api.add_router("/staff", "mallkit.api.staff_orders.router")
