from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..access import is_staff_member


class LoginForm(forms.Form):
    # Named "login" because django-axes reads the user name from that field
    # (AXES_USERNAME_FORM_FIELD), like the shop's own login form.
    login = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = (self.cleaned_data.get("login") or "").strip().lower()
        password = self.cleaned_data.get("password") or ""
        if email and password:
            # `login` travels with the credentials so django-axes counts failures per address.
            user = authenticate(self.request, username=email, password=password, login=email)
            if user is None or not is_staff_member(user):
                raise ValidationError(
                    _("Enter the e-mail address and password of a staff account."),
                    code="invalid_login",
                )
            self.user = user
        return self.cleaned_data
