"""Image Studio settings: one module, driven by environment variables.

With no variables set the product runs on its embedded default: SQLite, a local media folder,
a Celery broker on the filesystem (no separate server), e-mail printed to the console. Production
sets DATABASE_URL, REDIS_URL, the STUDIO_S3_* variables and an e-mail host; see README.md.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from studio.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("STUDIO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or (
    "embedded-default-insecure-key-set-SECRET_KEY-in-production" if not env_str("SITE_ROOT") else ""
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set when SITE_ROOT is set.")

SITE_ROOT = env_str("SITE_ROOT", "http://localhost:8000")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SECURE = SITE_ROOT.startswith("https://")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "accounts",
    "assets",
    "billing",
    "providers",
    "studio",
    "djstripe",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"
ASGI_APPLICATION = "studio.asgi.application"

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
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'studio.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web process and worker share the file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: sign up and log in with an e-mail address, verified before first login.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Image Studio] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SECURE else "http"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "assets-library"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Storage: S3 API when a bucket is named (AWS S3, R2, MinIO, SeaweedFS), local files otherwise.
STUDIO_S3_BUCKET = env_str("STUDIO_S3_BUCKET")
if STUDIO_S3_BUCKET:
    from botocore.config import Config

    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STUDIO_S3_BUCKET,
            "endpoint_url": env_str("STUDIO_S3_ENDPOINT_URL") or None,
            "region_name": env_str("STUDIO_S3_REGION", "us-east-1"),
            "access_key": env_secret("STUDIO_S3_ACCESS_KEY_ID"),
            "secret_key": env_secret("STUDIO_S3_SECRET_ACCESS_KEY"),
            "default_acl": None,
            # Keys are server-made: random for uploads, fixed per (job, slot) or (source,
            # spec) for outputs, so that a resumed run replaces its own object.
            "file_overwrite": True,
            "querystring_auth": True,
            "querystring_expire": env_int("STUDIO_DOWNLOAD_URL_SECONDS", 300),
            # django-storages ignores its addressing_style/signature_version options when a
            # client_config is given, so they live in the Config itself.
            # boto3 >= 1.36 adds CRC checksums to every upload by default; S3-compatible
            # servers (SeaweedFS, older MinIO, R2) reject or mis-store them.
            "client_config": Config(
                signature_version="s3v4",
                s3={"addressing_style": env_str("STUDIO_S3_ADDRESSING_STYLE", "path")},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None, "allow_overwrite": True},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STUDIO_MANIFEST_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: console in the embedded default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "studio.mail.ReadableConsoleBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Image Studio <noreply@localhost>")

# Celery: Redis in production, kombu's filesystem transport in the embedded default.
REDIS_URL = env_str("REDIS_URL")
STUDIO_LONGEST_JOB_SECONDS = env_int("STUDIO_LONGEST_JOB_SECONDS", 30 * 60)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task not acknowledged within this time is redelivered; it must outlast any job.
        "visibility_timeout": STUDIO_LONGEST_JOB_SECONDS * 2,
    }
else:
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu's exchange tables; its default is a relative `control/` in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# The cache holds rate-limit counters (ours and allauth's login throttling), so it must be shared
# by every process: Redis in production, files under var/ in the embedded default (a per-process
# memory cache would let each web process count its own limit).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("STUDIO_CACHE_URL", REDIS_URL),
            "KEY_PREFIX": "studio",
            # A cache that is down answers within a second (and rate limits let calls through).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ROUTES = {"studio.tasks.run_job": {"queue": "cpu"}}
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-jobs": {"task": "studio.tasks.sweep_stuck_jobs", "schedule": crontab(minute="*")},
    # Hand the broker the queued jobs it never got, and resume the jobs of lost workers.
    "recover-jobs": {"task": "studio.tasks.recover_jobs", "schedule": 30.0},
}
# A running job's worker renews its lease every HEARTBEAT seconds; a lease not renewed for
# LEASE seconds means the worker is gone, and the job is resumed from its checkpoint by
# another, at most MAX_ATTEMPTS worker runs in all (a job that kills every worker that takes
# it is failed, not retried forever). A queued job not claimed REPUBLISH seconds after it was
# handed to the broker (or when the broker was down) is handed to it again.
STUDIO_JOB_HEARTBEAT_SECONDS = env_int("STUDIO_JOB_HEARTBEAT_SECONDS", 15)
STUDIO_JOB_LEASE_SECONDS = env_int("STUDIO_JOB_LEASE_SECONDS", 120)
STUDIO_JOB_MAX_ATTEMPTS = env_int("STUDIO_JOB_MAX_ATTEMPTS", 3)
STUDIO_JOB_REPUBLISH_SECONDS = env_int("STUDIO_JOB_REPUBLISH_SECONDS", 120)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Billing: Stripe through dj-stripe. Without a secret key billing is off and every workspace
# is on the Free plan with its monthly grant; staff grant credits in the admin.
STRIPE_LIVE_MODE = env_bool("STRIPE_LIVE_MODE", False)
STRIPE_TEST_SECRET_KEY = env_secret("STRIPE_TEST_SECRET_KEY")
STRIPE_LIVE_SECRET_KEY = env_secret("STRIPE_LIVE_SECRET_KEY")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
STUDIO_QUOTE_RATE_LIMIT = env_int("STUDIO_QUOTE_RATE_LIMIT", 120)  # per user per minute
STUDIO_JOB_RATE_LIMIT = env_int("STUDIO_JOB_RATE_LIMIT", 30)  # jobs started per user per minute
CELERY_BEAT_SCHEDULE["settle-finished-jobs"] = {
    "task": "studio.tasks.settle_finished_jobs",
    "schedule": crontab(minute="*/5"),
}

# Studio limits (uploads and decoding).
STUDIO_MAX_UPLOAD_BYTES = env_int("STUDIO_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
STUDIO_MAX_PIXELS = env_int("STUDIO_MAX_PIXELS", 100_000_000)
STUDIO_MAX_FILES_PER_UPLOAD = env_int("STUDIO_MAX_FILES_PER_UPLOAD", 50)
# One upload request's body at most (bytes), refused with 413 from Content-Length unread.
STUDIO_MAX_UPLOAD_REQUEST_BYTES = env_int("STUDIO_MAX_UPLOAD_REQUEST_BYTES", 256 * 1024 * 1024)
# Memory for decoding (bytes, estimated by studio.imaging.budget.decode_cost): a web request
# decodes its uploads only within its budget and leaves heavier ones to a worker; a worker
# refuses a decode above its own (2 GiB takes every format at STUDIO_MAX_PIXELS).
STUDIO_UPLOAD_DECODE_BUDGET_BYTES = env_int("STUDIO_UPLOAD_DECODE_BUDGET_BYTES", 64 * 1024 * 1024)
STUDIO_WORKER_DECODE_BUDGET_BYTES = env_int("STUDIO_WORKER_DECODE_BUDGET_BYTES", 2 * 1024**3)
# A worker child above this resident memory (KiB) after a task is replaced by a fresh one.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 3 * 1024**2)
# Upload checks (assets.checks): re-sent when unchecked this long after upload and never sent,
# or sent this long ago; refused after this many worker deliveries that did not finish.
STUDIO_UPLOAD_CHECK_GRACE_SECONDS = env_int("STUDIO_UPLOAD_CHECK_GRACE_SECONDS", 30)
STUDIO_UPLOAD_CHECK_REPUBLISH_SECONDS = env_int("STUDIO_UPLOAD_CHECK_REPUBLISH_SECONDS", 300)
STUDIO_UPLOAD_CHECK_MAX_DELIVERIES = env_int("STUDIO_UPLOAD_CHECK_MAX_DELIVERIES", 3)
CELERY_BEAT_SCHEDULE["check-uploads"] = {
    "task": "assets.tasks.sweep_unchecked_uploads",
    "schedule": 60.0,
}
STUDIO_THUMBNAIL_SPEC = env_str("STUDIO_THUMBNAIL_SPEC", "width-480|format-webp|quality-78")
STUDIO_JOB_DEADLINE_SECONDS = env_int("STUDIO_JOB_DEADLINE_SECONDS", STUDIO_LONGEST_JOB_SECONDS)
STUDIO_ZIP_MAX_FILES = env_int("STUDIO_ZIP_MAX_FILES", 500)
STUDIO_PAGE_SIZE = env_int("STUDIO_PAGE_SIZE", 24)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- AI providers (issue 4) ------------------------------------------------------------------
# A provider without a key is listed as "not configured" and its models cannot be chosen.
# Base URLs default to the real services; tests point them at loopback servers.
PROVIDERS = {
    "stability": {
        "api_key": env_secret("STABILITY_API_KEY"),
        "base_url": env_str("STABILITY_API_BASE", "https://api.stability.ai"),
        "env": ["STABILITY_API_KEY", "STABILITY_API_BASE"],
    },
    "wavespeed": {
        "api_key": env_secret("WAVESPEED_API_KEY"),
        "base_url": env_str("WAVESPEED_API_BASE", "https://api.wavespeed.ai/api/v3"),
        "env": ["WAVESPEED_API_KEY", "WAVESPEED_API_BASE"],
    },
    "huggingface": {
        "api_key": env_secret("HF_TOKEN"),
        "base_url": env_str("HF_API_BASE", "https://router.huggingface.co"),
        "env": ["HF_TOKEN", "HF_API_BASE"],
    },
    "gemini": {
        "api_key": env_secret("GEMINI_API_KEY"),
        "base_url": env_str("GEMINI_API_BASE", "https://generativelanguage.googleapis.com"),
        "env": ["GEMINI_API_KEY", "GEMINI_API_BASE"],
    },
}
# Seconds: connecting, waiting for a response, polling an asynchronous prediction.
STUDIO_PROVIDER_CONNECT_TIMEOUT = env_int("STUDIO_PROVIDER_CONNECT_TIMEOUT", 10)
STUDIO_PROVIDER_READ_TIMEOUT = env_int("STUDIO_PROVIDER_READ_TIMEOUT", 120)
STUDIO_PROVIDER_POLL_TIMEOUT = env_int("STUDIO_PROVIDER_POLL_TIMEOUT", 15 * 60)
# Milliseconds between polls, and the first back-off of retried idempotent calls.
STUDIO_PROVIDER_POLL_INTERVAL_MS = env_int("STUDIO_PROVIDER_POLL_INTERVAL_MS", 2000)
STUDIO_PROVIDER_RETRY_INITIAL_MS = env_int("STUDIO_PROVIDER_RETRY_INITIAL_MS", 500)
STUDIO_PROVIDER_RETRY_ATTEMPTS = env_int("STUDIO_PROVIDER_RETRY_ATTEMPTS", 5)
# A job whose prediction could not be fetched comes back this many times, after this many
# seconds, doubling (30 s, 60 s, ... 8 min): about 16 minutes in all by default.
STUDIO_JOB_RESUMES = env_int("STUDIO_JOB_RESUMES", 5)
STUDIO_JOB_RESUME_SECONDS = env_int("STUDIO_JOB_RESUME_SECONDS", 30)
# Largest file a provider may send back (bytes); bigger ones are refused, not stored.
STUDIO_PROVIDER_MAX_OUTPUT_BYTES = env_int("STUDIO_PROVIDER_MAX_OUTPUT_BYTES", 100 * 1024 * 1024)
# The Gemini text model that rewrites prompts in the Create Studio (when GEMINI_API_KEY is set).
STUDIO_PROMPT_MODEL = env_str("STUDIO_PROMPT_MODEL", "gemini-2.5-flash")
STUDIO_ENHANCE_RATE_LIMIT = env_int(
    "STUDIO_ENHANCE_RATE_LIMIT", 20
)  # prompt rewrites per user per minute
