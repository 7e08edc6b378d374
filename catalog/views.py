"""Photo files served by Django itself: the embedded default only (SERVE_MEDIA); in
production a web server serves MEDIA_ROOT."""

from pathlib import PurePosixPath

from django.conf import settings
from django.http import Http404
from django.views.static import serve

from .images import CONTENT_TYPES


def photo_file(request, path):
    """A stored photo or thumbnail of MEDIA_ROOT, as the content type of its format (its
    extension: catalog.images.CONTENT_TYPES); 404 for any other file or a missing one."""
    content_type = CONTENT_TYPES.get(PurePosixPath(path).suffix.lstrip("."))
    if content_type is None:
        raise Http404("Not a photo.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Type"] = content_type
    return response
