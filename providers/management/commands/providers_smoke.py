"""``manage.py providers_smoke``: call each configured provider once, for real, and report.

Spends real money (about $0.10 in all at list prices: one Stability Core image, one WaveSpeed
Qwen image, one Hugging Face FLUX.1-dev image, one Gemini Flash Image); nothing runs it in CI.
Prints one JSON line per provider: ``{"provider", "model", "ok", "seconds", "bytes",
"media_type", "seed", "error"}``; providers without a key are reported as skipped. Exits with
status 1 if any configured provider failed.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image

from providers.base import MemoryCheckpoint, ProviderError, ProviderRequest
from providers.registry import get_adapter, is_configured

PROMPT = "A red apple on a wooden table, soft window light, photograph"

#: One cheap call per provider: (provider, capability, model path, options).
CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("stability", "generate", "generate/core", {"aspect_ratio": "1:1", "output_format": "png"}),
    ("wavespeed", "generate", "wavespeed-ai/qwen-image/text-to-image", {"aspect_ratio": "1:1"}),
    ("huggingface", "generate", "black-forest-labs/FLUX.1-dev", {"width": 512, "height": 512}),
    ("gemini", "generate", "gemini-2.5-flash-image", {"aspect_ratio": "1:1"}),
    ("local", "upscale", "upscale/lanczos", {"factor": 2}),
]


class Command(BaseCommand):
    help = "Call every configured AI provider once (real requests that cost money)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", action="append", help="only these providers (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = set(options["provider"] or [])
        failed = 0
        for provider, capability, model, call_options in CALLS:
            if wanted and provider not in wanted:
                continue
            record: dict[str, Any] = {"provider": provider, "model": model}
            if not is_configured(provider):
                self._line({**record, "ok": None, "error": "skipped: not configured"})
                continue
            request = ProviderRequest(
                model=model,
                capability=capability,
                prompt=PROMPT,
                options=call_options,
                image=_sample_image() if capability != "generate" else None,
            )
            started = time.monotonic()
            try:
                result = get_adapter(provider).run(request, MemoryCheckpoint())
            except ProviderError as error:
                failed += 1
                record.update(ok=False, error=str(error))
            else:
                record.update(
                    ok=True,
                    bytes=len(result.data),
                    media_type=result.media_type,
                    seed=result.seed,
                    error="",
                )
            record["seconds"] = round(time.monotonic() - started, 2)
            self._line(record)
        if failed:
            raise CommandError(f"{failed} provider(s) failed.", returncode=1)

    def _line(self, record: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(record, ensure_ascii=False))


def _sample_image() -> bytes:
    """Return a small PNG to upscale (a gradient: no file needed)."""
    image = Image.linear_gradient("L").resize((128, 128)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
