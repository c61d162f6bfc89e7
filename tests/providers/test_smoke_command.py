"""``providers_smoke`` against loopback: one call per configured provider, skips the rest."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from PIL import Image


def lines(out: io.StringIO) -> dict[str, dict]:
    return {row["provider"]: row for row in map(json.loads, out.getvalue().splitlines())}


def test_it_calls_each_configured_provider_once_and_skips_the_others(settings, httpserver):
    unset = {name: {**entry, "api_key": ""} for name, entry in settings.PROVIDERS.items()}
    settings.PROVIDERS = {
        **unset,
        "stability": {
            "api_key": "sk",
            "base_url": httpserver.url_for("").rstrip("/"),
            "env": ["X"],
        },
    }
    image = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(image, "PNG")
    httpserver.expect_oneshot_request(
        "/v2beta/stable-image/generate/core", method="POST"
    ).respond_with_data(image.getvalue(), content_type="image/png", headers={"seed": "9"})
    out = io.StringIO()
    call_command("providers_smoke", stdout=out)
    rows = lines(out)
    assert rows["stability"]["ok"] is True and rows["stability"]["seed"] == 9
    assert rows["local"]["ok"] is True and rows["local"]["media_type"] == "image/png"
    for name in ("wavespeed", "huggingface", "gemini"):
        assert rows[name] == {
            "provider": name,
            "model": rows[name]["model"],
            "ok": None,
            "error": "skipped: not configured",
        }
    assert len(httpserver.log) == 1


def test_it_exits_with_status_1_when_a_provider_fails(settings, httpserver):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {
            "api_key": "sk",
            "base_url": httpserver.url_for("").rstrip("/"),
            "env": ["X"],
        },
    }
    httpserver.expect_request("/v2beta/stable-image/generate/core").respond_with_json(
        {"name": "unauthorized", "errors": ["bad key"]}, status=401
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 provider"):
        call_command("providers_smoke", "--provider", "stability", stdout=out)
    assert lines(out)["stability"]["ok"] is False
