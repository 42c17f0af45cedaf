"""The interactive documentation at /api/v1/docs, with the Swagger UI that ships in ninja.

Ninja's default page loads Swagger UI from a CDN unless "ninja" is an installed app; serving
its bundled files here keeps the docs working offline and needs no collectstatic.
"""

from pathlib import Path

import ninja
from django.http import FileResponse, Http404
from django.shortcuts import render
from ninja import Router, Swagger

ASSETS_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}

router = Router()


class BundledSwagger(Swagger):
    """Swagger UI from ninja's own files; requests made from the page carry the CSRF token."""

    def render_page(self, request, api, **kwargs):
        openapi_url = self.get_openapi_url(api, kwargs)
        context = {
            "api": api,
            "openapi_url": openapi_url,
            "swagger_settings": {**self.settings, "url": openapi_url},
        }
        return render(request, "api/docs.html", context)


@router.get("/assets/{name}", auth=None, include_in_schema=False, url_name="docs-asset")
def docs_asset(request, name: str):
    content_type = ASSETS.get(name)
    if content_type is None:
        raise Http404
    response = FileResponse((ASSETS_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
