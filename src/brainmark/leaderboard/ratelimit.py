"""Rate limits (moving windows from the ``limits`` library, in this server process's memory).

Keys are client IPs or token hashes, never raw tokens. Several server processes each keep their own counts;
put a proxy with its own limits in front when running many.
"""
from __future__ import annotations

import math
import time

from fastapi import HTTPException
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    """``hit(rule, kind, key)`` counts one event; ``check(rule, kind, key)`` raises 429 once a limit is reached."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def exceeded(self, rule: str, kind: str, key: str) -> bool:
        """True when ``key`` has used up ``rule`` (nothing is counted)."""
        return not self._limiter.test(parse(rule), kind, key)

    def hit(self, rule: str, kind: str, key: str) -> bool:
        """Count one event; False when it went past the limit."""
        return self._limiter.hit(parse(rule), kind, key)

    def retry_after(self, rule: str, kind: str, key: str) -> int:
        """Seconds until ``key`` may try again."""
        reset = self._limiter.get_window_stats(parse(rule), kind, key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def refuse(self, rule: str, kind: str, key: str, what: str) -> HTTPException:
        """The 429 answer for ``what`` with its Retry-After."""
        wait = self.retry_after(rule, kind, key)
        return HTTPException(429, f"too many {what} (limit {rule}); try again in {wait} s",
                             headers={"Retry-After": str(wait)})

    def check(self, rule: str, kind: str, key: str, what: str) -> None:
        """Count one event and raise 429 if it is past the limit."""
        if not self.hit(rule, kind, key):
            raise self.refuse(rule, kind, key, what)
