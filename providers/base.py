"""What every provider adapter shares: the request and output shapes, errors, HTTP helpers.

An adapter (providers.stability, .wavespeed, .huggingface, .gemini, .local) turns one
:class:`ProviderRequest` into one :class:`ProviderOutput` or raises a :class:`ProviderError`
whose str() is a message the user can act on. Adapters never touch the database: the worker
hands them a :class:`Checkpoint` where an asynchronous provider's prediction id is stored
before polling, so a retried task resumes polling instead of paying for a second submission.

Retries (tenacity, bounded exponential back-off with jitter) are for idempotent calls only:
polls and downloads. A paid submission is sent exactly once; if it fails, the job fails and
its credits are released.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Protocol

import requests
from django.conf import settings
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

#: Status codes worth asking again for on an idempotent call: rate limited or a server fault.
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


# --- shapes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderRequest:
    """One call to a provider model, in provider-neutral terms.

    ``model`` is the provider's own model path from the registry (providers.models.AIModel.model),
    e.g. "generate/core" for Stability or "wavespeed-ai/qwen-image/edit" for WaveSpeed;
    ``capability`` is the registry's capability ("generate", "edit", "upscale", "control",
    "video", "avatar", "3d", "faceswap", "caption").

    ``options`` uses these names (each adapter sends only what its model declares):
    aspect_ratio ("16:9"), seed (int, 0..4294967294), style_preset (a Stability preset name),
    output_format ("png" | "jpeg" | "webp"), strength, control_strength, fidelity, creativity,
    style_strength, composition_fidelity, change_strength (floats 0..1), grow_mask (pixels),
    left / right / up / down (outpaint pixels), factor (upscale factor, int), width / height
    (pixels), resolution ("480p" | "720p" | "1080p"), duration (seconds), search_prompt,
    select_prompt, edit_kind (the edit operation, e.g. "inpaint").

    Images are encoded files (PNG, JPEG, WebP bytes): ``image`` the input, ``mask`` a
    greyscale PNG where white marks the area to change, ``references`` named extra inputs
    ("style", "subject", "background_reference", "light_reference", "face", "audio").
    """

    model: str
    capability: str
    prompt: str = ""
    negative_prompt: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    image: bytes | None = None
    mask: bytes | None = None
    references: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderOutput:
    """What a provider sent back: the file, what it is, and the facts worth keeping.

    ``media_type`` is the MIME type the provider declared ("image/png", "video/mp4",
    "model/gltf-binary"); the worker validates the bytes by content before storing them.
    """

    data: bytes
    media_type: str
    seed: int | None = None
    finish_reason: str = ""
    prediction_id: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


class Checkpoint(Protocol):
    """Where a submitted prediction's id is kept across task retries (the job row)."""

    def load(self) -> str | None:
        """Return the prediction id stored by an earlier attempt, or None."""
        ...

    def save(self, prediction_id: str) -> None:
        """Store the id durably before the first poll."""
        ...


class MemoryCheckpoint:
    """A Checkpoint held in memory: for `apply_spec`, `providers_smoke` and tests."""

    def __init__(self, prediction_id: str | None = None) -> None:
        self.prediction_id = prediction_id

    def load(self) -> str | None:
        return self.prediction_id

    def save(self, prediction_id: str) -> None:
        self.prediction_id = prediction_id


# --- errors ------------------------------------------------------------------------------


class ProviderError(Exception):
    """A provider call failed; str() tells the user what happened and what to do.

    ``retry_later`` is True when the failure is transient and the work can be resumed without
    paying again (a poll or download failed after a prediction id was stored).
    """

    retry_later: bool = False


class NotConfigured(ProviderError):
    """The provider has no API key in this deployment."""


class InputRejected(ProviderError):
    """The provider refused the input (400, 413, 422): the user must change something."""


class Moderated(ProviderError):
    """The provider's content moderation refused the prompt or an image (Stability 403)."""


class RateLimited(ProviderError):
    """The provider is rate limiting us (429) on a call we must not repeat."""


class ProviderUnavailable(ProviderError):
    """The provider failed or did not answer (5xx, timeouts, connection errors)."""


class PollingFailed(ProviderUnavailable):
    """Polling or downloading a stored prediction failed; the task may resume it later."""

    retry_later = True


class MalformedOutput(ProviderError):
    """The provider answered 200 but the body is not what its API documents."""


