"""The storefront's start-up check (fashionsite.checks): the static files it links to."""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Warning, register

from fashionsite.checks import STARTUP


@register(STARTUP)
def static_manifest(app_configs, **kwargs):
    """With DEBUG off, a manifest static storage needs the manifest collectstatic writes: every
    page that links a static file fails without it."""
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    if staticfiles_storage.exists(staticfiles_storage.manifest_name):
        return []
    manifest = staticfiles_storage.path(staticfiles_storage.manifest_name)
    return [
        Warning(
            f"No static files manifest ({manifest}): with DEBUG off, every page would fail.",
            hint="Run `manage.py collectstatic --noinput`.",
            id="storefront.W001",
        )
    ]
