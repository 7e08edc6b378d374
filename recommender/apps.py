from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommender"

    def ready(self):
        from . import checks, receivers  # noqa: F401  (registers the checks, connects the receivers)
