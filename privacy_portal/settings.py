"""Settings for the privacy rights request portal, read from the environment.

Every setting has a safe development default, except the secret key in production: with
DEBUG off and no SECRET_KEY, start-up stops with one clear line. The README's configuration
table lists each variable; keep the two in step.
"""

import sys
import warnings
from pathlib import Path

import environ

from privacy_portal.email_url import email_url_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # local state in development: SQLite file, broker folder, exports

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # One line, no traceback: a deploy without a key must not start.
        sys.exit("Configuration error: SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "axes",
    "csp",
    "core",
    "inventory",
    "accounts",
    "consent",
    "registry",
    "requests_app",
    "staff",
    "fulfilment",
    # Above every other app: the demo data builds on all of them.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every page no-store (personal data): after whitenoise, so static files keep their cache.
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL character in the admin's query string is a 400 saying why, not a database error.
    "core.null_characters.AdminNullCharactersRefusedMiddleware",
    # An unknown reference gets the portal's page, not DEBUG's URL list.
    "requests_app.not_found.RequestNotFoundMiddleware",
    "staff.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "privacy_portal.urls"
WSGI_APPLICATION = "privacy_portal.wsgi.application"

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
                "core.context_processors.company",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # Web, worker and beat share one SQLite file in development: WAL lets readers run beside a
    # writer, IMMEDIATE transactions take the write lock up front instead of failing half-way,
    # and the timeout makes a busy writer wait rather than raise "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out username never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "home"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)  # hours
# Two locks (accounts/lockout.py): one username from one address after AXES_FAILURE_LIMIT
# failures, and one address across all usernames (password spraying) after this many.
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.lockout.SignInLockoutHandler"
AXES_RESET_ON_SUCCESS = True
# Proxies in front of the web app that append to X-Forwarded-For (the README's TLS proxy is
# one). 0: the header is ignored and REMOTE_ADDR is the client. core/client_address.py.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Privacy Portal")
# The admin never shows a staff member's TOTP key, its QR code or backup codes (not even to a
# superuser): whoever reads them holds that person's second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after this many minutes without activity (staff/middleware.py).
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)

# --- Internationalisation and time ----------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The business's time zone: legal deadlines are dates here, stored as UTC instants at the end
# of that day (DESIGN.md, "time zone").
TIME_ZONE = env.str("TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if DEBUG:
    # In development whitenoise serves from the static finders; STATIC_ROOT exists only after
    # collectstatic, and its warning about the missing folder is noise.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
# Private files (agent permissions, exports) live outside any URL; they are served only by views
# that check who is asking. There is deliberately no MEDIA_URL.
PRIVATE_FILES_ROOT = Path(env.str("PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private")))

