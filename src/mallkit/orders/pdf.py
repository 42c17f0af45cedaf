"""The order documents as PDF: invoices, credit notes, packing slips and pick lists.

Drawn with ReportLab (pure Python). Latin text uses the PDF's built-in Helvetica; text with
other scripts (Chinese names and addresses) uses Adobe's STSong-Light, a CID font PDF readers
carry themselves, so no font file ships with the shop and the documents stay small.
"""

from collections.abc import Iterable
from io import BytesIO

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from mallkit.accounts.models import Address
from mallkit.core.money import format_amount

CJK_FONT = "STSong-Light"
MARGIN = 48
WIDTH, HEIGHT = A4


def _register_fonts() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _font(text: str, bold: bool) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return CJK_FONT
    return "Helvetica-Bold" if bold else "Helvetica"


class Sheet:
    """A few drawing helpers over a ReportLab canvas: text, rules, table rows, new pages."""

    def __init__(self, title: str):
        _register_fonts()
        self.buffer = BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(settings.MALLKIT_SHOP_NAME)
        self.y = HEIGHT - MARGIN

    def text(self, x, text, *, size=10, bold=False, align="left", y=None, width=None):
        text = str(text or "")
        font = _font(text, bold)
        if width is not None:
            while text and pdfmetrics.stringWidth(text, font, size) > width:
                text = text[:-2] + "…" if len(text) > 2 else ""
        self.canvas.setFont(font, size)
        y = self.y if y is None else y
        if align == "right":
            self.canvas.drawRightString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def line(self, *, size=10, gap=4, **kwargs):
        """Draw text and move down one line."""
        self.ensure(size + gap)
        self.text(MARGIN, kwargs.pop("text"), size=size, **kwargs)
        self.y -= size + gap

    def down(self, amount):
        self.y -= amount

    def rule(self):
        self.ensure(8)
        self.canvas.setLineWidth(0.5)
        self.canvas.setStrokeGray(0.7)
        self.canvas.line(MARGIN, self.y + 4, WIDTH - MARGIN, self.y + 4)
        self.y -= 8

    def ensure(self, height):
        if self.y - height < MARGIN:
            self.new_page()

    def new_page(self):
        self.canvas.showPage()
        self.y = HEIGHT - MARGIN

    def row(self, cells, columns, *, size=9, bold=False):
        """One table row: `columns` are (x, width, align) for each cell."""
        self.ensure(size + 6)
        for cell, (x, width, align) in zip(cells, columns, strict=True):
            anchor = x + width if align == "right" else x
            self.text(anchor, cell, size=size, bold=bold, align=align, width=width)
        self.y -= size + 6

    def pdf(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()


def _money(amount, currency) -> str:
    return f"{format_amount(amount, currency)} {currency}"


def address_lines(snapshot: dict) -> list[str]:
    """An order's address snapshot as printed on a parcel, in its country's order (the address
    book's rule), without the phone."""
    snapshot = snapshot or {}
    fields = ("full_name", "line1", "line2", "city", "region", "postal_code", "country")
    return Address(**{name: str(snapshot.get(name) or "") for name in fields}).lines()


def _address_lines(address: dict) -> list[str]:
    address = address or {}
    return address_lines(address) + ([address["phone"]] if address.get("phone") else [])


def _header(sheet: Sheet, title: str, facts: list[tuple[str, str]]):
    sheet.text(MARGIN, settings.MALLKIT_SHOP_NAME, size=16, bold=True)
    sheet.text(WIDTH - MARGIN, title, size=16, bold=True, align="right")
    sheet.down(16)
    sheet.text(MARGIN, settings.MALLKIT_SHOP_EMAIL, size=9)
    sheet.down(22)
    for label, value in facts:
        sheet.text(WIDTH - MARGIN - 150, label, size=9)
        sheet.text(WIDTH - MARGIN, value, size=9, bold=True, align="right")
        sheet.down(13)
    sheet.down(8)


LINE_COLUMNS = [
    (MARGIN, 250, "left"),
    (300, 40, "right"),
    (345, 75, "right"),
    (425, 45, "right"),
    (475, WIDTH - MARGIN - 475, "right"),
]


def _invoice_body(sheet: Sheet, order, *, heading: str):
    sheet.line(text=heading, size=10, bold=True)
    for text in _address_lines(order.billing_address or order.shipping_address):
        sheet.line(text=text, size=9, gap=3)
    sheet.line(text=order.email, size=9, gap=3)
    sheet.down(12)
    sheet.row(
        [_("Item"), _("Qty"), _("Unit price"), _("Tax"), _("Amount")], LINE_COLUMNS, bold=True
    )
    sheet.rule()
    for line in order.lines.all():
        name = line.product_name + (f" — {line.variant_label}" if line.variant_label else "")
        sheet.row(
            [
                f"{name} ({line.sku})",
                str(line.quantity),
                format_amount(line.unit_price, order.currency),
                f"{line.tax_rate.normalize():f}%",
                format_amount(line.unit_price * line.quantity, order.currency),
            ],
            LINE_COLUMNS,
        )
    sheet.rule()
    totals = [(_("Goods"), order.subtotal)]
    if order.discount:
        totals.append((_("Discount"), -order.discount))
    totals.append((_("Shipping"), order.shipping))
    totals.append((_("Tax included") if order.prices_include_tax else _("Tax"), order.tax))
    for label, amount in totals:
        sheet.row(["", "", label, "", _money(amount, order.currency)], LINE_COLUMNS)
    sheet.row(
        ["", "", _("Total"), "", _money(order.total, order.currency)],
        LINE_COLUMNS,
        bold=True,
        size=10,
    )


def render_invoice(invoice) -> bytes:
    """The invoice of a paid order, in the order's language."""
    order = invoice.order
    with translation.override(order.language or settings.LANGUAGE_CODE):
        sheet = Sheet(f"{_('Invoice')} {invoice.label}")
        _header(
            sheet,
            _("Invoice"),
            [
                (_("Invoice number"), invoice.label),
                (_("Date"), formats.date_format(invoice.issued_at, "SHORT_DATE_FORMAT")),
                (_("Order"), order.number),
                (_("Order date"), formats.date_format(order.created_at, "SHORT_DATE_FORMAT")),
            ],
        )
        _invoice_body(sheet, order, heading=_("Bill to"))
        sheet.down(10)
        sheet.line(
            text=_("Paid: %(amount)s") % {"amount": _money(order.amount_paid, order.currency)},
            size=9,
        )
        return sheet.pdf()


def render_credit_note(note) -> bytes:
    """A refund's credit note, against the invoice it corrects."""
    order = note.order
    with translation.override(order.language or settings.LANGUAGE_CODE):
        sheet = Sheet(f"{_('Credit note')} {note.label}")
        facts = [
            (_("Credit note number"), note.label),
            (_("Date"), formats.date_format(note.issued_at, "SHORT_DATE_FORMAT")),
            (_("Order"), order.number),
        ]
        if note.invoice_id:
            facts.append((_("Corrects invoice"), note.invoice.label))
        _header(sheet, _("Credit note"), facts)
        sheet.line(text=_("Customer"), bold=True)
        for text in _address_lines(order.billing_address or order.shipping_address):
            sheet.line(text=text, size=9, gap=3)
        sheet.line(text=order.email, size=9, gap=3)
        sheet.down(16)
        sheet.line(text=_("Refunded"), bold=True)
        sheet.line(text=_money(note.amount, note.currency), size=14, bold=True, gap=8)
        if note.reason:
            sheet.line(text=_("Reason: %(reason)s") % {"reason": note.reason}, size=9)
        return sheet.pdf()


def render_packing_slips(orders: Iterable) -> bytes:
    """One page per order: where it goes and what is in the parcel (units still to ship)."""
    sheet = Sheet(_("Packing slips"))
    columns = [(MARGIN, 110, "left"), (165, 290, "left"), (460, WIDTH - MARGIN - 460, "right")]
    for index, order in enumerate(orders):
        if index:
            sheet.new_page()
        _header(
            sheet,
            _("Packing slip"),
            [
                (_("Order"), order.number),
                (_("Placed"), formats.date_format(order.created_at, "SHORT_DATE_FORMAT")),
                (_("Delivery"), order.shipping_method_name),
            ],
        )
        sheet.line(text=_("Ship to"), bold=True)
        for text in _address_lines(order.shipping_address):
            sheet.line(text=text, size=11, gap=4)
        sheet.down(14)
        sheet.row([_("SKU"), _("Item"), _("Quantity")], columns, bold=True)
        sheet.rule()
        for line in order.lines.all():
            if line.quantity_to_ship <= 0:
                continue
            name = line.product_name + (f" — {line.variant_label}" if line.variant_label else "")
            sheet.row([line.sku, name, str(line.quantity_to_ship)], columns, size=10)
        if order.customer_note:
            sheet.down(12)
            sheet.line(text=_("Note from the customer"), bold=True, size=9)
            sheet.line(text=order.customer_note[:300], size=9)
    return sheet.pdf()


def render_pick_list(rows, orders) -> bytes:
    """Everything to take from the shelves for a batch of orders, by SKU."""
    sheet = Sheet(_("Pick list"))
    _header(
        sheet,
        _("Pick list"),
        [(_("Orders"), str(len(orders))), (_("Units"), str(sum(r.quantity for r in rows)))],
    )
    columns = [
        (MARGIN, 20, "left"),
        (72, 100, "left"),
        (175, 200, "left"),
        (380, 40, "right"),
        (430, WIDTH - MARGIN - 430, "left"),
    ]
    sheet.row(["", _("SKU"), _("Item"), _("Qty"), _("Orders")], columns, bold=True)
    sheet.rule()
    for row in rows:
        name = row.product_name + (f" — {row.variant_label}" if row.variant_label else "")
        sheet.row(
            ["[ ]", row.sku, name, str(row.quantity), ", ".join(row.orders)], columns, size=10
        )
    return sheet.pdf()
