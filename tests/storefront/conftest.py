# The shop pages search with the real engine: same isolation and fixtures as the engine tests.
from tests.recommender.conftest import catalogue, recommender_settings  # noqa: F401
