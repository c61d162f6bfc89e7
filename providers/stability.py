"""Stability AI adapter: the REST v2beta Stable Image, upscale, control and 3D endpoints.

Every call is one ``multipart/form-data`` POST to ``{base_url}/v2beta/...`` with
``Authorization: Bearer <key>`` (Stability API reference, "Authentication"). Synchronous endpoints
answer 200 with the file itself when asked with ``Accept: image/*`` and report the seed and the
finish reason in the ``seed`` and ``finish-reason`` response headers. Two endpoints are
asynchronous: ``upscale/creative`` and ``edit/replace-background-and-relight`` answer the POST
with JSON ``{"id": ...}``; the result is fetched from ``GET /v2beta/results/{id}``, which answers
202 ``{"id", "status": "in-progress"}`` while the work runs and 200 with the image when done.
Results are kept for 24 hours.

Errors come back as JSON ``{"id", "name", "errors": [...]}``: 400 invalid parameters, 403 content
moderation, 413 a request over 10 MiB, 422 well-formed but rejected, 429 more than 150 requests
in 10 seconds, 5xx a server fault. Failed generations are not charged.

Sources: the Stability AI API reference (https://platform.stability.ai/docs/api-reference), read
through its OpenAPI document as generated into ``src/stabilityAi/types.ts`` of
tadasant/mcp-server-stability-ai and through Comfy Router's mirrored per-endpoint schemas
(docs.comfy.org/development/comfy-router/models/stability/*), plus ../shared/PROVIDERS.md.
Fields an endpoint's schema marks "accepted but not applied" (e.g. ``style_preset`` on the
control endpoints) are not sent.
"""

from __future__ import annotations

import io
import json
from typing import Any

import requests
from PIL import Image, UnidentifiedImageError

from providers.base import (
    Checkpoint,
    InputRejected,
    MalformedOutput,
    Moderated,
    NotConfigured,
    PollingFailed,
    ProviderConfig,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderUnavailable,
    RateLimited,
    failure_reason,
    get_idempotent,
    poll,
    session,
)
from providers.stability_endpoints import (
    ASPECT_RATIOS,
    CONTENT_FILTERED,
    ENDPOINTS,
    FILE_LABELS,
    GLB_MEDIA_TYPE,
    INTEGER_FIELDS,
    MAX_OUTPAINT_PIXELS,
    MAX_PROMPT_CHARS,
    MAX_REQUEST_MIB,
    MAX_SEED,
    MIN_POLL_INTERVAL,
    STYLE_PRESETS,
    Endpoint,
)

Parts = list[tuple[str, tuple[str | None, bytes | str] | tuple[str, bytes, str]]]


