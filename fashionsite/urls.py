from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# Errors no view answers: JSON under /api/, HTML pages elsewhere.
handler400 = "storefront.errors.bad_request"
handler403 = "storefront.errors.permission_denied"
handler404 = "storefront.errors.page_not_found"
handler500 = "storefront.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("storefront.api.urls")),
    path("", include("storefront.urls")),
]

if settings.SERVE_MEDIA:
    # The embedded default serves the photos itself (catalog.views.photo_file), with DEBUG
    # on or off; production settings never do: a web server serves MEDIA_ROOT.
    urlpatterns.insert(0, path(settings.MEDIA_URL.lstrip("/"), include("catalog.urls")))
