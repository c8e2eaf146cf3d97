"""The Redis cache, sharing a Redis database with the Celery broker without sharing its keys."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.exceptions import ImproperlyConfigured

# Keys deleted per round trip while clearing.
_BATCH = 500
# Django's incr is EXISTS, then INCRBY: two round trips, and a key that expires between them comes back without
# its expiry. The rate limits count every public POST and every verification email this way (after an add
# that found the key), so this does both in one atomic step.
_INCR_IF_EXISTS = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false"


class PrefixedRedisCache(RedisCache):
    """Django's Redis cache, except that `clear()` deletes only this cache's own keys (those under KEY_PREFIX).

    Django's own `clear()` is FLUSHDB: on the Redis database the Celery broker also uses, that silently dropped
    every queued task (issue 15). Choosing another database number for the cache ourselves could land on someone
    else's data on a shared Redis, so the cache stays where REDIS_URL (or CACHE_URL) says, under its own prefix.
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        if not self.key_prefix:
            raise ImproperlyConfigured(
                "PrefixedRedisCache needs a KEY_PREFIX: clear() deletes only keys under it."
            )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Django's incr (ValueError for a missing key), in one round trip."""
        key = self.make_and_validate_key(key, version=version)
        redis_cache: RedisCacheClient = self._cache  # type: ignore[attr-defined]  # missing from django-stubs
        value = redis_cache.get_client(key, write=True).eval(_INCR_IF_EXISTS, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)

    def clear(self) -> None:
        redis_cache: RedisCacheClient = self._cache  # type: ignore[attr-defined]  # missing from django-stubs
        client = redis_cache.get_client(write=True)
        # Django's keys are "<prefix>:<version>:<key>"; escape the prefix so none of it reads as a glob.
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == _BATCH:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
