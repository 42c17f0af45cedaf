"""What customers see of order management: the shipping status and tracking link in their order
history and on the order page, and the "on its way" e-mail, in English and Chinese."""

from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from mallkit.orders import fulfilment, processing
from tests.factories import UserFactory
from tests.notifications.catalog import read_po, write_mo

from .helpers import owner, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("order_shop")]

ORDERS_PO = Path(__file__).resolve().parents[2] / "tmp_i18n_orders.po"


@pytest.fixture
def chinese(settings, tmp_path):
    """The project's catalogue, plus this issue's PO file while it waits to be merged into it."""
    if ORDERS_PO.exists():
        write_mo(read_po(ORDERS_PO), tmp_path / "locale/zh_Hans/LC_MESSAGES/django.mo")
        settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
    translation.trans_real._translations = {}
    yield "zh-hans"
    translation.trans_real._translations = {}


def shipped_order(customer, **kwargs):
    order = processing.confirm_payment(order=place(customer=customer, **kwargs), actor=owner())
    fulfilment.ship(order=order, carrier="dhl", tracking_number="JD014600")
    return order


def test_history_and_order_page_show_the_shipping_status_and_tracking_link(client):
    grace = UserFactory()
    order = shipped_order(grace, quantities=(2,))
    waiting = place(customer=grace)
    client.force_login(grace)

    history = client.get(reverse("accounts:orders")).content.decode()
    link = "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&amp;tracking-id=JD014600"
    assert history.count(link) == 1
    assert "Track (DHL)" in history and "Shipped" in history
    assert waiting.number in history

    detail = client.get(order.get_absolute_url()).content.decode()
    assert "Sent with DHL on" in detail and "JD014600" in detail and link in detail
    assert "Track your parcel" in detail


def test_the_history_reads_shipments_in_one_query_for_the_whole_page(client):
    grace = UserFactory()
    shipped_order(grace)
    client.force_login(grace)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("accounts:orders")).status_code == 200
        return len(queries)

    few = count()
    for _ in range(3):
        shipped_order(grace)
    assert count() == few


def test_the_shipped_email_and_tracking_in_chinese(
    client, chinese, django_capture_on_commit_callbacks
):
    grace = UserFactory()
    order = processing.confirm_payment(
        order=place(customer=grace, quantities=(3,), language=chinese), actor=owner()
    )
    line = order.lines.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.ship(
            order=order, carrier="sf_express", tracking_number="SF1234", quantities={line.pk: 1}
        )

    [message] = mail.outbox
    assert message.subject == f"您的订单 {order.number} 已发货"
    body = message.body
    assert f"订单 {order.number} 的一个包裹已由 SF Express 从我们的仓库发出。" in body
    assert "运单号: SF1234" in body
    assert "https://www.sf-express.com/we/ow/chn/sc/waybill/waybill-detail/SF1234" in body

    client.force_login(grace)
    with translation.override(chinese):
        client.cookies["django_language"] = chinese
        detail = client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = detail.content.decode()
    assert "由 SF Express 发出" in html and "运单号" in html
    assert "SF1234" in html
