import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve


def serve_media(request, path):
    """A file of MEDIA_ROOT, served by Django (SERVE_MEDIA); 404 for a missing file."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("storefront.api.urls")),
    path("", include("storefront.urls")),
]

if settings.SERVE_MEDIA:
    # django.conf.urls.static.static() only works with DEBUG on; SERVE_MEDIA also
    # lets a laptop run with DEBUG off and still show product photos.
    urlpatterns += [
        re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", serve_media),
    ]