# --- configuration -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderConfig:
    """A provider's key, base URL and timeouts, from settings.PROVIDERS and STUDIO_PROVIDER_*.

    Timeouts are seconds; ``poll_interval`` and ``retry_initial`` are seconds too (settings
    give milliseconds so tests can poll fast). ``poll_interval_explicit`` is True when
    STUDIO_PROVIDER_POLL_INTERVAL_MS was configured on purpose (see :meth:`poll_interval_for`).
    """

    name: str
    api_key: str
    base_url: str
    connect_timeout: float
    read_timeout: float
    poll_timeout: float
    poll_interval: float
    retry_initial: float
    retry_attempts: int
    max_output_bytes: int
    poll_interval_explicit: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    @property
    def timeout(self) -> tuple[float, float]:
        """Return the (connect, read) timeout pair `requests` takes."""
        return (self.connect_timeout, self.read_timeout)

    def poll_interval_for(self, documented_minimum: float) -> float:
        """Return the seconds to wait between polls of a provider documenting ``documented_minimum``.

        The provider's documented minimum is a floor (Stability: 10 s, WaveSpeed: 2 s; each
        adapter cites its source), so production never polls faster than the provider allows.
        Only an interval configured explicitly (the environment variable, or a settings override
        as tests make against loopback emulators) may go below it.
        """
        if self.poll_interval_explicit:
            return self.poll_interval
        return max(self.poll_interval, documented_minimum)

    @classmethod
    def from_settings(cls, name: str) -> ProviderConfig:
        """Return the configuration of a provider named in settings.PROVIDERS ("local": no key)."""
        entry = settings.PROVIDERS.get(name, {})
        return cls(
            name=name,
            api_key=entry.get("api_key", ""),
            base_url=entry.get("base_url", "").rstrip("/"),
            connect_timeout=settings.STUDIO_PROVIDER_CONNECT_TIMEOUT,
            read_timeout=settings.STUDIO_PROVIDER_READ_TIMEOUT,
            poll_timeout=settings.STUDIO_PROVIDER_POLL_TIMEOUT,
            poll_interval=settings.STUDIO_PROVIDER_POLL_INTERVAL_MS / 1000,
            retry_initial=settings.STUDIO_PROVIDER_RETRY_INITIAL_MS / 1000,
            retry_attempts=settings.STUDIO_PROVIDER_RETRY_ATTEMPTS,
            max_output_bytes=settings.STUDIO_PROVIDER_MAX_OUTPUT_BYTES,
            poll_interval_explicit=configured_explicitly("STUDIO_PROVIDER_POLL_INTERVAL_MS"),
        )


def configured_explicitly(name: str) -> bool:
    """Return True if setting ``name`` comes from the environment or a run-time override.

    False when it has the value the settings module gave it without its environment variable,
    i.e. its default: then each provider's documented minimum applies (ProviderConfig).
    """
    if name in os.environ:
        return True
    # An override_settings() (pytest-django's ``settings``) hides SETTINGS_MODULE.
    module_name = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE")
    if not module_name:
        return False
    return getattr(import_module(module_name), name, None) != getattr(settings, name, None)


class Adapter(Protocol):
    """One provider: run a request against one of its models."""

    name: str

    def __init__(self, config: ProviderConfig) -> None: ...

    def run(self, request: ProviderRequest, checkpoint: Checkpoint) -> ProviderOutput:
        """Return the model's output; raise ProviderError (never anything else) on failure."""
        ...


# --- HTTP helpers --------------------------------------------------------------------------


def session(config: ProviderConfig, *, auth_header: bool = True) -> requests.Session:
    """Return a requests Session sending ``Authorization: Bearer <key>`` and our User-Agent."""
    http = requests.Session()
    http.headers["User-Agent"] = "ImageStudio/1.0"
    if auth_header and config.api_key:
        http.headers["Authorization"] = f"Bearer {config.api_key}"
    return http


def is_transient(exc: BaseException) -> bool:
    """Return True for failures an idempotent call may retry: connection, timeout, 429, 5xx."""
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code in TRANSIENT_STATUS
    return False


