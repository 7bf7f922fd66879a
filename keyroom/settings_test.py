"""Settings for the test suite: the real settings with fast hashing and finder-served statics."""

import os

from keyroom.settings import *  # noqa: F403
from keyroom.settings import DATA_DIR, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A live daphne server (browser tests) runs in another process: it needs an on-disk database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        # One file per test run, so runs side by side do not clobber each other.
        "NAME": str(DATA_DIR / f"test_{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": f"keyroom_test_{os.getpid()}"}
    # A lock wait that never ends (a test's flush behind a server transaction, say) becomes an
    # error with a traceback instead of a hung run.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c lock_timeout=30000"

# Digests every 2 s, so a browser test sees an event lost on the way recovered soon.
KEYROOM_DIGEST_SECONDS = 2.0
# Presence: idle after 8 s without input (a browser test waits for "away"); "offline" 1 s after
# the last socket closed.
KEYROOM_PRESENCE_IDLE_SECONDS = 8.0
KEYROOM_PRESENCE_GRACE_SECONDS = 1.0
