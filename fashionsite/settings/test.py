"""Settings for the test suite: the laptop settings with faster hashing."""

from .base import *  # noqa: F401,F403
from .base import DATABASES, VAR_DIR, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app folders, without a collectstatic run.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Catalogue tests do not embed every photo they make; the pipeline tests turn this on.
RECOMMENDER_AUTO_UPDATE = env.bool("RECOMMENDER_AUTO_UPDATE", False)
CATALOG_AUTO_THUMBNAILS = env.bool("CATALOG_AUTO_THUMBNAILS", False)
# Tests embed with the fp32 reference; tests/recommender/runtimes/ checks the faster
# runtimes against it.
RECOMMENDER_RUNTIME = env.str("RECOMMENDER_RUNTIME", "torch")
# Tests load the model when they search with it, not when a server starts
# (tests/test_server_start.py).
RECOMMENDER_PRELOAD = env.bool("RECOMMENDER_PRELOAD", False)
# A file, not memory, so that worker processes started by the pipeline tests share it.
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / "test-db.sqlite3")
