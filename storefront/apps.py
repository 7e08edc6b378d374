from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = "Storefront"

    def ready(self):
        from . import checks  # noqa: F401  (registers the start-up check)
