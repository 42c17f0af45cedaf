from django.db import models
from django.utils.translation import gettext_lazy as _


class Enquiry(models.Model):
    """A message a visitor sends about a product from a showcase site."""

    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enquiries",
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    company = models.CharField(_("company"), max_length=120, blank=True)
    message = models.TextField(_("message"), max_length=5000)
    is_read = models.BooleanField(_("read"), default=False)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("enquiry")
        verbose_name_plural = _("enquiries")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} <{self.email}>"
