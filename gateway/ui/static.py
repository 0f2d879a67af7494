"""Static files of /ui (our static/ and the admin's own), served by the
gateway: no collectstatic step and no CDN, as the machines may be offline."""
from __future__ import annotations

import mimetypes
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest

CACHE_SECONDS = 3600


def serve_static(request: HttpRequest, path: str) -> FileResponse:
    found = finders.find(path)  # joins safely under each static root: no ../ escape
    if not found or not Path(found).is_file():
        raise Http404(path)
    content_type, encoding = mimetypes.guess_type(found)
    response = FileResponse(open(found, "rb"), content_type=content_type or "application/octet-stream")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
