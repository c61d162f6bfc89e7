"""A small per-user rate limit on Django's cache, for endpoints a page calls as the user types."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

#: What a cache that is down raises: Redis's errors, or the file system's (embedded default).
CACHE_ERRORS = (RedisError, OSError)


def rate_limited(
    scope: str, *, limit: Callable[[], int], per: int = 60, respond: Callable[..., HttpResponse]
):
    """Allow ``limit()`` calls per user (or client address) per ``per`` seconds, fixed window.

    Over the limit the view is not called; ``respond(request)`` answers instead (its status
    should be 429). Counters live in the default cache, so they are shared by every web process
    when the cache is (Redis in production). A cache that is down lets the call through (fails
    open, logged): a Redis outage must not turn every job start into an error page.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            who = request.user.pk if request.user.is_authenticated else _client(request)
            window = int(time.time() // per)
            key = f"ratelimit:{scope}:{who}:{window}"
            try:
                count = _count(key, timeout=per + 1)
            except CACHE_ERRORS as exc:
                log.warning("Rate limit %s not counted, the cache is down: %s", scope, exc)
                count = 0
            if count > limit():
                return respond(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _count(key: str, *, timeout: int) -> int:
    """Add one to the window's counter and return it."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: start again
        cache.set(key, 1, timeout=timeout)
        return 1


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")
