"""Settings for ``bench/open_room.py``'s server: the test settings (statics straight from
static/) with the history page size from ``KEYROOM_BENCH_HISTORY_PAGE``, so that opening a room
can load all of its messages at once."""

import os

from keyroom.settings_test import *  # noqa: F403

KEYROOM_HISTORY_PAGE = int(os.environ.get("KEYROOM_BENCH_HISTORY_PAGE", "50"))
