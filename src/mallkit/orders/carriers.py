"""Carriers the warehouse ships with, and the link where a customer follows a parcel."""

from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url: str  # with {number} where the tracking number goes; "" when unknown


CARRIERS = {
    carrier.code: carrier
    for carrier in [
        Carrier(
            "dhl",
            "DHL",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
            "?submit=1&tracking-id={number}",
        ),
        Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
        Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
        Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
        Carrier(
            "royal_mail",
            "Royal Mail",
            "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
        ),
        Carrier(
            "sf_express",
            "SF Express",
            "https://www.sf-express.com/we/ow/chn/sc/waybill/waybill-detail/{number}",
        ),
    ]
}
OTHER = "other"


def choices() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in CARRIERS.values()] + [(OTHER, str(_("Other carrier")))]


def tracking_link(*, carrier_code: str, tracking_number: str) -> str:
    """The carrier's tracking page for a number, or "" for a carrier we know no page of."""
    carrier = CARRIERS.get(carrier_code)
    if carrier is None or not carrier.tracking_url or not tracking_number:
        return ""
    return carrier.tracking_url.format(number=quote(tracking_number.strip(), safe=""))


def carrier_name(code: str) -> str:
    carrier = CARRIERS.get(code)
    return carrier.name if carrier else ""
