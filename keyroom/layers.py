"""The embedded channel layer: Channels' in-memory layer with cheaper housekeeping."""

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer that sweeps expired messages and groups at most once a second.

    The stock layer sweeps every queued channel and every group membership on each ``receive``
    and ``group_send``: a message to an N-member room costs N sweeps of all memberships of all
    sockets. Messages expire after 30 s and memberships after a day, so once a second is enough.
    """

    sweep_interval = 1.0
    _next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_interval
            super()._clean_expired()
