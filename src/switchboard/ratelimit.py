"""Per-key rate limits: a token bucket per key, in this process."""

from __future__ import annotations

import time

from switchboard.errors import RateLimited


class RateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[int, tuple[float, float]] = {}

    def check(self, key_id: int) -> None:
        """Spend one token of `key_id`'s bucket, or raise RateLimited saying when to retry."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        if tokens < 1.0:
            self._buckets[key_id] = (tokens, now)
            raise RateLimited(retry_after=(1.0 - tokens) / self.per_second)
        self._buckets[key_id] = (tokens - 1.0, now)
