"""Settings for SWiM, read from environment variables only.

Every variable read here through ``env()`` is documented in the README's configuration
table; ``swim/tests/test_settings_documented.py`` fails when one is missing.
"""

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """The value of environment variable ``name``, or ``default``."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """An environment variable read as a boolean (1/true/yes/on)."""
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated environment variable as a list."""
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SWIM_ENV = env("SWIM_ENV", "development")
PRODUCTION = SWIM_ENV == "production"
VAR_DIR = Path(env("SWIM_VAR_DIR", str(BASE_DIR / "var")))
SHARED_DATA_DIR = Path(env("SWIM_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data")))


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when SWIM_ENV=production.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "swim.accounts",
    "swim.jobs",
    "swim.directory",
    "swim.discovery",
    "swim.diagnostic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "swim.urls"
WSGI_APPLICATION = "swim.wsgi.application"
ASGI_APPLICATION = "swim.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "swim" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "swim.accounts.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite file under var/ by default, PostgreSQL (or any) via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'swim.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if not env("DATABASE_URL"):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _shared_cache(url: str) -> dict[str, str]:
    """Django's settings for the shared cache at ``url`` (``db://TABLE``, ``redis://…``,
    ``locmem://``)."""
    scheme, _, rest = url.partition("://")
    if scheme == "db":
        table = rest.strip("/") or "swim_cache"
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}
    if scheme in {"redis", "rediss"}:
        if importlib.util.find_spec("redis") is None:
            raise ImproperlyConfigured(
                "SWIM_CACHE_URL is a Redis address but the redis package is not installed: "
                "pip install '.[redis]' (or pip install redis)."
            )
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}
    raise ImproperlyConfigured(
        f"SWIM_CACHE_URL must be db://TABLE, redis://HOST:PORT/DB or locmem://, not {url!r}"
    )


# Caches. "default" is each process's memory: the directory's many small per-filter results.
# "shared" holds what is slow to compute and the same for everyone (the concentration map's
# counts), so the web processes and the task worker compute it once between them: a table
# in the database (made by a migration) unless SWIM_CACHE_URL names Redis.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": _shared_cache(env("SWIM_CACHE_URL", "db://swim_cache")),
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins are throttled per username and address (django-axes).
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"


def _package_static(package: str) -> list[Path]:
    """The ``static/`` folder of an installed package, found without importing it.

    Leaflet comes from the django-leaflet package, but listing it as an app would import its
    admin module and with it GeoDjango, which needs the GDAL library: only its files are used.
    """
    spec = importlib.util.find_spec(package)
    folders = [Path(p) / "static" for p in (spec.submodule_search_locations or [])] if spec else []
    return [folder for folder in folders if folder.is_dir()]


STATICFILES_DIRS = [BASE_DIR / "swim" / "static", *_package_static("leaflet")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Email: printed to the console unless an SMTP host is given.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(env("EMAIL_PORT", "587"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "SWiM <swim@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Diagnostic invitations: how many days a personal answering link stays valid.
DIAGNOSTIC_INVITATION_DAYS = int(env("SWIM_DIAGNOSTIC_INVITATION_DAYS", "14"))
# The address people reach SWiM at (https://swim.example.org), for the links in emails a
# command sends: it has no request to take the address from (`swim invite_respondents`).
SWIM_BASE_URL = env("SWIM_BASE_URL")

# Background tasks: Django's tasks API on the database backend (swim db_worker).
TASKS = {
    "default": {
        "BACKEND": env("SWIM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Discovery's text signal: "auto" uses cached sentence embeddings when sentence-transformers
# and the MiniLM package are installed, "tfidf" always compares words (TF-IDF + LSA).
SWIM_TEXT_MODEL = env("SWIM_TEXT_MODEL", "auto").strip().lower()
if SWIM_TEXT_MODEL not in {"auto", "tfidf"}:
    raise ImproperlyConfigured(f"SWIM_TEXT_MODEL must be auto or tfidf, not {SWIM_TEXT_MODEL!r}")
# The dask.distributed scheduler of web discovery runs and `swim discover --engine dask`
# (empty: web runs work on this machine, the command starts a local cluster).
SWIM_DASK_SCHEDULER = env("SWIM_DASK_SCHEDULER")

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}


def _tile_origin(url: str) -> str:
    """The CSP source of a tile URL, its `{s}` subdomain placeholder as a `*` wildcard."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}"


# Map background tiles: none by default (the map draws a plain background and still works
# offline); a tile server URL such as https://tile.example.org/{z}/{x}/{y}.png turns them on.
SWIM_MAP_TILE_URL = env("SWIM_MAP_TILE_URL")
SWIM_MAP_ATTRIBUTION = env("SWIM_MAP_ATTRIBUTION")
if SWIM_MAP_TILE_URL:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(_tile_origin(SWIM_MAP_TILE_URL))

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("SWIM_BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
