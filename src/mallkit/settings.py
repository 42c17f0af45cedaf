"""Mallkit settings: one file, configured by environment variables (12-factor).

Every variable is documented in README.md. Nothing here reads the database or the network.
"""

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key only serves development; `check --deploy` flags it in production.
SECRET_KEY = env("SECRET_KEY") or "django-insecure-mallkit-development-key-change-me"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_htmx",
    "easy_thumbnails",
    "allauth",
    "allauth.account",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "mallkit.core",
    "mallkit.accounts",
    "mallkit.cart",
    "mallkit.catalog",
    "mallkit.inventory",
    "mallkit.enquiries",
    "mallkit.demo",
    "mallkit.promotions",
    "mallkit.checkout",
    "mallkit.orders",
    "mallkit.payments",
    "mallkit.notifications",
    "mallkit.storefront",
    "mallkit.backoffice",
    "mallkit.api",
]

MIDDLEWARE = [
    # First: a request id and one log line per request, error answers included.
    "mallkit.core.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above the page cache, so pages served from it carry the policy too.
    "mallkit.core.csp.CSPMiddleware",
    # /healthz before anything that needs the database, Redis or a valid host name.
    "mallkit.core.health.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Anonymous visitors' pages from the cache; a hit skips everything below (core/cache.py).
    "mallkit.core.cache.PageCacheMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Logins and checkouts per client address (MALLKIT_RATE_LIMITS, core/ratelimit.py).
    "mallkit.core.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mallkit.urls"
WSGI_APPLICATION = "mallkit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mallkit.storefront.context_processors.shop",
                "mallkit.cart.context_processors.cart",
            ],
        },
    }
]

# Database: SQLite by default (relative paths are resolved from the repository root).
DATABASE_URL = env("DATABASE_URL", "sqlite:///var/mallkit.sqlite3")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    name = _db.get("NAME") or "var/mallkit.sqlite3"
    if name != ":memory:" and not os.path.isabs(name):
        name = str(BASE_DIR / name)
    _db["NAME"] = name
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE makes a writing transaction
        # take the write lock up front so two writers queue instead of deadlocking.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    # Tests use a file, not memory, so threads in concurrency tests share one database;
    # the process id keeps parallel runs apart.
    _db["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"mallkit-test-{os.getpid()}.sqlite3")
    }
if _db["ENGINE"] == "django.db.backends.postgresql":
    # A database that is down must fail a request (and /healthz) in seconds, not minutes;
    # persistent connections are checked before reuse, so a restarted server costs no error.
    _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", int(env("DB_CONNECT_TIMEOUT", "5")))
    _db["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server, and statements run five times on a connection prepared
    # there, so PostgreSQL parses and plans each of the shop's queries once per connection
    # instead of on every request (about 40% of its work per order in the checkout benchmark).
    # Set DB_PREPARED_STATEMENTS=0 behind a pooler in transaction mode (pgbouncer < 1.21).
    if env("DB_PREPARED_STATEMENTS", "1") == "1":
        _db["OPTIONS"]["server_side_binding"] = True
        _db["OPTIONS"]["prepare_threshold"] = 5
DATABASES = {"default": _db}

# An optional read replica for catalogue pages (core/db_router.py); writes and checkout stay on
# the primary above.
MALLKIT_REPLICA_DATABASE = "replica"
MALLKIT_REPLICA_APPS = ["catalog", "inventory"]
# Pages whose reads must see the latest writes: everything a shopper or staff member changes.
MALLKIT_PRIMARY_PATHS = [
    "/checkout/",
    "/cart/",
    "/account/",
    "/backoffice/",
    "/admin/",
    "/sandbox/",
    "/api/v1/checkout",
    "/api/v1/cart",
    "/api/v1/orders",
    "/api/v1/payments",
    "/api/v1/staff",
    "/api/v1/me",
]
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    _replica = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "60"))
    )
    if _replica["ENGINE"] == "django.db.backends.sqlite3":
        if not os.path.isabs(_replica["NAME"]):
            _replica["NAME"] = str(BASE_DIR / _replica["NAME"])
        _replica["CONN_MAX_AGE"] = 0
    else:
        _replica.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", int(env("DB_CONNECT_TIMEOUT", "5"))
        )
        _replica["CONN_HEALTH_CHECKS"] = True
    # Tests read the replica through the test database instead of needing a second one.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[MALLKIT_REPLICA_DATABASE] = _replica
    DATABASE_ROUTERS = ["mallkit.core.db_router.ReplicaRouter"]
    MIDDLEWARE.append("mallkit.core.db_router.ReplicaMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/account/"
LOGOUT_REDIRECT_URL = "/"

# django-allauth: e-mail is the login; answers never reveal whether an address is registered.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = False if TESTING else {}

# django-axes: lock out repeated failed logins per account and address.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "mallkit.accounts.lockout.username_from_credentials"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic puts the files that whitenoise (or nginx) serves.
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads (and their renditions, which easy-thumbnails stores beside them) go to S3-compatible
# storage through django-storages when a bucket is named: AWS S3, MinIO, Ceph, Garage...
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
MEDIA_ORIGINS = []  # where media are served from when that is not this site (for the CSP)
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL")  # unset for AWS itself
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME")
    # Unset, boto3 looks further: its own variables, ~/.aws, an instance role.
    AWS_S3_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID")
    AWS_S3_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY")
    AWS_S3_ADDRESSING_STYLE = env("AWS_S3_ADDRESSING_STYLE")  # "path" for most self-hosted ones
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN")  # a CDN or public host name for media
    AWS_S3_URL_PROTOCOL = env("AWS_S3_URL_PROTOCOL", "https:")
    AWS_LOCATION = env("AWS_LOCATION", "")  # a folder inside the bucket
    # Public pictures need no signature; a private bucket sets 1 to get signed, expiring URLs.
    AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", False)
    AWS_DEFAULT_ACL = env("AWS_DEFAULT_ACL") or None
    # Picture names are random and renditions are named after their options, so a file
    # behind a URL never changes: browsers and CDNs may keep it.
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=2592000"}
    from urllib.parse import urlsplit

    if AWS_S3_CUSTOM_DOMAIN:
        MEDIA_ORIGINS.append(f"{AWS_S3_URL_PROTOCOL}//{AWS_S3_CUSTOM_DOMAIN}")
    elif AWS_S3_ENDPOINT_URL:
        _endpoint = urlsplit(AWS_S3_ENDPOINT_URL)
        MEDIA_ORIGINS.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
        if AWS_S3_ADDRESSING_STYLE != "path":
            MEDIA_ORIGINS.append(
                f"{_endpoint.scheme}://{AWS_STORAGE_BUCKET_NAME}.{_endpoint.netloc}"
            )
    else:
        MEDIA_ORIGINS.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
        if AWS_S3_REGION_NAME:
            MEDIA_ORIGINS.append(
                f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com"
            )
MEDIA_ORIGINS += env_list("CSP_MEDIA_ORIGINS")
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Cache and sessions: Redis when REDIS_URL is set, local memory otherwise.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "mallkit"),
            # A Redis that is down or unreachable must fail a request in seconds, not hang
            # a worker; /healthz then reports the cache as down.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# E-mail: EMAIL_URL such as smtp://user:pass@host:587/?tls=1; console in development.
