"""Casebook settings: one module, deploy-time values from the environment.

The defaults run on SQLite with no configuration and DEBUG on. In production set
DJANGO_DEBUG=0, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (see README).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default, value=None):
    value = os.environ.get(name) if value is None else value
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name, default, *, minimum=0):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}; got {value!r}")
    return number


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-only-not-for-deployment-0123456789"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, whose forms it extends with a field per language
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "cases",
    "quiz",
    "imaging",
    "teaching",
    "study",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware: the language comes from the URL's /fr/ prefix.
    "django.middleware.locale.LocaleMiddleware",
    "casebook.i18n.first_visit_language",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "casebook.urls"

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
                "casebook.accounts.password_reset_context",
                "casebook.i18n.language_twins",
                "teaching.access.teaching_context",
            ],
        },
    },
]

WSGI_APPLICATION = "casebook.wsgi.application"

# SQLite by default; DATABASE_URL (postgres://…, sqlite:///…) when set.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let concurrent writers wait for each other
    # instead of failing with "database is locked". Connections persist (conn_max_age above):
    # opening one and setting its pragmas cost more than most of our pages' queries.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off for long reports, not for pages. The list's counts at
    # 1,000,000 cases spent 200 ms compiling before reading a row.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

# Rendered pages and the list's counts are cached, keyed on the content version (cases/caching.py).
# By default each process keeps them in its own memory. With several gunicorn workers on one
# machine, set DJANGO_CACHE_DIR (a directory the workers can write) and they share them through
# files; with several machines, set REDIS_URL and they share them through Redis. Either way each
# process keeps a copy in memory too, so each page is rendered once per edit, not once per worker.
LOCAL_MEMORY_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]},
        "local": LOCAL_MEMORY_CACHE,
    }
elif os.environ.get("DJANGO_CACHE_DIR"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["DJANGO_CACHE_DIR"],
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
        "local": LOCAL_MEMORY_CACHE,
    }
else:
    CACHES = {"default": LOCAL_MEMORY_CACHE}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface in English (today's URLs) and French (under /fr/); see casebook/urls.py and the README.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Case content in both languages (cases/translation.py): a column per language beside each
# educator-written field. A missing translation falls back to the other language, and the page says so.
MODELTRANSLATION_LANGUAGES = ("en", "fr")
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en",), "en": ("fr",)}
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles"  # where collectstatic writes
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Images. Uploaded files go under DJANGO_MEDIA_ROOT through Django's storage API (set STORAGES["default"]
# to an object store to share them between machines). Nothing there is served directly: imaging.views
# checks who may see each file. With nginx in front, DJANGO_IMAGES_ACCEL_REDIRECT=/protected-images/
# (an `internal` location aliased to MEDIA_ROOT/images/) lets nginx send the file after the check.
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media"
MEDIA_URL = "/media/"
IMAGES_ACCEL_REDIRECT = os.environ.get("DJANGO_IMAGES_ACCEL_REDIRECT", "")
IMAGES_ACCEL_HEADER = os.environ.get("DJANGO_IMAGES_ACCEL_HEADER", "X-Accel-Redirect")
# Uploads stay in memory, so the original of a DICOM file (with its identifiers) never touches the
# disk: only its de-identified copy is stored. Size limits are checked in imaging.processing.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 600 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 1000

# Background work (image processing): django-tasks with its database backend, so one machine needs
# no broker; `manage.py db_worker` runs the queue (make run starts it). DJANGO_TASKS_IMMEDIATE=1 runs
# each task at once, in the request (the tests do).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("DJANGO_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# Password guessing: after 5 failed sign-ins for one account from one address, that pair is
# locked for 15 minutes (site and admin alike). The pair, not the address alone, because
# residents share a hospital's few addresses; not the account alone, so nobody elsewhere can
# lock a resident out.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The address is the connecting one, unless the deployment says how many proxies of its own stand in
# front (the README's TLS proxy: 1). Only then is X-Forwarded-For read, and only the entries those
# proxies wrote: otherwise anyone could send the header and lock a resident out from anywhere.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "casebook.accounts.client_ip"

# E-mail, for password resets: DJANGO_EMAIL_URL (smtp://user:password@host:587?tls=1, or smtps://… for
# implicit TLS), or EMAIL_HOST and its companions. In debug with neither, mails are printed.
EMAIL_URL = os.environ.get("DJANGO_EMAIL_URL", "")
if EMAIL_URL:
    _email = urlsplit(EMAIL_URL)
    if _email.scheme not in ("smtp", "smtps") or not _email.hostname:
        raise ImproperlyConfigured(
            f"DJANGO_EMAIL_URL must look like smtp://user:password@host:587?tls=1; got {_email.scheme}://…"
        )
    try:
        _email_port = _email.port
    except ValueError as exc:
        raise ImproperlyConfigured("DJANGO_EMAIL_URL has a port that is not a number") from exc
    _email_options = dict(parse_qsl(_email.query))
    EMAIL_HOST = _email.hostname
    EMAIL_PORT = _email_port or (465 if _email.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_URL's tls", not EMAIL_USE_SSL, _email_options.get("tls", ""))
else:
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
EMAIL_CONFIGURED = bool(EMAIL_HOST)
if EMAIL_CONFIGURED:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "")
if EMAIL_CONFIGURED and "@" not in DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured(
        "DEFAULT_FROM_EMAIL must be an address (e.g. Casebook <casebook@example.org>) when e-mail is configured"
    )
DEFAULT_FROM_EMAIL = DEFAULT_FROM_EMAIL or "casebook@localhost"
# Without a way to send the mail, the reset pages are a 404 and the sign-in page does not offer them.
PASSWORD_RESET_ENABLED = EMAIL_CONFIGURED or DEBUG
PASSWORD_RESET_LIMIT_PER_ADDRESS = 5  # reset requests an hour, counted in the cache
PASSWORD_RESET_LIMIT_PER_EMAIL = 3
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for a day

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Security headers. Production values switch on when DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
if not DEBUG:
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Where TLS ends at a proxy, the proxy tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A strict Content-Security-Policy: only our own files, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

CASES_PER_PAGE = 12
