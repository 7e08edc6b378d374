from tests.recommender.conftest import recommender_settings  # noqa: F401  (same isolation as the engine tests)
