"""The site's URLs plus a small API that uses the shared auth classes the way later routers will."""

from django.urls import path

from mallkit.api.common import MallkitAPI, token_auth, user_auth
from mallkit.urls import urlpatterns as site_urlpatterns

probe = MallkitAPI(title="Probe", urls_namespace="probe", docs_url=None, openapi_url=None)


@probe.get("/whoami", auth=user_auth)
def whoami(request):
    return {"email": request.auth.email, "user": request.user.email}


@probe.post("/whoami", auth=user_auth)
def whoami_post(request):
    return {"email": request.auth.email}


@probe.get("/token-only", auth=token_auth)
def token_only(request):
    return {"email": request.auth.email}


urlpatterns = [path("probe/", probe.urls), *site_urlpatterns]
