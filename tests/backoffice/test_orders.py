"""Order management in the back office: work queues with counts, search, filters and CSV, the
order page and its actions for each role, printed documents, customers and the dashboard."""

import base64
import csv
import io
import re
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mallkit.inventory.models import StockLevel
from mallkit.orders import fulfilment, processing, services
from mallkit.orders.models import CustomerNote, Fulfilment, Order
from tests.backoffice.roles import PEOPLE, make_person
from tests.factories import AddressFactory, UserFactory, buyable_variant
from tests.orders.helpers import owner, pay_online, place, shop_settings, snapshot

pytestmark = pytest.mark.django_db

ORDERS = reverse("backoffice:orders")


@pytest.fixture(autouse=True)
def _shop(settings):
    shop_settings(settings)


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def numbers_in(html):
    return re.findall(r'href="/backoffice/orders/(MK-[0-9A-Z]+)/"', html)


@pytest.fixture
def shop_orders():
    """An order in each queue, named by it."""
    boss = owner()
    orders = {"awaiting_payment": place(payment_method="bank_transfer", email="bank@example.com")}
    orders["to_pack"] = processing.confirm_payment(order=place(), actor=boss)
    orders["to_ship"] = fulfilment.pack(order=processing.confirm_payment(order=place()))
    shipped = processing.confirm_payment(order=place())
    fulfilment.ship(order=shipped, carrier="dhl", tracking_number="JD1")
    orders["shipped"] = shipped
    done = processing.confirm_payment(order=place())
    fulfilment.ship(order=done, carrier="dhl")
    orders["completed"] = fulfilment.deliver(order=Order.objects.get(pk=done.pk))
    orders["cancelled"] = processing.cancel(order=place())
    asked = processing.confirm_payment(order=place(), actor=boss)
    services.request_refund(order=asked, reason="Too small", actor=boss)
    orders["refund_requested"] = asked
    flagged = place(payment_method="sandbox")
    services.flag(order=flagged, reason="Paid 1.00 too little")
    orders["flagged"] = flagged
    return orders


# Queues ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "queue"),
    [("warehouse", "to_pack"), ("service", "flagged"), ("owner", "all")],
)
def test_each_role_lands_on_its_own_queue(client, kind, queue):
    client.force_login(make_person(kind))
    response = client.get(ORDERS)
    assert response.status_code == 302
    assert response["Location"] == f"{ORDERS}?queue={queue}"


def test_each_queue_holds_its_orders_and_every_tab_its_count(client, shop_orders):
    client.force_login(make_person("owner"))
    html = page(client, ORDERS, queue="to_pack")
    for key in shop_orders:
        label_and_count = re.search(
            rf'\?queue={key}"[^>]*>([^<]+)<span class="tab-count[^"]*">(\d+)<', html
        )
        expected = 2 if key == "to_pack" else 1  # the refund request's order also waits to pack
        if key == "awaiting_payment":
            expected = 1
        assert label_and_count and int(label_and_count.group(2)) == expected, key
    for key, order in shop_orders.items():
        listed = numbers_in(page(client, ORDERS, queue=key))
        assert order.number in listed, key
    assert sorted(numbers_in(page(client, ORDERS, queue="to_pack"))) == sorted(
        [shop_orders["to_pack"].number, shop_orders["refund_requested"].number]
    )
    assert len(numbers_in(page(client, ORDERS, queue="all"))) == len(shop_orders)


def test_search_by_number_email_name_phone_and_sku(client):
    client.force_login(make_person("service"))
    teapot = buyable_variant(sku="TEA-POT-1")
    grace = place(email="grace@example.com", variants=[teapot], quantities=(1,))
    other = place(email="someone@example.com")
    Order.objects.filter(pk=other.pk).update(
        shipping_address={"full_name": "Linus Pauling"}, phone="+1 555 0199"
    )
    for query, found in [
        (grace.number, grace),
        (grace.number[-4:].lower(), grace),
        ("GRACE@example", grace),
        ("pauling", other),
        ("555 0199", other),
        ("tea-pot-1", grace),
    ]:
        assert numbers_in(page(client, ORDERS, q=query)) == [found.number], query
    assert numbers_in(page(client, ORDERS, q="nobody")) == []


def test_filters_by_status_payment_method_and_date(client):
    client.force_login(make_person("owner"))
    bank, card = place(), place(payment_method="sandbox")
    cod = place(payment_method="cod")
    Order.objects.filter(pk=bank.pk).update(created_at=timezone.now() - timedelta(days=10))
    assert numbers_in(page(client, ORDERS, queue="all", payment_method="sandbox")) == [card.number]
    assert numbers_in(page(client, ORDERS, queue="all", status="confirmed")) == [cod.number]
    today = timezone.localdate().isoformat()
    recent = numbers_in(page(client, ORDERS, queue="all", date_from=today, date_to=today))
    assert sorted(recent) == sorted([card.number, cod.number])
    old = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert numbers_in(page(client, ORDERS, queue="all", date_to=old)) == [bank.number]
    # A filter that is not valid is ignored rather than failing the page.
    assert len(numbers_in(page(client, ORDERS, queue="all", date_from="soon"))) == 3