class StabilityAdapter:
    """Run a ProviderRequest against Stability AI's REST v2beta API."""

    name = "stability"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    # --- entry point ---------------------------------------------------------------------

    def run(self, request: ProviderRequest, checkpoint: Checkpoint) -> ProviderOutput:
        """Return the file Stability made for ``request``.

        Synchronous endpoints are one POST. Asynchronous ones (upscale/creative,
        edit/replace-background-and-relight) resume polling when ``checkpoint`` holds a
        generation id, and otherwise POST once and store the id before the first poll.

        Raises NotConfigured (no or invalid key), InputRejected (missing or invalid input,
        400/413/422), Moderated (403, or an output blurred by moderation), RateLimited (429 on
        the submission), ProviderUnavailable (5xx, timeouts, connection errors), PollingFailed
        (polls that keep failing) and MalformedOutput (a 200 that is not the promised file).
        """
        if not self.config.configured:
            raise NotConfigured(
                "Stability AI is not set up on this site (no API key). Choose another model or "
                "ask an administrator to add STABILITY_API_KEY."
            )
        endpoint = ENDPOINTS.get(request.model)
        if endpoint is None:
            raise InputRejected(
                f"Stability has no model called {request.model!r}. Choose another model."
            )
        parts = build_parts(endpoint, request)
        http = session(self.config)
        try:
            if endpoint.asynchronous:
                return self._run_async(http, endpoint, parts, checkpoint)
            response = self._submit(
                http, endpoint, parts, accept=None if endpoint.glb else "image/*"
            )
            return self._output(endpoint, response)
        finally:
            http.close()

    # --- submission ----------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.config.base_url}/v2beta/{path}"

    def _submit(
        self, http: requests.Session, endpoint: Endpoint, parts: Parts, *, accept: str | None
    ) -> requests.Response:
        """POST the form exactly once; return a 2xx response with its body read."""
        headers = {"Accept": accept} if accept else {}
        try:
            response = http.post(
                self._url(endpoint.path),
                files=parts,
                headers=headers,
                timeout=self.config.timeout,
            )
        except requests.Timeout as exc:
            raise ProviderUnavailable(
                "Stability did not answer in time. Please try again in a few minutes."
            ) from exc
        except requests.RequestException as exc:
            raise ProviderUnavailable(
                f"Stability could not be reached ({failure_reason(exc)}). Please try again in a "
                "few minutes."
            ) from exc
        if not 200 <= response.status_code < 300:
            raise submission_error(response)
        return response

    def _run_async(
        self, http: requests.Session, endpoint: Endpoint, parts: Parts, checkpoint: Checkpoint
    ) -> ProviderOutput:
        generation_id = checkpoint.load()
        if not generation_id:
            response = self._submit(http, endpoint, parts, accept="application/json")
            generation_id = _generation_id(response)
            checkpoint.save(generation_id)
        url = self._url(f"results/{generation_id}")

        def fetch() -> ProviderOutput | None:
            try:
                response = get_idempotent(http, self.config, url, headers={"Accept": "image/*"})
            except requests.RequestException as exc:
                raise PollingFailed(
                    f"Stability is working on the result but it could not be checked "
                    f"({failure_reason(exc)}). We will check again; nothing is charged twice."
                ) from exc
            if response.status_code == 202:
                return None
            if response.status_code == 200:
                return self._output(endpoint, response, generation_id)
            if response.status_code == 404:
                raise ProviderUnavailable(
                    "Stability no longer has this result (results are kept for 24 hours). "
                    "Please start the job again."
                )
            raise submission_error(response)

        # First poll one interval after the submission (or a resumed task's start), so no two
        # polls of this id are ever closer than MIN_POLL_INTERVAL in production.
        interval = self.config.poll_interval_for(MIN_POLL_INTERVAL)
        return poll(self.config, fetch, what="the image", interval=interval, first_wait=interval)

    # --- output --------------------------------------------------------------------------

    def _output(
        self, endpoint: Endpoint, response: requests.Response, generation_id: str = ""
    ) -> ProviderOutput:
        """Turn a 200 into a ProviderOutput, checking the body is the file the API promises."""
        data = response.content
        if len(data) > self.config.max_output_bytes:
            raise MalformedOutput(
                f"The Stability result is larger than "
                f"{self.config.max_output_bytes // 1_048_576} MB, so it was not stored."
            )
        declared = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if endpoint.glb:
            if not data.startswith(b"glTF"):
                raise MalformedOutput(
                    "Stability answered without a 3D model (it sent "
                    f"{declared or 'an empty reply'}). Please try again later."
                )
            media_type = GLB_MEDIA_TYPE
        else:
            sniffed = sniff_image(data)
            if sniffed is None:
                raise MalformedOutput(
                    "Stability answered without an image (it sent "
                    f"{declared or 'an empty reply'}). Please try again later."
                )
            media_type = declared if declared in _IMAGE_TYPES else sniffed
        finish_reason = response.headers.get("finish-reason", "")
        if finish_reason == CONTENT_FILTERED:
            raise Moderated(
                "Stability's content moderation blurred the result, so it was not kept. Change "
                "the prompt (or the image) and try again."
            )
        if finish_reason == "ERROR":
            raise ProviderUnavailable(
                "Stability reported an error while making the result. Please try again."
            )
        return ProviderOutput(
            data=data,
            media_type=media_type,
            seed=_int_or_none(response.headers.get("seed")),
            finish_reason=finish_reason,
            prediction_id=generation_id,
        )


# --- the form ----------------------------------------------------------------------------------


