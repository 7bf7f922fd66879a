"""Keyroom settings, read from the environment (django-environ).

The embedded default (no environment at all) is SQLite in ``var/`` and the in-memory channel
layer: enough for one daphne process. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL
and channels-redis for production; see docs/DEPLOY.md.
"""

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DATA_DIR = Path(env.str("KEYROOM_DATA_DIR", default=str(BASE_DIR / "var")))
DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, else one kept in DATA_DIR (made on first run)."""
    if key := env.str("SECRET_KEY", default=""):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "accounts",
    "chat",
    "e2e",
    "ops",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    # First: a request gives its database connection back even when its client left and
    # daphne cancelled it (keyroom/dbconnections.py).
    "keyroom.dbconnections.ReturnDatabaseConnectionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "chat.http.QueryTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The Django admin's own login is replaced by Keyroom's (it asks for the second step), and
    # "Administrators must use two-factor login" (accounts.AccountSettings) is enforced here.
    "accounts.middleware.AdminTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "accounts.middleware.SessionSeenMiddleware",
    # Last, as django-axes asks: it turns a lockout found during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# API requests get the API's JSON error shape for a CSRF failure too.
CSRF_FAILURE_VIEW = "chat.http.csrf_failure"

ROOT_URLCONF = "keyroom.urls"
ASGI_APPLICATION = "keyroom.asgi.application"
WSGI_APPLICATION = None

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'keyroom.sqlite3'}"),
}
# daphne runs every socket command on one database thread: a connection per command would cost
# more than the command. PostgreSQL: psycopg's pool (Django advises pools, not persistent
# connections, under ASGI). SQLite: keep the connection a while.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # daphne runs each HTTP request in a thread of its own: psycopg's default of 4 connections
    # would make the fifth concurrent request wait.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "pool", {"min_size": 2, "max_size": env.int("DATABASE_POOL_SIZE", default=10)}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers (page views, history) run beside the writer (new messages).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )


# What this instance's names in Redis start with. Pub/sub channels ignore the database number
# in REDIS_URL: two instances on one Redis would hear each other's events (message text
# included) unless their prefixes differ. By default derived from the secret key, which every
# process of one instance shares and no two instances do; REDIS_PREFIX sets it explicitly.
def redis_prefix(secret_key: str) -> str:
    """Return the default Redis prefix of the instance whose secret key is ``secret_key``."""
    return (
        "keyroom-" + hashlib.sha256(b"keyroom redis prefix:" + secret_key.encode()).hexdigest()[:16]
    )


REDIS_PREFIX = env.str("REDIS_PREFIX", default=redis_prefix(SECRET_KEY))

if REDIS_URL := env.str("REDIS_URL", default=""):
    # One PUBLISH per group send, fanned out inside each daphne process (the stock layer makes
    # several Redis round trips per member). At-most-once, like every layer: clients resync,
    # and are told to when this process's subscriptions come back after an outage.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "keyroom.layers.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_PREFIX},
        }
    }
    # Shared by every daphne process: the brake on login-password guesses (e2e/checks.py)
    # must count tries across processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "keyroom.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "expiry": 30},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout (django-axes; docs/DEPLOY.md): KEYROOM_LOGIN_FAILURES wrong passwords for one
# username lock it for KEYROOM_LOGIN_LOCKOUT_MINUTES, counted from the last failure; tries
# during a lockout, the right password too, are refused and do not extend it. Per username, not
# per address, so one person mistyping behind an office NAT does not lock everyone out.
AXES_FAILURE_LIMIT = env.int("KEYROOM_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KEYROOM_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns that this lockout has no address in it (rotating user agents or cookies does
# not get around a per-username lock; what it leaves open is guessing one password against many
# usernames from one address, which a per-address lock would stop only by locking out a whole
# office behind one NAT address). The choice is deliberate: docs/SECURITY.md, "Login".
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Axes logs each failure (``axes`` logger, WARNING) with the username and address; passwords
# are always masked. Log the username and address in clear: they are what an operator needs.
# The one exception: the code field of the login's second step and of My Account -> Two-factor
# (a mistyped recovery code is close to a real one).
AXES_SENSITIVE_PARAMETERS = ["code"]
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login: the session list has that
# Two-factor login (django-otp; docs/SECURITY.md): TOTP apps plus one-time recovery codes. Wrong
# codes count as failed logins in the lockout above, with the wrong passwords: that is the one
# brake, so django-otp's own per-device delay is off (it would refuse a right code typed soon
# after a wrong one, with the same "wrong code" answer).
OTP_TOTP_ISSUER = env.str("KEYROOM_TOTP_ISSUER", default="Keyroom")
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# How long the second step of a login waits for its code after the right password.
KEYROOM_TWO_FACTOR_STEP_SECONDS = 300
# Sign-ups per client address: a bucket of KEYROOM_SIGNUPS_PER_HOUR, refilled over an hour.
KEYROOM_SIGNUPS_PER_HOUR = env.int("KEYROOM_SIGNUPS_PER_HOUR", default=10)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "chat:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "keyroom.storage.StaticStorage"},
}

# Security headers. HTTPS-only settings are on unless the instance is plain-HTTP (local use).
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=False)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HTTPS)
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline script or style anywhere: pages pass data through json_script / data-* attributes.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Keyroom's own limits (documented in README.md).
KEYROOM_MESSAGE_MAX_CHARS = env.int("KEYROOM_MESSAGE_MAX_CHARS", default=4000)
# How often each socket gets the digest of its rooms' latest revisions (chat/consumers.py):
# the bound on how long an event lost on the way (the layer dropped it, Redis was away) can
# stay unnoticed when nothing follows it.
KEYROOM_DIGEST_SECONDS = env.float("KEYROOM_DIGEST_SECONDS", default=30.0)
KEYROOM_HISTORY_PAGE = 50
# Presence (docs/ARCHITECTURE.md "Presence"): a tab without input (or hidden) this long says
# "idle" (the page gets it from its config); the last tab closed, "offline" waits this long
# for a reload to come back first.
KEYROOM_PRESENCE_IDLE_SECONDS = env.float("KEYROOM_PRESENCE_IDLE_SECONDS", default=300.0)
KEYROOM_PRESENCE_GRACE_SECONDS = env.float("KEYROOM_PRESENCE_GRACE_SECONDS", default=10.0)
# The brake on writes, per user, socket commands and HTTP writes alike (docs/DEPLOY.md): a token
# bucket of KEYROOM_WRITE_BURST writes refilled at KEYROOM_WRITE_RATE a second; 0 switches it off.
KEYROOM_WRITE_RATE = env.float("KEYROOM_WRITE_RATE", default=20.0)
KEYROOM_WRITE_BURST = env.int("KEYROOM_WRITE_BURST", default=100)
# The brake on requests made with one personal access token, reads too (accounts/checks.py):
# KEYROOM_TOKEN_BURST at once, then KEYROOM_TOKEN_RATE a second; 0 switches it off. Writes also
# take from the user's write bucket above.
KEYROOM_TOKEN_RATE = env.float("KEYROOM_TOKEN_RATE", default=10.0)
KEYROOM_TOKEN_BURST = env.int("KEYROOM_TOKEN_BURST", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No query strings in logs: search terms are private (keyroom/serve.py).
    "filters": {"path_only": {"()": "keyroom.serve.PathOnlyFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["path_only"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # Failed logins and lockouts are WARNING; successes and clean-ups (INFO) are noise.
        "axes": {"level": "WARNING"},
    },
}