def test_csv_export_of_the_filtered_list(client):
    client.force_login(make_person("service"))
    wanted = place(email="=cmd@example.com", quantities=(3,))
    place(payment_method="sandbox")
    response = client.get(
        reverse("backoffice:order_export"), {"queue": "all", "payment_method": "bank_transfer"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["number"], row["items"], row["total"], row["payment_method"]) == (
        wanted.number,
        "3",
        "35.00",
        "Bank transfer",
    )
    assert row["email"] == "'=cmd@example.com"  # a spreadsheet must not run it


def test_the_list_reads_in_a_fixed_number_of_queries(client):
    client.force_login(make_person("owner"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            page(client, ORDERS, queue="all", q="example")
        return len(queries)

    place()
    few = count()
    for _ in range(4):
        place(payment_method="sandbox")
    assert count() == few


# The order page and its actions ------------------------------------------------------------------


def test_the_order_page_shows_customer_lines_payments_and_timeline(client):
    person = UserFactory(full_name="Ada Lovelace", email="ada@example.com")
    order = pay_online(place(payment_method="sandbox", customer=person, quantities=(2, 1)))
    services.add_note(order=order, text="Gift wrap, please.", actor=make_person("service"))
    client.force_login(make_person("service"))

    html = page(client, reverse("backoffice:order_detail", args=[order.number]))

    assert "Ada Lovelace" in html and "ada@example.com" in html and "12 Analytical Row" in html
    for line in order.lines.all():
        assert line.sku in html
    assert "Payments" in html and "Captured" in html and "sandbox" in html
    for event in ["Order placed", "Payment received", "Invoice issued", "Gift wrap, please."]:
        assert event in html
    assert "INV-000001" in html
    assert reverse("backoffice:customer_detail", args=[person.pk]) in html
    assert " style=" not in html and "<script>" not in html


def test_the_warehouse_sees_what_to_do_but_not_payments_or_refunds(client):
    order = processing.confirm_payment(order=place(), actor=owner())
    client.force_login(make_person("warehouse"))
    html = page(client, reverse("backoffice:order_detail", args=[order.number]))
    assert "Mark packed" in html and "Ship and e-mail the tracking link" in html
    assert "Payments" not in html
    assert reverse("backoffice:order_refund", args=[order.number]) not in html
    assert reverse("backoffice:order_cancel", args=[order.number]) not in html


def test_the_warehouse_packs_and_ships_with_a_tracking_number(
    client, django_capture_on_commit_callbacks
):
    order = processing.confirm_payment(order=place(quantities=(2, 1)), actor=owner())
    line = order.lines.first()
    client.force_login(make_person("warehouse"))
    detail = reverse("backoffice:order_detail", args=[order.number])

    response = client.post(reverse("backoffice:order_pack", args=[order.number]))
    assert response.status_code == 302 and response["Location"] == detail
    assert Order.objects.get(pk=order.pk).fulfilment_status == "packed"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("backoffice:order_ship", args=[order.number]),
            {
                "ship-carrier": "ups",
                "ship-tracking_number": "1Z999AA10123456784",
                f"ship-line-{line.pk}": "1",
            },
        )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.fulfilment_status == "partially_shipped"
    parcel = Fulfilment.objects.get(order=order)
    assert parcel.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert [m.to for m in mail.outbox] == [[order.email]]
    assert "Shipped with UPS" in page(client, detail)


def test_a_bad_shipment_form_shows_its_errors_and_changes_nothing(client):
    order = processing.confirm_payment(order=place(), actor=owner())
    client.force_login(make_person("warehouse"))
    before = snapshot(order)
    response = client.post(
        reverse("backoffice:order_ship", args=[order.number]),
        {"ship-carrier": "other", "ship-tracking_url": "not a link"},
    )
    assert response.status_code == 400
    assert "Name the carrier." in response.content.decode()
    assert snapshot(order) == before


def test_an_action_from_the_wrong_status_is_refused_with_a_message(client):
    order = place()  # awaiting payment: nothing to ship yet
    client.force_login(make_person("owner"))
    before = snapshot(order)
    response = client.post(
        reverse("backoffice:order_ship", args=[order.number]), {"ship-carrier": "dhl"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was changed." in html
    assert f"Cannot ship order {order.number}: it is awaiting payment" in html
    assert snapshot(order) == before


def test_customer_service_confirms_payment_cancels_and_refunds(client):
    client.force_login(make_person("service"))
    paid = place()
    response = client.post(
        reverse("backoffice:order_confirm_payment", args=[paid.number]),
        {"confirm_payment-note": "On the statement of 3 May"},
    )
    assert response.status_code == 302
    paid.refresh_from_db()
    assert (paid.payment_status, paid.invoice.number) == ("paid", 1)
    response = client.post(
        reverse("backoffice:order_refund", args=[paid.number]),
        {"refund-amount": "5.00", "refund-note": "Late delivery"},
    )
    assert response.status_code == 302
    paid.refresh_from_db()
    assert (paid.amount_refunded, paid.payment_status) == (Decimal("5.00"), "partially_refunded")
    response = client.post(
        reverse("backoffice:order_refund", args=[paid.number]), {"refund-amount": "500"}
    )
    assert response.status_code == 409
    assert "At most 20.00 USD" in response.content.decode()

    unpaid = place()
    variant = unpaid.lines.get().variant
    client.post(reverse("backoffice:order_cancel", args=[unpaid.number]), {"cancel-note": "Dup"})
    assert Order.objects.get(pk=unpaid.pk).status == "cancelled"
    assert StockLevel.objects.get(variant=variant).allocated == 0


def test_the_warehouse_cannot_refund_and_customer_service_cannot_ship_or_edit_stock(client):
    order = processing.confirm_payment(order=place(), actor=owner())
    variant = order.lines.get().variant
    before = snapshot(order)
    client.force_login(make_person("warehouse"))
    response = client.post(
        reverse("backoffice:order_refund", args=[order.number]), {"refund-amount": "5.00"}
    )
    assert response.status_code == 403
    client.force_login(make_person("service"))
    response = client.post(
        reverse("backoffice:order_ship", args=[order.number]), {"ship-carrier": "dhl"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("backoffice:stock_adjust", args=[variant.pk]),
        {f"adjust-{variant.pk}-change": "5", f"adjust-{variant.pk}-reason": "received"},
    )
    assert response.status_code == 403
    assert snapshot(order) == before


# (method, URL name, the roles allowed in); every order URL takes the order's number.
ORDER_PAGES = [
    ("get", "backoffice:orders", {"owner", "service", "warehouse"}),
    ("get", "backoffice:order_export", {"owner", "service", "warehouse"}),
    ("get", "backoffice:pick_list", {"owner", "service", "warehouse"}),
    ("get", "backoffice:packing_slips", {"owner", "service", "warehouse"}),
    ("get", "backoffice:customers", {"owner", "service"}),
    ("get", "backoffice:order_detail", {"owner", "service", "warehouse"}),
    ("get", "backoffice:invoice_pdf", {"owner", "service", "warehouse"}),
    ("post", "backoffice:order_confirm_payment", {"owner", "service"}),
    ("post", "backoffice:order_confirm", {"owner", "service"}),
    ("post", "backoffice:order_pack", {"owner", "warehouse"}),
    ("post", "backoffice:order_ship", {"owner", "warehouse"}),
    ("post", "backoffice:order_deliver", {"owner", "warehouse"}),
    ("post", "backoffice:order_cancel", {"owner", "service"}),
    ("post", "backoffice:order_refund", {"owner", "service"}),
    ("post", "backoffice:order_restock", {"owner", "service"}),
    ("post", "backoffice:order_note", {"owner", "service", "warehouse"}),
    ("post", "backoffice:order_clear_flag", {"owner", "service"}),
    ("post", "backoffice:order_resend_confirmation", {"owner", "service"}),
    ("post", "backoffice:order_request_refund", {"owner", "service"}),
    ("post", "backoffice:order_decline_refund_request", {"owner", "service"}),
]


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize(("method", "name", "allowed"), ORDER_PAGES)
def test_each_role_gets_exactly_its_order_pages(client, kind, method, name, allowed):
    order = processing.confirm_payment(order=place(), actor=owner())
    needs_number = name not in {
        "backoffice:orders",
        "backoffice:order_export",
        "backoffice:pick_list",
        "backoffice:packing_slips",
        "backoffice:customers",
    }
    url = reverse(name, args=[order.number] if needs_number else [])
    client.force_login(make_person(kind))
    before = snapshot(order)

    response = getattr(client, method)(url)

    if kind in allowed:
        assert response.status_code in {200, 302, 400, 409}, response.status_code
    else:
        assert response.status_code == 403
        assert b"No access" in response.content
        assert snapshot(order) == before


def pdf_text(content: bytes) -> str:
    """The text drawn in a PDF's page streams (ASCII85 and Flate encoded), to look for a string."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = stream.strip()
        try:
            if data.endswith(b"~>"):
                data = base64.a85decode(data, adobe=True)
            text.append(zlib.decompress(data).decode("latin-1"))
        except (ValueError, zlib.error):
            text.append(stream.decode("latin-1"))
    return "".join(text)


# Documents ------------------------------------------------------------------------------------


def test_pick_list_and_packing_slips_for_many_orders(client):
    client.force_login(make_person("warehouse"))
    mug = buyable_variant(sku="MUG-1", name="Mug")
    first = processing.confirm_payment(order=place(variants=[mug], quantities=(2,)))
    second = processing.confirm_payment(order=place(variants=[mug], quantities=(3,)))
    url = reverse("backoffice:pick_list")
    html = page(client, url, orders=[first.number, second.number])
    assert re.search(r"MUG-1</td><td>Mug</td><td class=\"num\"><strong>5</strong>", html)
    slips = page(client, reverse("backoffice:packing_slips"), orders=[first.number, second.number])
    assert slips.count("Packing slip</h1>") == 2 and "12 Analytical Row" in slips
    # Without ticked orders: the whole "to pack" queue.
    assert page(client, url).count("MUG-1") == 1
    for name in ["backoffice:pick_list", "backoffice:packing_slips"]:
        response = client.get(reverse(name), {"orders": first.number, "format": "pdf"})
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_invoice_and_credit_note_pdfs(client):
    client.force_login(make_person("service"))
    unpaid = place()
    assert client.get(reverse("backoffice:invoice_pdf", args=[unpaid.number])).status_code == 404
    order = processing.confirm_payment(order=place(language="zh-hans"), actor=owner())
    order = processing.refund(order=order, amount="3.00", actor=owner(), reason="破损")
    response = client.get(reverse("backoffice:invoice_pdf", args=[order.number]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content.startswith(b"%PDF") and "INV-000001" in pdf_text(response.content)
    note = order.credit_notes.get()
    response = client.get(reverse("backoffice:credit_note_pdf", args=[order.number, note.number]))
    assert response.content.startswith(b"%PDF") and b"STSong-Light" in response.content
    missing = reverse("backoffice:credit_note_pdf", args=[order.number, 99])
    assert client.get(missing).status_code == 404


# Customers and the dashboard ------------------------------------------------------------------


def test_customers_list_search_and_page_with_notes(client):
    grace = UserFactory(
        full_name="Grace Hopper", email="grace@example.com", phone="+1 212 555 0100"
    )
    AddressFactory(user=grace, line1="1 Navy Yard")
    UserFactory(full_name="Alan Turing")
    order = processing.confirm_payment(order=place(customer=grace, quantities=(3,)), actor=owner())
    processing.refund(order=order, amount="5.00", actor=owner())
    client.force_login(make_person("service"))

    html = page(client, reverse("backoffice:customers"), q="grace h")
    assert "Grace Hopper" in html and "Alan Turing" not in html
    assert page(client, reverse("backoffice:customers"), q="555 0100").count("Grace Hopper") == 1

    detail = reverse("backoffice:customer_detail", args=[grace.pk])
    html = page(client, detail)
    assert order.number in html and "1 Navy Yard" in html
    assert "30.00 USD" in html  # 35.00 paid, 5.00 refunded
    response = client.post(
        reverse("backoffice:customer_note", args=[grace.pk]), {"text": "Prefers phone calls."}
    )
    assert response.status_code == 302
    assert "Prefers phone calls." in page(client, detail)
    client.force_login(make_person("warehouse"))
    assert client.get(detail).status_code == 403
    response = client.post(reverse("backoffice:customer_note", args=[grace.pk]), {"text": "x"})
    assert response.status_code == 403
    assert CustomerNote.objects.count() == 1


def test_the_dashboard_shows_sales_queues_chart_top_products_and_low_stock(client):
    boss = owner()
    teapot = buyable_variant(name="Teapot", price="30.00", stock=3)
    processing.confirm_payment(order=place(variants=[teapot], quantities=(2,)), actor=boss)
    place(payment_method="bank_transfer")  # not a sale until paid
    client.force_login(make_person("owner"))

    with CaptureQueriesContext(connection) as queries:
        html = page(client, reverse("backoffice:dashboard"))

    assert len(queries) <= 16
    assert "Sales today" in html and "65.00 USD" in html
    assert 'class="chart"' in html and html.count('class="chart-bar"') == 30
    assert re.search(r"<td>Teapot</td><td class=\"num\">2</td>", html)
    assert 'href="/backoffice/orders/?queue=to_pack"' in html
    assert "Low stock" in html and teapot.sku in html
    assert " style=" not in html and "<script>" not in html

    client.force_login(make_person("catalogue"))
    html = page(client, reverse("backoffice:dashboard"))
    assert "Sales today" not in html and "Active products" in html