def build_parts(endpoint: Endpoint, request: ProviderRequest) -> Parts:
    """Return the multipart parts for ``request``: (field, (None, text)) or (field, (name, bytes, type)).

    Checks what Stability would refuse before any call: missing prompt, image, mask (erase and
    inpaint take the image's alpha channel instead when it has one) or reference; prompts over
    10 000 characters; seeds outside 0..4294967294; numbers outside the endpoint's documented
    ``ranges`` (creativity, grow_mask, strengths); unknown aspect ratios, style presets or output
    formats (SD3.5: PNG or JPEG only); outpaint without any direction. Raises InputRejected
    with a message that names the parameter, the allowed range and the model.
    """
    options = request.options
    parts: Parts = []
    prompt = request.prompt.strip()
    if endpoint.prompt == "required" and not prompt:
        raise InputRejected("This model needs a prompt. Describe what you want and try again.")
    if len(prompt) > MAX_PROMPT_CHARS or len(request.negative_prompt) > MAX_PROMPT_CHARS:
        raise InputRejected(
            f"The prompt is too long: Stability accepts at most {MAX_PROMPT_CHARS:,} characters."
        )
    if endpoint.sd3_model:
        parts.append(("model", (None, endpoint.sd3_model)))
    if prompt and endpoint.prompt != "none":
        parts.append((endpoint.prompt_field, (None, prompt)))
    if endpoint.negative_prompt and request.negative_prompt.strip():
        parts.append(("negative_prompt", (None, request.negative_prompt.strip())))

    image_to_image = False
    if endpoint.image != "none":
        if request.image:
            parts.append(_file(endpoint.image_field, request.image))
            image_to_image = endpoint.image == "optional"
        elif endpoint.image == "required":
            raise InputRejected(
                f"This model needs {FILE_LABELS[endpoint.image_field]}. Add one and try again."
            )
    if endpoint.mask != "none":
        if request.mask:
            parts.append(_file("mask", request.mask))
        elif endpoint.mask == "required" or (
            endpoint.mask == "alpha" and not (request.image and has_alpha(request.image))
        ):
            raise InputRejected(
                f"{endpoint.label} needs a mask: paint over the area to change (white marks the "
                "area), or use a PNG or WebP whose transparent area is the part to change, and "
                "try again."
            )
    for name, form_field in endpoint.references.items():
        if request.references.get(name):
            parts.append(_file(form_field, request.references[name]))

    fields = endpoint.fields
    if image_to_image:
        # Image-to-image takes strength and no aspect ratio (API reference: generate, image).
        if options.get("strength") is None:
            raise InputRejected(
                "Using an input image with this model needs a strength (how far to move away "
                "from the image, 0 to 1). Set one and try again."
            )
        fields = (*(name for name in fields if name != "aspect_ratio"), "strength")
        if endpoint.sd3_model:
            parts.append(("mode", (None, "image-to-image")))
    for name in fields:
        value = options.get(name)
        if value is None or value == "":
            continue
        parts.append((name, (None, _form_value(name, value, endpoint))))

    for name in endpoint.required_fields:
        if not str(options.get(name) or "").strip():
            raise InputRejected(
                f"This edit needs a {name.replace('_', ' ')} (what to look for in the image). "
                "Add one and try again."
            )
    _check_special_cases(request, endpoint, prompt)
    return parts


def _check_special_cases(request: ProviderRequest, endpoint: Endpoint, prompt: str) -> None:
    if endpoint.path == "stable-image/edit/outpaint":
        sides = [int(request.options.get(side) or 0) for side in ("left", "right", "up", "down")]
        if not any(sides):
            raise InputRejected(
                "Outpainting needs at least one side to extend: set left, right, up or down to "
                "a number of pixels."
            )
    if endpoint.path == "stable-image/edit/replace-background-and-relight" and not (
        prompt or request.references.get("background_reference")
    ):
        raise InputRejected(
            "Replacing the background needs a prompt describing the new background or a "
            "background reference image. Add one and try again."
        )
    if endpoint.references.get("style") and not request.references.get("style"):
        raise InputRejected("Style transfer needs a style reference image. Add one and try again.")


