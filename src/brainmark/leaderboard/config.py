"""Server settings of the leaderboard: cookies, sandbox policy, rate limits, queue and body caps."""
from __future__ import annotations

from dataclasses import dataclass

from brainmark.leaderboard.uploads import MAX_BYTES


@dataclass(frozen=True)
class ServerConfig:
    """Operator choices (``brainmark serve`` flags / ``BRAINMARK_LEADERBOARD_*`` variables).

    - ``secure_cookies``: mark the session cookie ``Secure`` (keep on; browsers accept it on http://127.0.0.1).
    - ``allow_unsandboxed``: accept uploads where no sandbox can be set up (untrusted code runs unsandboxed!).
    - ``session_hours``: how long a browser login lasts.
    - rate limits (``limits`` notation, e.g. ``"10/minute"``): failed authentications per IP, API requests per
      token, submissions per user and per IP; ``max_active_jobs`` queued or running jobs per user.
    - ``max_body_bytes``: request bodies other than uploads; uploads may be ``MAX_BYTES`` plus form overhead.
    """

    secure_cookies: bool = True
    allow_unsandboxed: bool = False
    session_hours: float = 12.0
    auth_failures: str = "10/minute"
    api_requests: str = "600/minute"
    submissions_per_user: str = "30/hour"
    submissions_per_ip: str = "60/hour"
    max_active_jobs: int = 50
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = MAX_BYTES + 256 * 1024
