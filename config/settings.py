"""Loupe settings: one module, driven by the environment.

Two ways to run from the same code:

* Embedded (the default, ``make run``): no ``DATABASE_URL`` set, so SQLite in WAL mode under
  ``var/``, the in-memory channel layer, the file e-mail backend under ``var/mail`` and a secret
  key generated once into ``var/secret_key``.
* Scale-out: ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` (channel layer) and ``SECRET_KEY`` from
  the environment. Outside the embedded mode a missing secret fails loudly at start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("LOUPE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

#: Embedded mode: SQLite (no DATABASE_URL, or a sqlite:// one).
EMBEDDED = env.str("DATABASE_URL", default="sqlite://").startswith("sqlite")

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    value = env.str("SECRET_KEY", default="")
    if value:
        return value
    if not EMBEDDED:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DATABASE_URL names a server database "
            "(the scale-out mode has no default secret)."
        )
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver", env.str("HOST", default="127.0.0.1")]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_tasks",
    "django_tasks_db",
    "workforce",
    "flows",
    "reviews",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.services.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "workforce.middleware.MfaRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database -------------------------------------------------------------------------------
_test_suffix = os.environ.get("LOUPE_TEST_DB_SUFFIX", str(os.getpid()))
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'loupe.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two writers never
        # deadlock upgrading read locks; the busy timeout makes the others wait instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Django's backend with the process's write transactions taken in turn (config/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    # A file, not :memory:, so that a live server process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{_test_suffix}.sqlite3")}
    # Keep each serving thread's connection: opening one and running the PRAGMAs above on every
    # request cost about 2 ms of CPU, most of a StartHumanLoop.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that does not answer fails a connect in bounded time (a 503, config/unavailable.py)
    # rather than holding the request thread.
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options.setdefault("connect_timeout", env.int("LOUPE_DB_CONNECT_TIMEOUT", default=5))
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_test_suffix}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A Redis that does not answer fails a connect in bounded time: pushes are best effort.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 2}],
                "prefix": env.str("LOUPE_CHANNEL_PREFIX", default="loupe"),
            },
        }
    }
else:
    # channels' in-memory layer, safe to send to from the publisher's loop (config/channel_layer.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "config.channel_layer.InMemoryChannelLayer"}}

# --- Cache (rate-limit counters; shared by every process through Redis when it is set) -------
if REDIS_URL:
    CACHES = {
        "default": {
            # Unreachable Redis reads as an empty cache: rate limits fail open for the moment.
            "BACKEND": "config.unavailable.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("LOUPE_CACHE_PREFIX", default="loupe-cache"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
#: Rate limits (flows/throttle.py): "<count>/<s|min|hour|day>", empty or 0 turns one off.
LOUPE_RATE_API = env.str("LOUPE_RATE_API", default="60000/min")
LOUPE_RATE_AWS = env.str("LOUPE_RATE_AWS", default="60000/min")
LOUPE_RATE_WORKER_TOKEN = env.str("LOUPE_RATE_WORKER_TOKEN", default="30/min")
#: Behind our nginx: the client address is the last X-Forwarded-For entry.
LOUPE_TRUST_X_FORWARDED_FOR = env.bool("LOUPE_TRUST_X_FORWARDED_FOR", default=False)

# --- Background tasks (Django's tasks API, database backend) ----------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "workforce.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_ADAPTER = "workforce.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "workforce.adapters.SocialAccountAdapter"
# A workforce's identity provider vouches for its users' addresses (workforce/oidc.py).
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
LOUPE_OPEN_SIGNUP = env.bool("LOUPE_OPEN_SIGNUP", default=True)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]

# --- E-mail ---------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Loupe <loupe@localhost>")

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from the finders until collectstatic
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workforce.authentication.ApiKeyAuthentication",
        "flows.aws.drf.SigV4Authentication",
        "workforce.authentication.WorkerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "flows.api.errors.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["flows.throttle.ApiRateThrottle"],
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loupe API",
    "DESCRIPTION": "Human review of machine-learning predictions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: nothing is fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "HumanLoopStatusEnum": "flows.models.loops.HumanLoopStatus",
        "FlowDefinitionStatusEnum": "flows.models.definitions.FlowDefinitionStatus",
        "HumanTaskUiStatusEnum": "flows.models.definitions.HumanTaskUiStatus",
        "ReviewStatusEnum": "reviews.models.ReviewStatus",
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
#: HTTPS: set SECURE_SSL_REDIRECT=true behind TLS (and SECURE_PROXY_SSL_HEADER_FORWARDED_PROTO=true
#: when a proxy terminates it); HSTS is only sent then.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if SECURE_SSL_REDIRECT else 0)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
#: SSRF guard (flows/netguard.py): hosts or CIDR ranges the server may fetch even though they are
#: private or loopback, e.g. "minio.internal,10.0.5.0/24".
LOUPE_FETCH_ALLOW = env.list("LOUPE_FETCH_ALLOW", default=[])
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

# --- Loupe ----------------------------------------------------------------------------------
LOUPE_REGION = env.str("LOUPE_REGION", default="us-east-1")
#: Public URL of this server, used in e-mails and printed credentials.
LOUPE_PUBLIC_URL = env.str("LOUPE_PUBLIC_URL", default="")
#: How far X-Amz-Date may be from the server clock (AWS uses 15 minutes).
LOUPE_SIGV4_MAX_SKEW_SECONDS = env.int("LOUPE_SIGV4_MAX_SKEW_SECONDS", default=900)
#: Mixed into every activation-condition Sampling draw: which inputs a percentage samples
#: (each input's decision is fixed for a given seed; change it to draw a different sample).
LOUPE_ACTIVATION_SEED = env.str("LOUPE_ACTIVATION_SEED", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
#: Threads serving HTTP inside each Daphne process.
LOUPE_HTTP_THREADS = env.int("LOUPE_HTTP_THREADS", default=16)
#: Callables run every LOUPE_HOUSEKEEPING_INTERVAL seconds by `manage.py serve` (and by
#: `manage.py housekeeping` in the scale-out layout).
LOUPE_HOUSEKEEPING: list[str] = [
    "flows.services.work.leases_expire",
    "flows.services.work.loops_expire",
    "flows.services.work.loops_stopping_settle",
    "flows.services.flow_definitions.flow_definitions_reap",
    "flows.services.results.outputs_recover",
    "flows.services.webhooks.webhook_deliveries_recover",
]
LOUPE_HOUSEKEEPING_INTERVAL = env.float("LOUPE_HOUSEKEEPING_INTERVAL", default=2.0)

# --- Results: output.json writes, webhooks, worker reliability --------------------------------
#: A completed loop's output write showing no progress for this long is enqueued again.
LOUPE_OUTPUT_RECOVERY_SECONDS = env.float("LOUPE_OUTPUT_RECOVERY_SECONDS", default=30.0)
#: One write attempt running longer than this counts as dead (its worker was killed).
LOUPE_OUTPUT_ATTEMPT_TIMEOUT_SECONDS = env.float("LOUPE_OUTPUT_ATTEMPT_TIMEOUT_SECONDS", default=120.0)
#: Folders under which organizations may map a bucket to a local folder (BucketMapping).
LOUPE_OUTPUT_ROOTS = env.list("LOUPE_OUTPUT_ROOTS", default=[str(VAR_DIR / "outputs")])
#: Webhook targets on private, loopback or link-local addresses are refused unless this is true.
LOUPE_WEBHOOK_ALLOW_PRIVATE = env.bool("LOUPE_WEBHOOK_ALLOW_PRIVATE", default=False)
LOUPE_WEBHOOK_MAX_ATTEMPTS = env.int("LOUPE_WEBHOOK_MAX_ATTEMPTS", default=8)
LOUPE_WEBHOOK_RETRY_BASE_SECONDS = env.float("LOUPE_WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
#: Worker reliability of a flow is re-estimated at most this often.
LOUPE_RELIABILITY_INTERVAL_SECONDS = env.float("LOUPE_RELIABILITY_INTERVAL_SECONDS", default=300.0)
#: Run crowd-kit's reliability estimate in this process instead of a child process of its own.
LOUPE_RELIABILITY_IN_PROCESS = env.bool("LOUPE_RELIABILITY_IN_PROCESS", default=False)
#: Worker quality (flows.services.gold): a re-computation at most this often per flow, and at most this late.
LOUPE_QUALITY_INTERVAL_SECONDS = env.float("LOUPE_QUALITY_INTERVAL_SECONDS", default=30.0)
#: Task templates: how long grant_read_access URLs (presigned S3 and /task-media/) stay valid,
#: and how long a task frame URL may be (re)loaded (access is re-checked on every load).
LOUPE_MEDIA_URL_TTL_SECONDS = env.int("LOUPE_MEDIA_URL_TTL_SECONDS", default=900)
LOUPE_FRAME_TOKEN_TTL_SECONDS = env.int("LOUPE_FRAME_TOKEN_TTL_SECONDS", default=3600)
