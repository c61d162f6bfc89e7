"""WaveSpeed AI adapter: REST v3, one paid submission, then polling by prediction id.

Protocol (WaveSpeed docs "What are Predictions", each model's ``llms.txt`` page, and the official
``wavespeed`` Python SDK, ``wavespeed/api/client.py``):

* Submit: ``POST {base}/{model_path}`` with a JSON body of the model's declared fields and
  ``Authorization: Bearer <key>``. The answer is
  ``{"code": 200, "message": "success", "data": {"id", "model", "outputs": [], "urls": {"get"},
  "status": "created" | "processing", ...}}``.
* Poll: ``GET {base}/predictions/{id}/result`` (first after the model's typical time, then at
  least every 2 s for images and 5 s for videos, as "How to Get Result" asks; see
  providers.wavespeed_models) until ``data.status`` is ``"completed"``
  (``data.outputs`` lists output URLs; with ``enable_base64_output`` they can be base64 strings,
  which we accept as ``data:`` URIs) or ``"failed"`` (``data.error`` says why).

A submission is billed by WaveSpeed as soon as it is accepted, so it is sent at most once per job:
the prediction id goes into the :class:`~providers.base.Checkpoint` before the first poll, and a
retried task that finds an id there resumes polling instead of submitting again. The SDK retries
submissions on 429/5xx; we deliberately do not (PROVIDERS.md, "never retry a submission").

Inputs travel inside the JSON as base64 data URIs (``data:image/png;base64,...``): the model pages
say image fields accept "URL or Base64-encoded data" (e.g. ``alibaba/wan-3.0/image-to-video``), and
our S3 objects have no public URL. (The SDK's ``/media/upload/binary`` would also work but keeps a
public copy on WaveSpeed's CDN for 7 days.) Output files are downloaded without our API key: they
live on a CDN host, not the API.

WaveSpeed silently ignores fields a model does not declare, so :data:`MODELS` lists, per model, the
fields we fill and where each comes from; nothing else is sent.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

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
    download,
    failure_reason,
    get_idempotent,
    poll,
    session,
    size_for_aspect,
)
from providers.wavespeed_models import (
    BRIA_INCREASES,
    DEFAULT_BASE_URL,
    MAX_SEED,
    MIN_POLL_INTERVAL,
    MIN_VIDEO_POLL_INTERVAL,
    MODELS,
    NON_IMAGE_REFERENCES,
    Model,
)

# --- inputs --------------------------------------------------------------------------------


def image_data_uri(data: bytes, what: str = "image") -> str:
    """Return a PNG, JPEG, WebP or GIF file as a ``data:image/...;base64,`` URI.

    Raises InputRejected for bytes that are none of those (checked by signature).
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        media_type = "image/jpeg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        media_type = "image/webp"
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        media_type = "image/gif"
    else:
        raise InputRejected(f"The {what} is not a PNG, JPEG or WebP file. Upload one of those.")
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def audio_data_uri(data: bytes) -> str:
    """Return a WAV, MP3, OGG, FLAC or M4A file as a ``data:audio/...;base64,`` URI.

    Raises InputRejected for bytes that are none of those (checked by signature).
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        media_type = "audio/wav"
    elif data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        media_type = "audio/mpeg"
    elif data[:4] == b"OggS":
        media_type = "audio/ogg"
    elif data[:4] == b"fLaC":
        media_type = "audio/flac"
    elif data[4:8] == b"ftyp":
        media_type = "audio/mp4"
    else:
        raise InputRejected(
            "The audio is not a WAV, MP3, OGG, FLAC or M4A file. Upload one of those."
        )
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _prompt(request: ProviderRequest, model: Model) -> str | None:
    return request.prompt.strip() or None


def _negative_prompt(request: ProviderRequest, model: Model) -> str | None:
    return request.negative_prompt.strip() or None


def _image(request: ProviderRequest, model: Model) -> str | None:
    return image_data_uri(request.image) if request.image else None


def _images(request: ProviderRequest, model: Model) -> list[str] | None:
    """Return the input image first, then the named reference images, as data URIs."""
    files = [request.image] if request.image else []
    files += [data for name, data in request.references.items() if name not in NON_IMAGE_REFERENCES]
    return [image_data_uri(data) for data in files] or None


def _mask_image(request: ProviderRequest, model: Model) -> str | None:
    return image_data_uri(request.mask, "mask") if request.mask else None


def _face_image(request: ProviderRequest, model: Model) -> str | None:
    face = request.references.get("face")
    return image_data_uri(face, "face photo") if face else None


def _audio(request: ProviderRequest, model: Model) -> str | None:
    audio = request.references.get("audio")
    return audio_data_uri(audio) if audio else None


def _size(request: ProviderRequest, model: Model) -> str | None:
    """Return "W*H" from options width/height, else from the aspect ratio, else None."""
    width, height = request.options.get("width"), request.options.get("height")
    if width and height:
        return f"{int(width)}*{int(height)}"
    aspect_ratio = request.options.get("aspect_ratio")
    if not aspect_ratio:
        return None
    try:
        width, height = size_for_aspect(str(aspect_ratio), megapixels=model.megapixels)
    except ValueError as exc:
        raise InputRejected(f"{aspect_ratio!r} is not an aspect ratio like 16:9.") from exc
    return f"{width}*{height}"


def _aspect_ratio(request: ProviderRequest, model: Model) -> str | None:
    aspect_ratio = request.options.get("aspect_ratio")
    if not aspect_ratio:
        return None
    if model.aspect_ratios and aspect_ratio not in model.aspect_ratios:
        raise InputRejected(
            f"This model cannot make {aspect_ratio} images. Choose one of: "
            f"{', '.join(model.aspect_ratios)}."
        )
    return str(aspect_ratio)


def _seed(request: ProviderRequest, model: Model) -> int | None:
    """Return the seed, refusing one outside 0..MAX_SEED (WaveSpeed's documented range)."""
    seed = request.options.get("seed")
    if seed is None:
        return None
    try:
        number = int(seed)
    except (TypeError, ValueError):
        raise InputRejected("The seed must be a whole number.") from None
    if not 0 <= number <= MAX_SEED:
        raise InputRejected(
            f"The seed must be between 0 and {MAX_SEED} for WaveSpeed {request.model}; "
            f"{number} is outside that range."
        )
    return number


def _output_format(request: ProviderRequest, model: Model) -> str | None:
    # A format the model lacks is left to its default: the worker checks the bytes anyway.
    output_format = request.options.get("output_format")
    return output_format if output_format in model.output_formats else None


def _resolution(request: ProviderRequest, model: Model) -> str | None:
    resolution = request.options.get("resolution")
    if not resolution:
        return None
    if model.resolutions and resolution not in model.resolutions:
        what = "videos" if model.video else "images"
        raise InputRejected(
            f"WaveSpeed {request.model} cannot make {resolution} {what}. Choose "
            f"{' or '.join(model.resolutions)}."
        )
    return str(resolution)


def _duration(request: ProviderRequest, model: Model) -> int | None:
    duration = request.options.get("duration")
    if duration is None:
        return None
    if model.durations and int(duration) not in model.durations:
        choices = " or ".join(str(seconds) for seconds in model.durations)
        raise InputRejected(f"This model makes {choices} second videos; choose one of those.")
    return int(duration)


def _target_resolution(request: ProviderRequest, model: Model) -> str | None:
    """Return the ``resolution`` option ("2k", "4k", "8k") as the upscaler documents it.

    A factor is not converted: these upscalers make a target size, not a multiple.
    """
    return _resolution(request, model)


def _desired_increase(request: ProviderRequest, model: Model) -> int | None:
    factor = request.options.get("factor")
    if factor is None:
        return None
    if int(factor) not in BRIA_INCREASES:
        raise InputRejected(
            f"WaveSpeed {request.model} enlarges 2 or 4 times, not {int(factor)} times. "
            "Choose factor 2 or 4."
        )
    return int(factor)


#: How each WaveSpeed field is filled from a ProviderRequest (None = leave it out).
FIELD_BUILDERS: Mapping[str, Callable[[ProviderRequest, Model], Any]] = {
    "prompt": _prompt,
    "negative_prompt": _negative_prompt,
    "image": _image,
    "images": _images,
    "mask_image": _mask_image,
    "face_image": _face_image,
    "audio": _audio,
    "size": _size,
    "aspect_ratio": _aspect_ratio,
    "seed": _seed,
    "output_format": _output_format,
    "resolution": _resolution,
    "duration": _duration,
    "target_resolution": _target_resolution,
    "desired_increase": _desired_increase,
}

#: What to ask the user for when a required field is missing.
MISSING_INPUT = {
    "prompt": "Describe what you want in the prompt.",
    "image": "Choose an image to start from.",
    "images": "Choose an image to start from.",
    "face_image": "Choose a photo of the face to use.",
    "audio": "Choose an audio file for the avatar to speak.",
}


def build_body(request: ProviderRequest) -> dict[str, Any]:
    """Return the JSON body for ``request.model``: only the fields that model declares.

    Raises InputRejected for an unknown model path, a missing required input, or an option
    outside the model's documented choices, all before any request is made.
    """
    model = MODELS.get(request.model)
    if model is None:
        raise InputRejected(
            f"The WaveSpeed model {request.model!r} is not one we offer. Choose another model."
        )
    body: dict[str, Any] = {}
    for name in model.fields:
        value = FIELD_BUILDERS[name](request, model)
        if value is not None:
            body[name] = value
    for name in model.required:
        if name not in body:
            raise InputRejected(MISSING_INPUT.get(name, f"This model needs a {name}."))
    return body


# --- the adapter ---------------------------------------------------------------------------


class WaveSpeedAdapter:
    """Run one WaveSpeed prediction: submit once, store the id, poll, download the output."""

    name = "wavespeed"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.http = session(config)
        # Output files are on WaveSpeed's CDN, not the API: never send them our key.
        self.files = session(config, auth_header=False)

    def run(self, request: ProviderRequest, checkpoint: Checkpoint) -> ProviderOutput:
        """Return the output of ``request``, resuming the prediction stored in ``checkpoint``.

        Raises InputRejected (unknown model, bad input, 400/413/422), NotConfigured (no key or
        401), RateLimited (429 on submit), ProviderUnavailable (5xx, timeouts, 402 or an empty
        balance), PollingFailed (polling or download failed after retries: retry later, nothing
        is submitted again), ProviderError/Moderated (the prediction failed) and
        MalformedOutput (completed without a usable output).
        """
        body = build_body(request)
        if not self.config.configured:
            raise NotConfigured("WaveSpeed is not set up on this server (no API key).")

        model = MODELS[request.model]
        interval = self.config.poll_interval_for(
            MIN_VIDEO_POLL_INTERVAL if model.video else MIN_POLL_INTERVAL
        )
        first_wait = interval  # a resumed prediction: one interval after the last attempt
        prediction_id = checkpoint.load()
        data: dict[str, Any] | None = None
        if not prediction_id:
            # A fresh prediction is first checked after the model's typical time.
            if not self.config.poll_interval_explicit:
                first_wait = max(interval, model.typical_seconds)
            submitted = self._submit(request.model, body)
            prediction_id = str(submitted["id"])
            checkpoint.save(prediction_id)
            if submitted.get("status") == "completed" and submitted.get("outputs"):
                data = submitted
            elif submitted.get("status") == "failed":
                raise self._failure(submitted)
        if data is None:
            data = poll(
                self.config,
                lambda: self._fetch(str(prediction_id)),
                what="the prediction",
                interval=interval,
                first_wait=first_wait,
            )
        return self._output(request, body, str(prediction_id), data)

    # --- submission: exactly once, never retried ---------------------------------------

    def _submit(self, model_path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST the prediction once and return its ``data`` (with an ``id``)."""
        url = f"{self.base_url}/{model_path}"
        try:
            response = self.http.post(url, json=body, timeout=self.config.timeout)
        except requests.RequestException as exc:
            raise ProviderUnavailable(
                f"WaveSpeed could not take the request ({failure_reason(exc)}). "
                "Nothing was charged; please try again in a few minutes."
            ) from exc
        payload = _json(response)
        code = payload.get("code") if isinstance(payload.get("code"), int) else None
        status = response.status_code if response.status_code != 200 else (code or 200)
        if status != 200:
            raise _submission_error(status, _message(payload, response))
        data = payload.get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise MalformedOutput(
                "WaveSpeed accepted the request but did not say which prediction it started. "
                "Please try again later."
            )
        return data

    # --- polling: idempotent, retried ---------------------------------------------------

    def _fetch(self, prediction_id: str) -> dict[str, Any] | None:
        """Return the prediction's data once completed, None while it runs; raise if failed."""
        url = f"{self.base_url}/predictions/{prediction_id}/result"
        try:
            response = get_idempotent(self.http, self.config, url)
        except requests.RequestException as exc:
            raise PollingFailed(
                f"WaveSpeed did not report on the prediction ({failure_reason(exc)}). "
                "We will check again shortly; nothing is charged twice."
            ) from exc
        if response.status_code == 401:
            raise NotConfigured("WaveSpeed refused our API key. An administrator must replace it.")
        if response.status_code == 404:
            raise ProviderError(
                "WaveSpeed no longer has this prediction. Please start the job again."
            )
        payload = _json(response)
        data = payload.get("data")
        if response.status_code != 200 or not isinstance(data, dict):
            raise PollingFailed(
                f"WaveSpeed answered the status check with HTTP {response.status_code}. "
                "We will check again shortly; nothing is charged twice."
            )
        status = data.get("status")
        if status == "completed":
            return data
        if status == "failed":
            raise self._failure(data)
        return None

    @staticmethod
    def _failure(data: Mapping[str, Any]) -> ProviderError:
        """Return the error for a failed prediction, using WaveSpeed's ``data.error``."""
        reason = str(data.get("error") or "no reason given").strip()
        lowered = reason.lower()
        if any(word in lowered for word in ("nsfw", "sensitive", "content policy", "moderation")):
            return Moderated(
                f"WaveSpeed's content filter refused this request ({reason}). "
                "Change the prompt or the image."
            )
        return ProviderError(f"WaveSpeed could not make this: {reason}")

    # --- output -------------------------------------------------------------------------

    def _output(
        self,
        request: ProviderRequest,
        body: Mapping[str, Any],
        prediction_id: str,
        data: Mapping[str, Any],
    ) -> ProviderOutput:
        """Fetch ``data.outputs[0]`` (a URL or a data URI) and describe it."""
        outputs = data.get("outputs")
        if not isinstance(outputs, list) or not outputs or not isinstance(outputs[0], str):
            raise MalformedOutput(
                "WaveSpeed finished but returned no file. Please try again; "
                "if it keeps happening, choose another model."
            )
        location = outputs[0].strip()
        if location.startswith("data:"):
            content, media_type = self._decode_data_uri(location)
        elif urlsplit(location).scheme in ("http", "https"):
            content, media_type = download(self.files, self.config, location)
            media_type = media_type.split(";")[0].strip().lower()
            if not media_type or media_type == "application/octet-stream":
                media_type = mimetypes.guess_type(urlsplit(location).path)[0] or ""
        else:
            raise MalformedOutput("WaveSpeed returned something that is not a file or a link.")
        if not content:
            raise MalformedOutput("WaveSpeed returned an empty file. Please try again.")
        if not media_type:
            media_type = "video/mp4" if request.capability in ("video", "avatar") else "image/png"
        return ProviderOutput(
            data=content,
            media_type=media_type,
            seed=_seed_of(data, body),
            finish_reason=str(data.get("status", "")),
            prediction_id=prediction_id,
            details=_details(data),
        )

    def _decode_data_uri(self, uri: str) -> tuple[bytes, str]:
        """Return (bytes, media type) of a ``data:<type>;base64,<payload>`` output."""
        header, _, payload = uri.partition(",")
        if ";base64" not in header:
            raise MalformedOutput("WaveSpeed returned an inline file we cannot read.")
        if len(payload) * 3 // 4 > self.config.max_output_bytes:
            raise MalformedOutput(
                f"The WaveSpeed result is larger than "
                f"{self.config.max_output_bytes // 1_048_576} MB, so it was not stored."
            )
        try:
            content = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedOutput("WaveSpeed returned an inline file we cannot read.") from exc
        return content, header[len("data:") :].split(";")[0].strip().lower()


# --- helpers -------------------------------------------------------------------------------


def _json(response: requests.Response) -> dict[str, Any]:
    """Return the response body as a dict ({} if it is not a JSON object)."""
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _message(payload: Mapping[str, Any], response: requests.Response) -> str:
    """Return WaveSpeed's explanation of an error: ``message`` and ``data.error``, or the text."""
    parts = []
    if payload.get("message"):
        parts.append(str(payload["message"]))
    data = payload.get("data")
    if isinstance(data, dict) and data.get("error"):
        parts.append(str(data["error"]))
    elif isinstance(data, str) and data:
        parts.append(data)
    text = "; ".join(parts) or response.text.strip()
    return text[:300]


def _submission_error(status: int, message: str) -> ProviderError:
    """Return the error for a refused submission (HTTP status or body ``code``)."""
    detail = f" ({message})" if message else ""
    lowered = message.lower()
    if status == 402 or "insufficient" in lowered or "balance" in lowered:
        return ProviderUnavailable(
            "WaveSpeed cannot run this right now: our provider account needs attention"
            f"{detail}. You have not been charged; please try again later or choose another model."
        )
    if status in (401, 403):
        return NotConfigured(
            f"WaveSpeed refused our API key{detail}. An administrator must replace it."
        )
    if status == 429:
        return RateLimited(
            "WaveSpeed is busy with too many requests. You have not been charged; "
            "please try again in a minute."
        )
    if status in (400, 413, 422):
        return InputRejected(f"WaveSpeed refused the request{detail}. Change it and try again.")
    if status == 404:
        return ProviderUnavailable(
            f"WaveSpeed does not offer this model at the moment{detail}. Choose another model."
        )
    return ProviderUnavailable(
        f"WaveSpeed had a problem (HTTP {status}){detail}. "
        "You have not been charged; please try again in a few minutes."
    )


def _seed_of(data: Mapping[str, Any], body: Mapping[str, Any]) -> int | None:
    """Return the seed WaveSpeed reports (``data.seed`` or ``data.input.seed``), else ours."""
    inputs = data.get("input")
    for seed in (
        data.get("seed"),
        inputs.get("seed") if isinstance(inputs, dict) else None,
        body.get("seed"),
    ):
        if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0:
            return seed
    return None


#: Facts from the result worth keeping (WaveSpeed result ``data`` fields).
DETAIL_KEYS = (
    "model",
    "status",
    "timings",
    "has_nsfw_contents",
    "executionTime",
    "created_at",
)


def _details(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in DETAIL_KEYS if key in data}