def _form_value(name: str, value: Any, endpoint: Endpoint) -> str:
    """Return an option as form text, refusing values Stability documents as invalid."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in endpoint.ranges:
        check_range(name, value, endpoint.ranges[name], endpoint.label)
    if name in INTEGER_FIELDS:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InputRejected(f"{name.replace('_', ' ')} must be a whole number.") from None
        if name == "seed" and not 0 <= number <= MAX_SEED:
            raise InputRejected(f"The seed must be between 0 and {MAX_SEED}.")
        if name in {"left", "right", "up", "down"} and not 0 <= number <= MAX_OUTPAINT_PIXELS:
            raise InputRejected(
                f"Outpainting can add at most {MAX_OUTPAINT_PIXELS} pixels on each side."
            )
        return str(number)
    text = str(value)
    if name == "aspect_ratio" and text not in ASPECT_RATIOS:
        raise InputRejected(
            f"Stability does not offer the aspect ratio {text}; choose one of "
            f"{', '.join(sorted(ASPECT_RATIOS))}."
        )
    if name == "style_preset" and text not in STYLE_PRESETS:
        raise InputRejected(f"Stability has no style preset called {text!r}.")
    if name == "output_format" and text not in endpoint.output_formats:
        raise InputRejected(
            f"{endpoint.label} can return "
            f"{' or '.join(f.upper() for f in endpoint.output_formats)} but not {text.upper()}."
        )
    return text


def check_range(name: str, value: Any, bounds: tuple[float, float], label: str) -> None:
    """Refuse ``value`` of field ``name`` outside the documented ``bounds`` (inclusive).

    Raises InputRejected naming the parameter, the allowed range and the model, e.g.
    "Creativity must be between 0.1 and 0.5 for Stability Creative Upscale; 0.8 is outside".
    """
    low, high = bounds
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputRejected(f"{name.replace('_', ' ').capitalize()} must be a number.") from None
    if not low <= number <= high:
        raise InputRejected(
            f"{name.replace('_', ' ').capitalize()} must be between {low:g} and {high:g} for "
            f"{label}; {number:g} is outside that range."
        )


def has_alpha(data: bytes) -> bool:
    """Return True if an encoded image has an alpha channel (PNG, WebP) or a transparent colour.

    Stability derives the inpaint/erase mask from it when no mask is sent (API reference).
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
                "transparency" in image.info
            )
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return False


_IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def sniff_image(data: bytes) -> str | None:
    """Return "image/png", "image/jpeg" or "image/webp" from the file's magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _file(form_field: str, data: bytes) -> tuple[str, tuple[str, bytes, str]]:
    media_type = sniff_image(data)
    if media_type is None:
        raise InputRejected(
            f"Stability needs {FILE_LABELS.get(form_field, 'images')} as a PNG, JPEG or WebP "
            "file. Convert it and try again."
        )
    return (form_field, (f"{form_field}.{_IMAGE_TYPES[media_type]}", data, media_type))


# --- responses ---------------------------------------------------------------------------------


def provider_message(response: requests.Response) -> str:
    """Return Stability's first error text from a JSON error body, or "" (at most 300 chars)."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        text = str(errors[0])
    else:
        text = str(body.get("message") or body.get("name") or "")
    return text.strip()[:300]


def submission_error(response: requests.Response) -> ProviderError:
    """Return the ProviderError for a non-2xx Stability response (API reference, responses)."""
    status = response.status_code
    detail = provider_message(response)
    said = f" Stability said: {detail}" if detail else ""
    if not said.endswith((".", "!", "?")) and said:
        said += "."
    if status == 401:
        return NotConfigured(
            "Stability refused the site's API key (it is invalid or was revoked). Ask an "
            "administrator to set a valid STABILITY_API_KEY."
        )
    if status == 403:
        return Moderated(
            "Stability's content moderation refused this prompt or image; reword the prompt or "
            "use another image; nothing was charged."
        )
    if status == 413:
        return InputRejected(
            f"The upload is too large for Stability: a request may be at most {MAX_REQUEST_MIB} "
            "MiB in total. Use a smaller or more compressed image and try again."
        )
    if status in (400, 422):
        return InputRejected(
            f"Stability could not use this request.{said} Change the settings or the image and "
            "try again."
        )
    if status == 429:
        return RateLimited(
            "Stability is receiving too many requests from us right now; try again in a minute. "
            "Nothing was charged."
        )
    if status >= 500:
        return ProviderUnavailable(
            f"Stability had a server problem (HTTP {status}). Nothing was charged; please try "
            "again in a few minutes."
        )
    return ProviderUnavailable(
        f"Stability refused the request (HTTP {status}).{said} Please try again later."
    )


def _generation_id(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    generation_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(generation_id, str) or not generation_id:
        raise MalformedOutput(
            "Stability accepted the job but did not say how to find the result. Please try again "
            "later."
        )
    return generation_id


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
