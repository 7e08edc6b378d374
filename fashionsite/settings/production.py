"""Settings for a public server: `DJANGO_SETTINGS_MODULE=fashionsite.settings.production`.

Requires SECRET_KEY, ALLOWED_HOSTS and REDIS_URL in the environment; passes
`manage.py check --deploy`.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import REDIS_URL, env

DEBUG = env.bool("DEBUG", False)
SERVE_MEDIA = False  # a web server serves MEDIA_ROOT (README, "Security")
SECRET_KEY = env.str("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment (50+ random characters).")
ALLOWED_HOSTS = env.names("ALLOWED_HOSTS", "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set ALLOWED_HOSTS in the environment, e.g. ALLOWED_HOSTS=shop.example.com"
    )
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Set REDIS_URL in the environment: tasks run on Celery workers, and every web process "
        "must count the request limits in one shared cache."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
