"""Enquiries from showcase visitors: stored, then e-mailed to the shop after commit."""

from django.db import transaction

from .models import Enquiry
from .tasks import email_enquiry_to_shop


def submit_enquiry(
    *, product=None, name: str, email: str, message: str, phone: str = "", company: str = ""
) -> Enquiry:
    """Store an enquiry and e-mail it to the shop address once the row is committed."""
    enquiry = Enquiry.objects.create(
        product=product,
        name=name.strip(),
        email=email.strip(),
        message=message.strip(),
        phone=phone.strip(),
        company=company.strip(),
    )
    transaction.on_commit(lambda: email_enquiry_to_shop.enqueue(enquiry.pk))
    return enquiry


def mark_read(*, enquiry_ids) -> int:
    return Enquiry.objects.filter(id__in=list(enquiry_ids)).update(is_read=True)
