"""Per-key rate limits of the HTTP endpoint: a moving window held in memory (``limits``, a
well-kept limiter: the same one Flask-Limiter and SlowAPI use).

A key may make ``DEFAULT_RATE_LIMIT`` requests (or its own ``rate_limit``, set when it is created) in
any window of that length; one more gets a 429 with the seconds to wait. The counts live in the
endpoint's process: they start again when it restarts, which is what a class needs (a limit against
scraping, not a billing meter).
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from core.i18n import _
from core.workspace.errors import ConfigError

DEFAULT_RATE_LIMIT = "600/minute"


@lru_cache(maxsize=256)
def parse_rate_limit(text: str) -> RateLimitItem:
    """``"600/minute"``, ``"10 per second"``, ``"5000/day"`` as a limit; ConfigError naming the form otherwise."""
    try:
        item = parse(str(text).strip())
    except ValueError:
        item = None
    if item is None or item.amount < 1:
        raise ConfigError(
            _(
                "The rate limit '{text}' is not one the endpoint understands; write a number of requests "
                "per second, minute, hour or day, such as 600/minute."
            ).format(text=text)
        )
    return item


def check_rate_limit(text: str | None) -> str | None:
    """The limit as stored (None: the default); ConfigError if it cannot be read."""
    if text is None or not str(text).strip():
        return None
    parse_rate_limit(str(text))
    return str(text).strip()


class KeyRateLimiter:
    """One moving window per key id."""

    def __init__(self, default: str = DEFAULT_RATE_LIMIT):
        self.default = parse_rate_limit(default)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key_id: int, rate_limit: str | None = None) -> float | None:
        """Count one request of ``key_id``: None when it is within its limit, else the seconds to
        wait before the next one will be."""
        item = parse_rate_limit(rate_limit) if rate_limit else self.default
        if self._limiter.hit(item, "api-key", str(key_id)):
            return None
        reset = self._limiter.get_window_stats(item, "api-key", str(key_id)).reset_time
        return max(1.0, math.ceil(reset - time.time()))