def retrying[T](config: ProviderConfig, call: Callable[[], T]) -> T:
    """Run an idempotent call, retrying transient failures with exponential back-off and jitter.

    Waits start at ``config.retry_initial`` seconds and double, with up to that much jitter, capped
    at 30 s; at most ``config.retry_attempts`` tries. The last failure is re-raised unchanged.
    Never use this for a paid submission.
    """
    wrapped = retry(
        retry=retry_if_exception(is_transient),
        wait=wait_exponential_jitter(
            initial=config.retry_initial, max=30, jitter=config.retry_initial
        ),
        stop=stop_after_attempt(max(1, config.retry_attempts)),
        reraise=True,
    )(call)
    return wrapped()


def get_idempotent(
    http: requests.Session, config: ProviderConfig, url: str, **kwargs: Any
) -> requests.Response:
    """GET with retries of transient failures; return the response (any non-transient status).

    A response whose status is transient (429, 5xx) after the last attempt raises
    requests.HTTPError; connection errors and timeouts are re-raised as they are.
    """

    def call() -> requests.Response:
        response = http.get(url, timeout=config.timeout, **kwargs)
        if response.status_code in TRANSIENT_STATUS:
            response.raise_for_status()
        return response

    return retrying(config, call)


def download(http: requests.Session, config: ProviderConfig, url: str) -> tuple[bytes, str]:
    """Fetch an output file with retries; return (bytes, Content-Type).

    Refuses bodies over ``config.max_output_bytes`` (MalformedOutput) and raises PollingFailed
    when the file cannot be fetched (the prediction exists, so the task may come back for it).
    """

    def call() -> tuple[bytes, str]:
        with http.get(url, timeout=config.timeout, stream=True) as response:
            response.raise_for_status()
            chunks, total = [], 0
            for chunk in response.iter_content(chunk_size=1 << 16):
                total += len(chunk)
                if total > config.max_output_bytes:
                    raise MalformedOutput(
                        f"The {config.name} result is larger than "
                        f"{config.max_output_bytes // 1_048_576} MB, so it was not stored."
                    )
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("Content-Type", "")

    try:
        return retrying(config, call)
    except requests.RequestException as exc:
        raise PollingFailed(
            f"The result is ready at {config.name} but could not be downloaded ({failure_reason(exc)}). "
            "It will be fetched again shortly; nothing is charged twice."
        ) from exc


def poll[T](
    config: ProviderConfig,
    fetch: Callable[[], T | None],
    *,
    what: str = "the result",
    interval: float | None = None,
    first_wait: float = 0.0,
) -> T:
    """Call ``fetch`` every ``interval`` s until it returns a value; return it.

    ``interval`` defaults to ``config.poll_interval`` (adapters pass
    ``config.poll_interval_for(<documented minimum>)``); ``first_wait`` is how many seconds to
    wait before the first call (e.g. the model's typical time). ``fetch`` returns None while the
    work is still running and raises ProviderError when the provider reports failure. Gives up
    after ``config.poll_timeout`` s (counted from the first call) with PollingFailed.
    """
    interval = config.poll_interval if interval is None else interval
    if first_wait > 0:
        time.sleep(first_wait)
    deadline = time.monotonic() + config.poll_timeout
    while True:
        value = fetch()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            raise PollingFailed(
                f"{config.name.title()} had not finished {what} after "
                f"{config.poll_timeout // 60:.0f} minutes. We will check again; nothing is "
                "charged twice."
            )
        time.sleep(interval)


def failure_reason(exc: BaseException) -> str:
    """Return a short phrase for a requests failure ("it did not answer in time", "HTTP 503")."""
    if isinstance(exc, requests.Timeout):
        return "it did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "it could not be reached"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


# --- sizes ---------------------------------------------------------------------------------


def size_for_aspect(
    aspect_ratio: str, *, megapixels: float = 1.0, multiple: int = 16
) -> tuple[int, int]:
    """Return (width, height) in pixels near ``megapixels`` for an aspect ratio like "16:9".

    Both sides are rounded to a multiple of ``multiple`` (diffusion models work on 8- or
    16-pixel latents). Raises ValueError for a malformed ratio.
    """
    w_text, _, h_text = aspect_ratio.partition(":")
    ratio_w, ratio_h = int(w_text), int(h_text)
    if ratio_w <= 0 or ratio_h <= 0:
        raise ValueError(f"{aspect_ratio!r} is not an aspect ratio like 16:9")
    area = megapixels * 1_000_000
    height = math.sqrt(area * ratio_h / ratio_w)
    width = height * ratio_w / ratio_h
    return (
        max(multiple, round(width / multiple) * multiple),
        max(multiple, round(height / multiple) * multiple),
    )
