"""Settings for a laptop, read from environment variables with safe defaults.

Every value a deployment changes comes from the environment (environs: a value that does
not parse stops the start with a message naming the variable):
DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, MEDIA_ROOT, ...
`fashionsite.settings.production` hardens these for a public server.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from environs import Env

env = Env()


@env.parser_for("names")
def names(value):
    """A comma-separated list of names (hosts, origins): each stripped, empty ones left out."""
    return [name.strip() for name in value.split(",") if name.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = env.path("VAR_DIR", BASE_DIR / "var")

SECRET_KEY = env.str("SECRET_KEY", "django-insecure-laptop-only-key-set-SECRET_KEY-in-production")
DEBUG = env.bool("DEBUG", True)
ALLOWED_HOSTS = env.names("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env.names("CSRF_TRUSTED_ORIGINS", "")
# Proxies in front of the shop that append to X-Forwarded-For (nginx: 1); 0 when clients
# connect to it directly. Every limit and log reads the client's address through it
# (fashionsite.clients.client_address).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "catalog",
    "recommender",
    "storefront",
]

MIDDLEWARE = [
    # The security headers first, so that every response has them (static files and 413s too).
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "storefront.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "storefront.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Failed sign-ins (admin and API token) are counted per account and client address
# (django-axes): after AXES_FAILURE_LIMIT of them that pair waits AXES_COOLOFF_TIME, while the
# account's owner elsewhere signs in as usual.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "fashionsite.clients.client_address"
AXES_LOCKOUT_CALLABLE = "storefront.errors.sign_in_locked_out"
AXES_VERBOSE = False

# A Content-Security-Policy on every response (django-csp): scripts, styles and images from
# the shop itself only (no inline script or style anywhere: the shop has no script, the
# admin none inline, Swagger UI its split view), so neither an upload nor injected markup
# can run. data: images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "fashionsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "fashionsite.wsgi.application"

DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 0),
    ),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # SQLite has one writer at a time. A transaction takes the write lock when it begins
    # (IMMEDIATE), so two writers queue instead of one failing as "database is locked" when
    # both would upgrade a read lock; a writer waits up to `timeout` seconds for the lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": env.int("SQLITE_TIMEOUT", 20)}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", VAR_DIR / "media")
# Serve uploaded media from Django itself (fine on a laptop; behind a real web server
# in production, where the web server serves MEDIA_ROOT).
SERVE_MEDIA = env.bool("SERVE_MEDIA", DEBUG)

# Celery: with no REDIS_URL, tasks run in-process (eager), so the shop needs no services.
REDIS_URL = env.str("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# With Redis, the cache (and so the API's throttle counts) is shared by every web process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that hangs costs a request 1 s at most (the limits then fail open).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False  # a failing task must not fail the admin's save
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 300)
# A task is acknowledged when it has finished, so a worker killed mid-task leaves it to be
# delivered again: after the visibility timeout, which must exceed the hard time limit.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A save must not hang when the broker is down: give up sending quickly (catch-up heals).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TASK_DEFAULT_QUEUE = "index"
CELERY_TASK_ROUTES = {
    "recommender.tasks.embed_images": {"queue": "embeddings"},
    "recommender.tasks.catch_up": {"queue": "embeddings"},
    "catalog.tasks.*": {"queue": "embeddings"},
}
CELERY_BEAT_SCHEDULE = {
    "catalog-thumbnails-catch-up": {
        "task": "catalog.tasks.thumbnails_catch_up",
        "schedule": float(env.int("RECOMMENDER_CATCH_UP_SECONDS", 60)),
    },
    "recommender-catch-up": {
        "task": "recommender.tasks.catch_up",
        "schedule": float(env.int("RECOMMENDER_CATCH_UP_SECONDS", 60)),
    },
    "sessions-clear-expired": {"task": "fashionsite.sessions_clear_expired", "schedule": 3600.0},
    "recommender-kept-photos-clean": {
        "task": "recommender.tasks.kept_photos_clean",
        "schedule": 600.0,
    },
}

# Catalogue uploads: refuse files over this size, and images with more pixels (fewer for PNG
# and WebP, decoded at full size), a longer side or a narrower shape than these: a small file
# can expand into gigabytes of pixels (docs/benchmarks.md, "Upload limits").
CATALOG_MAX_UPLOAD_BYTES = env.int("CATALOG_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
CATALOG_MAX_IMAGE_PIXELS = env.int("CATALOG_MAX_IMAGE_PIXELS", 40_000_000)
CATALOG_MAX_PNG_WEBP_PIXELS = env.int("CATALOG_MAX_PNG_WEBP_PIXELS", 12_000_000)
CATALOG_MAX_IMAGE_SIDE = env.int("CATALOG_MAX_IMAGE_SIDE", 10_000)
CATALOG_MAX_ASPECT_RATIO = env.int("CATALOG_MAX_ASPECT_RATIO", 4)
DATA_UPLOAD_MAX_MEMORY_SIZE = CATALOG_MAX_UPLOAD_BYTES + 1024 * 1024

CATALOG_PAGE_SIZE = 25

# The REST API under /api/v1/ (storefront/api/): token auth for apps, sessions for the browsable
# API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["storefront.api.permissions.IsStaffOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "storefront.api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "storefront.api.errors.api_exception_handler",
    # Anonymous searches by photo, per client address (e.g. 20/minute, 1000/hour).
    "DEFAULT_THROTTLE_RATES": {"image_search": env.str("API_IMAGE_SEARCH_ANON_RATE", "20/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lookalike API",
    "DESCRIPTION": 'Products, "more like this" and search by photo; staff manage the catalogue.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI's scripts from our own static files, not a CDN (works offline).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "storefront.api.schema.accepted_input",
    ],
}
# Make each photo's thumbnail after its upload (a task); the beat task catches up.
CATALOG_AUTO_THUMBNAILS = env.bool("CATALOG_AUTO_THUMBNAILS", True)
CATALOG_THUMBNAIL_BATCH = env.int("CATALOG_THUMBNAIL_BATCH", 500)

# The recommender. RECOMMENDER_BACKBONE: auto (the best backbone with a trained projection:
# EfficientNet-Lite0 until ResNet-50 has one; recommender/backbones.py), resnet50 or
# efficientnet_lite0.
RECOMMENDER_BACKBONE = env.str("RECOMMENDER_BACKBONE", "auto")
RECOMMENDER_RESNET50_WEIGHTS = env.str("RECOMMENDER_RESNET50_WEIGHTS", "")
RECOMMENDER_DEVICE = env.str("RECOMMENDER_DEVICE", "")  # empty: cuda when present, else cpu
# auto (default: on a CPU the backbone's fastest faithful int8 runtime, as installed; torch on a
# GPU), torch (the fp32 reference), onnx (ONNX Runtime, the same vectors), onnx-int8,
# openvino-int8 (2-4.5x torch on a CPU, vectors within cosine 0.99 of torch's). See
# recommender/runtimes/.
RECOMMENDER_RUNTIME = env.str("RECOMMENDER_RUNTIME", "auto")
RECOMMENDER_MODEL_DIR = env.path("RECOMMENDER_MODEL_DIR", VAR_DIR / "models")
RECOMMENDER_INDEX_DIR = env.path("RECOMMENDER_INDEX_DIR", VAR_DIR / "index")
# Index writers take a file lock in RECOMMENDER_INDEX_DIR, and with REDIS_URL a Redis lock too
# (recommender.snapshots.writer_lock). Turn the file lock off where the folder is a network
# mount shared by several machines: the Redis lock serialises them.
RECOMMENDER_INDEX_FILE_LOCK = env.bool("RECOMMENDER_INDEX_FILE_LOCK", True)
# Embed new photos and update the index when the catalogue changes (tasks on commit).
RECOMMENDER_AUTO_UPDATE = env.bool("RECOMMENDER_AUTO_UPDATE", True)
# Photos the periodic catch-up task embeds per run (bulk imports are embedded by
# `embed_catalog`, or by this task, RECOMMENDER_CATCH_UP_BATCH photos a run).
RECOMMENDER_CATCH_UP_BATCH = env.int("RECOMMENDER_CATCH_UP_BATCH", 256)
# "More like this" first moves its query towards this many nearest stored photos (query
# expansion, recommender/expansion.py); 0 searches with the query alone.
RECOMMENDER_EXPANSION_NEIGHBOURS = env.int("RECOMMENDER_EXPANSION_NEIGHBOURS", 8)
# Searches by photo a web process checks and embeds at once (the others wait): each may
# take up to 260 MB (docs/benchmarks.md, "Upload limits").
RECOMMENDER_PHOTO_SEARCHES_AT_ONCE = env.int("RECOMMENDER_PHOTO_SEARCHES_AT_ONCE", 2)
# Load the search model and the index when a web process starts serving (gunicorn.conf.py,
# fashionsite/wsgi.py), not at its first search by photo (recommender/warmup.py).
RECOMMENDER_PRELOAD = env.bool("RECOMMENDER_PRELOAD", True)
# Search by photo keeps each photo (and its embedded queries) in the media storage under
# photo-searches/, so its results page is a GET URL: for this many hours after it was sent,
# and no more than this many bytes of them in all (the oldest go first). Beat cleans up every
# 10 minutes; with tasks run in-process, each upload does (recommender/kept_photos.py).
RECOMMENDER_KEPT_PHOTOS_HOURS = env.int("RECOMMENDER_KEPT_PHOTOS_HOURS", 24)
RECOMMENDER_KEPT_PHOTOS_MAX_BYTES = env.int("RECOMMENDER_KEPT_PHOTOS_MAX_BYTES", 1024**3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client": {"()": "fashionsite.clients.ClientAddressFilter"}},
    "formatters": {"client": {"format": "%(levelname)s %(name)s [%(client)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["client"], "formatter": "client"}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own logging gives these loggers handlers of their own; here every line goes
        # through the root's handler only, so that it is printed once, in one format.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "faiss.loader": {"level": "WARNING"},
    },
}
