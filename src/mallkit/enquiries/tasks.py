"""Background work for enquiries (django-tasks)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django_tasks import task

from .models import Enquiry


@task()
def email_enquiry_to_shop(enquiry_id: int) -> None:
    """E-mail a stored enquiry to the shop address."""
    enquiry = Enquiry.objects.select_related("product").filter(pk=enquiry_id).first()
    if enquiry is None:
        return
    body = render_to_string("enquiries/email_shop.txt", {"enquiry": enquiry})
    subject = f"Enquiry from {enquiry.name}"
    if enquiry.product:
        subject += f" about {enquiry.product.name}"
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [settings.MALLKIT_SHOP_EMAIL],
        reply_to=[enquiry.email],
    ).send()
