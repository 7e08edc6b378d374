from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommender"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
