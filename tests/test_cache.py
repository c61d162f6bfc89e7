"""The cache (rate limits, allauth's login throttling) is shared by every process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Count one call the way billing.ratelimit does, from a process of its own.
COUNT_ONE = """
import django
django.setup()
from django.core.cache import cache
cache.add("shared-probe", 0, timeout=60)
print(cache.incr("shared-probe"))
"""


def _count_in_a_new_process(env: dict) -> int:
    result = subprocess.run(
        [sys.executable, "-c", COUNT_ONE],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "studio.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_production_counts_in_redis_so_every_web_process_sees_the_same_limit(settings):
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.delete("shared-probe")
    counts = [_count_in_a_new_process(dict(os.environ)) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert cache.get("shared-probe") == 3  # and this process reads the same counter


def test_the_embedded_default_shares_its_cache_between_processes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL"))}
    env["STUDIO_VAR_DIR"] = str(tmp_path)
    assert [_count_in_a_new_process(env) for _ in range(3)] == [1, 2, 3]
    assert any((tmp_path / "cache").iterdir())
