"""Who may open a back-office page: active staff holding the page's Django permissions.

Anonymous visitors are sent to the back office's login page; anyone else without access gets a
403 page in the back office's layout, never a page of the shop.
"""

from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_staff_member(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def can(user, *permissions: str) -> bool:
    """Whether a member of staff holds every one of the permissions ("app_label.codename")."""
    return is_staff_member(user) and user.has_perms(permissions)


def forbidden(request):
    return render(request, "backoffice/403.html", status=403)


def staff_required(*permissions: str, post: Iterable[str] = ()):
    """Let a view through for staff holding `permissions`, plus `post` for changes.

    `@staff_required("catalog.view_product", post=["catalog.change_product"])` shows a page to
    anyone who may see products and saves it only for those who may change them.
    """
    post = tuple(post)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("backoffice:login"))
            needed = permissions if request.method in SAFE_METHODS else permissions + post
            if not can(request.user, *needed):
                return forbidden(request)
            return view(request, *args, **kwargs)

        wrapper.permissions = permissions
        wrapper.post_permissions = post
        return wrapper

    return decorator