EMAIL_URL = env("EMAIL_URL", "console://")
if EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_URL.startswith("locmem:"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    from urllib.parse import parse_qs, unquote, urlparse

    _mail = urlparse(EMAIL_URL)
    _query = parse_qs(_mail.query)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or 25
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_TLS = _query.get("tls", ["0"])[0] in {"1", "true"} or _mail.scheme == "submission"
    EMAIL_USE_SSL = _query.get("ssl", ["0"])[0] in {"1", "true"} or _mail.scheme == "smtps"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Mallkit Demo Shop <shop@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
        )
    }
}

THUMBNAIL_ALIASES = {
    "": {
        "card": {"size": (480, 480), "crop": "smart"},
        "gallery": {"size": (960, 960), "crop": False},
        "zoom": {"size": (1800, 1800), "crop": False},
        "thumb": {"size": (120, 120), "crop": "smart"},
    }
}
THUMBNAIL_EXTENSION = "webp"
THUMBNAIL_PRESERVE_EXTENSIONS = ()
THUMBNAIL_TRANSPARENCY_EXTENSION = "webp"
THUMBNAIL_QUALITY = 82
THUMBNAIL_CACHE_DIMENSIONS = True

# Production hardening (the defaults are safe; DEBUG relaxes only what needs relaxing).
BEHIND_PROXY = env_bool("BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# The client's address comes from X-Forwarded-For only behind our own proxies (core/client_ip.py):
# how many of them append to it, and optionally the networks they connect from.
MALLKIT_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1")) if BEHIND_PROXY else 0
MALLKIT_TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
ALLAUTH_TRUSTED_PROXY_COUNT = MALLKIT_TRUSTED_PROXY_COUNT
AXES_CLIENT_IP_CALLABLE = "mallkit.core.client_ip.client_ip"
# Load balancers and monitors ask for /healthz over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Cookies go over HTTPS only; SECURE_COOKIES=0 is for a test setup served over plain HTTP.
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = False
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): only this site's own scripts and styles. Templates hold no
# inline script, event handler or style attribute; pages are cached and shared between visitors,
# so per-response nonces cannot work for them. JSON data blocks (json_script) are not scripts
# the browser runs, so the policy leaves them alone.
_form_targets = env_list("CSP_FORM_ACTION")
if any(".stripe." in gateway for gateway in env_list("MALLKIT_PAYMENT_GATEWAYS")):
    # Stripe's gateway answers the payment form with a redirect to its hosted page, and
    # Chromium applies form-action to the redirects that follow a form submission.
    _form_targets.append("https://checkout.stripe.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *MEDIA_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *_form_targets],
    }
}
if env("CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env("CSP_REPORT_URI")]
if TESTING:
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False

# One line per request and per order event (core/logging.py); LOG_FORMAT=json for log shippers.
LOG_FORMAT = env("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "mallkit.core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "mallkit.core.logging.TextFormatter"},
        "json": {"()": "mallkit.core.logging.JSONFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Mallkit's own settings.
MALLKIT_SHOP_NAME = env("MALLKIT_SHOP_NAME", "Mallkit Demo Shop")
MALLKIT_SHOP_EMAIL = env("MALLKIT_SHOP_EMAIL", "shop@example.com")
# The shop's public address, such as https://shop.example.com: e-mails link to the order page
# with it. Empty (the default outside development) sends e-mails without the link.
MALLKIT_SITE_URL = env("MALLKIT_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
MALLKIT_MODE = env("MALLKIT_MODE", "shop")  # "shop" or "showcase"
MALLKIT_SHOWCASE_SHOW_PRICES = env_bool("MALLKIT_SHOWCASE_SHOW_PRICES", True)
MALLKIT_CURRENCY = env("MALLKIT_CURRENCY", "USD")
MALLKIT_NEW_PRODUCT_DAYS = int(env("MALLKIT_NEW_PRODUCT_DAYS", "30"))
MALLKIT_PAGE_SIZE = int(env("MALLKIT_PAGE_SIZE", "24"))
MALLKIT_API_MAX_PAGE_SIZE = 100
MALLKIT_MAX_LINE_QUANTITY = int(env("MALLKIT_MAX_LINE_QUANTITY", "99"))
MALLKIT_PAYMENT_GATEWAYS = env_list(
    "MALLKIT_PAYMENT_GATEWAYS",
    "mallkit.payments.gateways.offline.CashOnDelivery,"
    "mallkit.payments.gateways.offline.BankTransfer,"
    "mallkit.payments.gateways.sandbox.SandboxGateway",
)
MALLKIT_SANDBOX_SECRET = env("MALLKIT_SANDBOX_SECRET", "sandbox-secret-change-me")
# Where the sandbox provider POSTs its webhooks; empty delivers them inside the task worker.
MALLKIT_SANDBOX_WEBHOOK_URL = env("MALLKIT_SANDBOX_WEBHOOK_URL", "")
# Stripe (add "mallkit.payments.gateways.stripe.StripeGateway" to MALLKIT_PAYMENT_GATEWAYS).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env("STRIPE_API_BASE", "")
STRIPE_SITE_URL = env("STRIPE_SITE_URL", "")
MALLKIT_TAX_RATE = env("MALLKIT_TAX_RATE", "0")  # shop-wide percent, e.g. "8.25"
MALLKIT_PRICES_INCLUDE_TAX = env_bool("MALLKIT_PRICES_INCLUDE_TAX", False)
MALLKIT_UNPAID_ORDER_MINUTES = int(env("MALLKIT_UNPAID_ORDER_MINUTES", "30"))
MALLKIT_ORDER_PREFIX = env("MALLKIT_ORDER_PREFIX", "MK")
# Housekeeping (core/housekeeping.py, run hourly by `manage.py run_worker`): days after which
# an anonymous cart nobody touched, a finished import's uploaded file and a finished background
# task's record are deleted. Member carts, orders and import reports are kept.
MALLKIT_ABANDONED_CART_DAYS = int(env("MALLKIT_ABANDONED_CART_DAYS", "30"))
MALLKIT_IMPORT_FILE_DAYS = int(env("MALLKIT_IMPORT_FILE_DAYS", "30"))
MALLKIT_TASK_RESULT_DAYS = int(env("MALLKIT_TASK_RESULT_DAYS", "14"))
MALLKIT_BANK_DETAILS = env(
    "MALLKIT_BANK_DETAILS",
    "Mallkit Demo Shop · IBAN DE00 1234 5678 9012 3456 78 · BIC DEMODEFFXXX",
)
# How long anonymous visitors' pages are shared (core/cache.py); 0 turns page caching off. Off in
# tests, which render pages to check them; tests/bench turns it on to test the cache itself.
MALLKIT_PAGE_CACHE_SECONDS = int(env("MALLKIT_PAGE_CACHE_SECONDS", "0" if TESTING else "300"))

# Requests per client address (core/ratelimit.py), counted in the shared cache: "count/seconds".
# Generous in tests, whose suites log in and check out many times; tests of the limits lower them.
MALLKIT_RATE_LIMITS = {
    "login": {
        "rate": env("MALLKIT_RATE_LIMIT_LOGIN", "100000/60" if TESTING else "20/300"),
        "methods": ["POST"],
        "paths": ["/account/login/", "/backoffice/login/", "/api/v1/auth/token"],
    },
    "checkout": {
        "rate": env("MALLKIT_RATE_LIMIT_CHECKOUT", "100000/60" if TESTING else "60/600"),
        "methods": ["POST"],
        "paths": ["/checkout/", "/api/v1/checkout"],
    },
}
# Where `manage.py backup` (make backup) writes its files.
MALLKIT_BACKUP_DIR = Path(env("MALLKIT_BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
