"""Every environment read of the gateway happens here (django-environ).

Two ways to run:
- embedded (the default): SQLite file, no Redis, state in process memory;
- production: DATABASE_URL points at PostgreSQL and REDIS_URL at Redis.
"""
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# LiteLLM's names, so an existing deployment's environment works unchanged.
LITELLM_MASTER_KEY: str = env.str("LITELLM_MASTER_KEY", default="")
CONFIG_FILE_PATH: str = env.str("CONFIG_FILE_PATH", default="")
DEFAULT_CONFIG_FILE = BASE_DIR / "gateway" / "config" / "default.yaml"
REDIS_URL: str = env.str("REDIS_URL", default="")
# Connections each worker process may open to Redis. Every request makes a few
# short calls (plus background ones), so a busy worker at a few hundred
# concurrent requests needs well under this; past it, a call waits for a free
# connection (up to REDIS_POOL_TIMEOUT_SECONDS) rather than failing.
REDIS_MAX_CONNECTIONS: int = env.int("REDIS_MAX_CONNECTIONS", default=100)
REDIS_POOL_TIMEOUT_SECONDS: float = env.float("REDIS_POOL_TIMEOUT_SECONDS", default=2.0)
HOST: str = env.str("HOST", default="0.0.0.0")
PORT: int = env.int("PORT", default=4000)
NUM_WORKERS: int = env.int("NUM_WORKERS", default=1)

DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)
# Never derived from the master key: anything signed with it (a session cookie)
# would let an attacker test master-key guesses offline. Without
# DJANGO_SECRET_KEY each process starts with a random one and then takes the
# random secret stored once in the database (gateway/ui/secret.py), so every
# worker and every restart signs /ui sessions alike.
SECRET_KEY: str = env.str("DJANGO_SECRET_KEY", default="") or secrets.token_urlsafe(50)
IS_SECRET_KEY_FROM_ENV: bool = bool(env.str("DJANGO_SECRET_KEY", default=""))
# A gateway is reached by IP, container name or load balancer: the Host header
# says nothing about trust here.
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig",  # no autodiscover: the site imports its admins (gateway/ui/site.py)
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "adrf",
    "gateway",
    "routing",
    "keys",
    "spend",
]

# Kept short and async on purpose: each sync middleware costs a thread hop on
# every proxied request (../shared/PERFORMANCE.md). Sessions, login and
# messages run for /ui only, inside UIMiddleware; admin views carry their own
# CSRF protection (csrf_protect), so Django's admin checks for those
# middlewares in this list are silenced.
MIDDLEWARE = ["gateway.errors.ErrorMiddleware", "gateway.ui.middleware.UIMiddleware"]
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

# The admin UI at /ui (gateway/ui). LiteLLM's names: UI_USERNAME and
# UI_PASSWORD (the master key when unset) log in as proxy admin.
DISABLE_ADMIN_UI: bool = env.bool("DISABLE_ADMIN_UI", default=False)
UI_USERNAME: str = env.str("UI_USERNAME", default="admin")
UI_PASSWORD: str = env.str("UI_PASSWORD", default="")
# Failed logins allowed per client address (and ten times that per username)
# within LOGIN_LOCKOUT_SECONDS, before logins are refused for that long.
MAX_LOGIN_ATTEMPTS: int = env.int("MAX_LOGIN_ATTEMPTS", default=5)
LOGIN_LOCKOUT_SECONDS: int = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
AUTHENTICATION_BACKENDS = ["gateway.ui.login.UILoginBackend"]
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "gateway_ui_session"
SESSION_COOKIE_PATH = "/ui"
SESSION_COOKIE_AGE: int = env.int("UI_SESSION_SECONDS", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE: bool = env.bool("UI_COOKIE_SECURE", default=False)
CSRF_COOKIE_PATH = "/ui"
CSRF_COOKIE_SECURE: bool = SESSION_COOKIE_SECURE
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "/ui/login/"
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "gateway.urls"
ASGI_APPLICATION = "gateway.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                           "django.contrib.auth.context_processors.auth",
                                           "django.contrib.messages.context_processors.messages"]},
    }
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'gateway.sqlite3'}")
}
# Under ASGI each request may run its ORM work on another thread, so persistent
# connections are not reused reliably; the hot path does not touch the database anyway.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# LLM requests carry long prompts and images; general_settings.max_request_size_mb
# can lower this per deployment of the gateway. Larger bodies are refused with a
# 413 before they are read (gateway/edge.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=32 * 1024 * 1024)
# Entries each in-process cache of the hot path keeps (keys, unknown keys, end-users),
# least recently used first out: bounds what a flood of made-up keys or ids can cost.
KEY_CACHE_MAX_ENTRIES: int = env.int("KEY_CACHE_MAX_ENTRIES", default=10_000)
# Stored Responses API turns (gateway/proxy/response_store.py) share Redis with
# every counter: bytes kept per turn, per key (its oldest turns go first) and in all.
RESPONSES_MAX_RECORD_BYTES: int = env.int("RESPONSES_MAX_RECORD_BYTES", default=4 * 1024 * 1024)
RESPONSES_MAX_BYTES_PER_KEY: int = env.int("RESPONSES_MAX_BYTES_PER_KEY", default=16 * 1024 * 1024)
RESPONSES_MAX_TOTAL_BYTES: int = env.int("RESPONSES_MAX_TOTAL_BYTES", default=256 * 1024 * 1024)
# Server limits (gateway/server_limits.py): request line and headers together;
# how long a client may take to send its headers, and may pause while sending a body.
MAX_REQUEST_HEADER_BYTES: int = env.int("MAX_REQUEST_HEADER_BYTES", default=64 * 1024)
REQUEST_HEADER_TIMEOUT_SECONDS: float = env.float("REQUEST_HEADER_TIMEOUT_SECONDS", default=10.0)
REQUEST_BODY_TIMEOUT_SECONDS: float = env.float("REQUEST_BODY_TIMEOUT_SECONDS", default=30.0)

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "gateway.errors.drf_exception_handler",
    # The management API's; the proxy views set their own (none: the pipeline authenticates).
    "DEFAULT_AUTHENTICATION_CLASSES": ["gateway.management_auth.GatewayKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}

CELERY_BROKER_URL: str = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER: bool = not REDIS_URL

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
USE_I18N = False
STATIC_URL = "/ui/static/"  # served by the gateway itself (gateway/ui/static.py): no collectstatic step
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

LOG_LEVEL: str = env.str("LITELLM_LOG", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "gateway": {"level": LOG_LEVEL},
        "routing": {"level": LOG_LEVEL},
        "keys": {"level": LOG_LEVEL},
        "spend": {"level": LOG_LEVEL},
        # django.request logs every 4xx as a warning: noise for a proxy whose
        # clients routinely send bad keys; our error middleware logs 5xx itself.
        "django.request": {"level": "ERROR"},
    },
}

# Azure upstream version when a deployment names none (LiteLLM 1.110's default).
AZURE_API_VERSION: str = env.str("AZURE_API_VERSION", default="2025-02-01-preview")
