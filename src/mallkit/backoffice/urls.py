from django.urls import include, path

from .views import (
    auth,
    categories,
    customers,
    dashboard,
    documents,
    order_actions,
    orders,
    pictures,
    products,
    stock,
)

app_name = "backoffice"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("products/", products.product_list, name="products"),
    path("products/new/", products.product_create, name="product_create"),
    path("products/bulk/", products.product_bulk, name="product_bulk"),
    path("products/<int:pk>/", products.product_edit, name="product_edit"),
    path("products/<int:pk>/history/", products.product_history, name="product_history"),
    path("products/<int:pk>/pictures/", pictures.product_pictures, name="product_pictures"),
    path("products/<int:pk>/pictures/order/", pictures.picture_order, name="picture_order"),
    path("pictures/<int:pk>/", pictures.picture_update, name="picture_update"),
    path("pictures/<int:pk>/move/", pictures.picture_move, name="picture_move"),
    path("pictures/<int:pk>/delete/", pictures.picture_delete, name="picture_delete"),
    path("products/<int:pk>/stock/", stock.product_stock, name="product_stock"),
    path("stock/low/", stock.low_stock, name="low_stock"),
    path("stock/<int:variant_pk>/adjust/", stock.stock_adjust, name="stock_adjust"),
    path("stock/<int:variant_pk>/set/", stock.stock_set, name="stock_set"),
    path("stock/<int:variant_pk>/threshold/", stock.stock_threshold, name="stock_threshold"),
    path("categories/", categories.category_list, name="categories"),
    path("categories/new/", categories.category_create, name="category_create"),
    path("categories/<int:pk>/", categories.category_edit, name="category_edit"),
    path("categories/<int:pk>/move/", categories.category_move, name="category_move"),
    path("categories/<int:pk>/delete/", categories.category_delete, name="category_delete"),
    # Product import and export live in their own module (imports.py and import_urls.py).
    path("imports/", include("mallkit.backoffice.import_urls")),
    path("orders/", orders.order_list, name="orders"),
    path("orders/export.csv", orders.order_export, name="order_export"),
    path("orders/pick-list/", documents.pick_list, name="pick_list"),
    path("orders/packing-slips/", documents.packing_slips, name="packing_slips"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("orders/<str:number>/invoice.pdf", documents.invoice_pdf, name="invoice_pdf"),
    path(
        "orders/<str:number>/credit-notes/<int:credit_number>.pdf",
        documents.credit_note_pdf,
        name="credit_note_pdf",
    ),
    *[
        path(
            f"orders/<str:number>/{name.replace('_', '-')}/",
            getattr(order_actions, name),
            name=f"order_{name}",
        )
        for name in (
            "confirm_payment",
            "confirm",
            "pack",
            "ship",
            "deliver",
            "cancel",
            "refund",
            "restock",
            "note",
            "clear_flag",
            "resend_confirmation",
            "request_refund",
            "decline_refund_request",
        )
    ],
    path("customers/", customers.customer_list, name="customers"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/notes/", customers.customer_note, name="customer_note"),
]