# --- Email ----------------------------------------------------------------------------------
# `filemail:///path` is the absolute /path, as the README writes it (privacy_portal/email_url.py).
EMAIL_CONFIG = email_url_config(env.str("EMAIL_URL", default="consolemail://"), base_dir=BASE_DIR)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Dream Pairs Privacy <privacy@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds each network operation with the mail server may take (Django's SMTP backend reads
# it): a stalled server fails the send, which the outbox retries later, instead of holding a
# worker until the task time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# Encrypts the codes and link tokens of queued emails until they are sent (core.mail). Set it
# apart from SECRET_KEY in production; changing it fails the emails still waiting to be sent.
OUTBOX_ENCRYPTION_KEY = env.str("OUTBOX_ENCRYPTION_KEY", default="") or SECRET_KEY

# --- Celery ---------------------------------------------------------------------------------
# Without REDIS_URL the broker is kombu's filesystem transport in var/broker: it needs no server,
# and the web, worker and beat processes of `make run` share it through the folder.
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = Path(env.str("BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
REDIS_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task (CELERY_TASK_TIME_LIMIT) so Redis never re-delivers a task
    # that is still running.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Publishing gives up at once when Redis is down (kombu would otherwise retry for about six
    # seconds): what we publish is backed by the database (the outbox, deadline columns) and the
    # sweep delivers it later, so no page ever waits on the broker.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # else kombu writes ./control
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_TASK_IGNORE_RESULT = True  # tasks report through the database, not a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# The periodic sweep that does all timed work (DESIGN.md, "Timers"). /healthz turns 503 when
# the last sweep is older than SWEEP_STALE_AFTER_INTERVALS intervals.
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=300)
SWEEP_STALE_AFTER_INTERVALS = env.int("SWEEP_STALE_AFTER_INTERVALS", default=3)

# --- The legal clock (core/legal_clock.py) ---------------------------------------------------
# The notice's figures are the defaults; where the law is stricter for the consumer, the law's.
ACKNOWLEDGE_WITHIN_BUSINESS_DAYS = env.int("ACKNOWLEDGE_WITHIN_BUSINESS_DAYS", default=10)
RESPOND_WITHIN_DAYS = env.int("RESPOND_WITHIN_DAYS", default=30)
EXTENDED_RESPONSE_MAX_DAYS = env.int("EXTENDED_RESPONSE_MAX_DAYS", default=90)
OPT_OUT_WITHIN_BUSINESS_DAYS = env.int("OPT_OUT_WITHIN_BUSINESS_DAYS", default=15)
MARKETING_OPT_OUT_BUSINESS_DAYS = env.int("MARKETING_OPT_OUT_BUSINESS_DAYS", default=5)
OPT_OUT_REASK_AFTER_MONTHS = env.int("OPT_OUT_REASK_AFTER_MONTHS", default=12)
REQUEST_RECORD_RETENTION_MONTHS = env.int("REQUEST_RECORD_RETENTION_MONTHS", default=24)
KNOW_REPORT_LOOKBACK_MONTHS = env.int("KNOW_REPORT_LOOKBACK_MONTHS", default=12)
# Business days skip weekends and these holidays (the `holidays` package).
HOLIDAY_COUNTRY = env.str("HOLIDAY_COUNTRY", default="US")
HOLIDAY_SUBDIVISION = env.str("HOLIDAY_SUBDIVISION", default="CA")

# --- Consumer requests (requests_app) --------------------------------------------------------
EMAIL_CODE_LIFETIME_MINUTES = env.int("EMAIL_CODE_LIFETIME_MINUTES", default=30)
EMAIL_CODE_MAX_ATTEMPTS = env.int("EMAIL_CODE_MAX_ATTEMPTS", default=5)
STATUS_LINK_LIFETIME_MINUTES = env.int("STATUS_LINK_LIFETIME_MINUTES", default=60)
AGENT_CONFIRMATION_LIFETIME_DAYS = env.int("AGENT_CONFIRMATION_LIFETIME_DAYS", default=7)
AGENT_DOCUMENT_MAX_BYTES = env.int("AGENT_DOCUMENT_MAX_BYTES", default=5 * 1024 * 1024)
# Requests to know allowed per consumer in any rolling 12 months (the notice, "Frequency").
KNOW_REQUESTS_PER_YEAR = env.int("KNOW_REQUESTS_PER_YEAR", default=2)
# The legal clock's timed work (requests_app/sweeps.py).
REMINDER_DAYS_LEFT = [int(d) for d in env.list("REMINDER_DAYS_LEFT", default=["10", "5", "1"])]
CLOSE_UNCONFIRMED_AFTER_DAYS = env.int("CLOSE_UNCONFIRMED_AFTER_DAYS", default=7)
PRIVACY_OFFICER_GROUP = env.str("PRIVACY_OFFICER_GROUP", default="Privacy officer")
# Overdue work is escalated to every privacy officer, and to this address too when set.
ESCALATION_EMAIL = env.str("ESCALATION_EMAIL", default="")
# Fulfilment (fulfilment/): manual data-system tasks fall due this many days before the
# request; delivery links last this long; the suppression list's keyed hashes use this key.
MANUAL_TASK_LEAD_DAYS = env.int("MANUAL_TASK_LEAD_DAYS", default=5)
DELIVERY_LINK_DAYS = env.int("DELIVERY_LINK_DAYS", default=7)
SUPPRESSION_HASH_KEY = env.str("SUPPRESSION_HASH_KEY", default="") or SECRET_KEY
# Where the portal links to from emails; the site's public address. In development it follows
# the port `make run` serves on: WEB_PORT, which the Makefile gives every process it starts
# (PORT is no use here: honcho sets it to a different number in each process).
_DEV_SITE_URL = f"http://127.0.0.1:{env.int('WEB_PORT', default=8000)}"
SITE_URL = (env.str("SITE_URL", default="") or _DEV_SITE_URL).rstrip("/")

# --- The business ---------------------------------------------------------------------------
COMPANY_NAME = env.str("COMPANY_NAME", default="DP Dream Pairs Inc.")
COMPANY_PRIVACY_EMAIL = env.str("COMPANY_PRIVACY_EMAIL", default="privacy@example.com")
COMPANY_PHONE = env.str("COMPANY_PHONE", default="+1 609-831-4566")
COMPANY_ADDRESS = env.str(
    "COMPANY_ADDRESS", default="Attn: Privacy Officer, 9500 Railroad Ave, North Bergen, NJ 07047"
)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No page runs a script, so none needs to read the CSRF cookie (forms carry the token).
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The container health check calls /healthz over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-csp 4: no inline scripts or styles, nothing from another origin (no CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# No personal data in the logs, at any level (core/log_safety.py, tests/test_logs_canary.py).
# SQL is never logged: at DEBUG it carries every parameter, so it stays at WARNING whatever
# LOG_LEVEL says. django.template's DEBUG records lose the exception that quotes the context.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"template_context_dropped": {"()": "core.log_safety.TemplateContextDropped"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.template": {"filters": ["template_context_dropped"]},
    },
}

# --- Opt-out of sale and preferences (consent) -----------------------------------------------
# The keyed hash of an email address or phone number kept for an opt-out that matches nobody
# yet (consent.PendingOptOut). Set it apart from SECRET_KEY in production: rotating SECRET_KEY
# would otherwise make every waiting opt-out unrecognisable.
CONSENT_HASH_KEY = env.str("CONSENT_HASH_KEY", default="") or SECRET_KEY
# The data systems (registry.DataSystem slugs) to whom personal information is sold: each
# opt-out must reach every one of them within OPT_OUT_WITHIN_BUSINESS_DAYS (11 CCR 7026(f)).
SALE_PARTNER_SYSTEMS = env.list("SALE_PARTNER_SYSTEMS", default=["marketing-partners"])
# Which system applies a change of each marketing preference (the notice, "Email address":
# within MARKETING_OPT_OUT_BUSINESS_DAYS). A system whose connector is "internal" applies it at
# once; any other is a task staff confirm in the admin.
PREFERENCE_CHANNEL_SYSTEMS = env.dict(
    "PREFERENCE_CHANNEL_SYSTEMS",
    default={"email": "email-marketing", "postal": "marketing-partners", "sms": "email-marketing"},
)
# Consumers known to be under SALE_MINIMUM_AGE are never sold unless opted in; under
# PARENT_OPT_IN_BELOW_AGE only a parent or guardian may opt in (Civ. Code 1798.120(c)).
SALE_MINIMUM_AGE = env.int("SALE_MINIMUM_AGE", default=16)
PARENT_OPT_IN_BELOW_AGE = env.int("PARENT_OPT_IN_BELOW_AGE", default=13)
# How long the emailed links stay usable.
PREFERENCES_LINK_HOURS = env.int("PREFERENCES_LINK_HOURS", default=24)
PREFERENCES_SESSION_MINUTES = env.int("PREFERENCES_SESSION_MINUTES", default=30)
REAUTHORIZATION_LINK_DAYS = env.int("REAUTHORIZATION_LINK_DAYS", default=60)
# Overdue partner notices and preference changes are escalated like overdue requests:
# core.staff.escalation_addresses (the privacy officers and ESCALATION_EMAIL, above).
# Global Privacy Control: a request with `Sec-GPC: 1` opts out the browser (this cookie) and,
# when known, the consumer. After authentication (it needs request.user), before django-axes.
GPC_COOKIE_NAME = "dp_sale_opt_out"
MIDDLEWARE.insert(
    MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
    "consent.middleware.GlobalPrivacyControlMiddleware",
)
