"""Hugging Face adapter: text-to-image and image-to-image through ``huggingface_hub.InferenceClient``.

Wire format (Hugging Face Inference Providers docs, tasks/text-to-image and tasks/image-to-image;
huggingface_hub 2.4.0 ``inference/_providers/hf_inference.py``):

* generate: ``POST {base_url}/hf-inference/models/{model}`` with JSON
  ``{"inputs": <prompt>, "parameters": {"width", "height", "seed", "negative_prompt",
  "guidance_scale", "num_inference_steps"}}``; the answer is the image itself (raw bytes).
* edit: the same URL with JSON ``{"inputs": <base64 image>, "parameters": {"prompt", "seed",
  "negative_prompt", "target_size": {"width", "height"}, ...}}``; the answer is the image.
* Header ``Authorization: Bearer <HF token>``; ``Accept: image/png``.

How the client is pointed at ``config.base_url``: the adapter hands the SDK a *model URL*,
``{base_url}/hf-inference/models/{model id}``. For a URL the SDK selects its ``hf-inference``
helper and posts to that URL unchanged, which is byte for byte the request that
``InferenceClient(provider="hf-inference").text_to_image(model=<model id>)`` sends to
``https://router.huggingface.co/hf-inference/models/<model id>`` (the SDK's
``INFERENCE_PROXY_TEMPLATE``). Going by URL has two further effects, both wanted: the SDK makes
no Hub look-ups first (``HfApi.model_info`` for the provider mapping or task check, a second
network round trip per job), and the same code path serves production (HF_API_BASE unset) and
tests (HF_API_BASE = a loopback server). A ``request.model`` that is itself an ``http(s)`` URL
(a dedicated Inference Endpoint) is used as it is.

The trade-off: only models that the ``hf-inference`` provider serves can be called this way.
Third-party inference providers (fal-ai, replicate, together, ...) each have their own payload,
and the SDK builds their URLs from a hard-coded ``https://router.huggingface.co/{provider}``
template that no setting moves, so they could not be tested on loopback.

The generation call is paid and is sent exactly once: the SDK's inference path has no retry
loop (``InferenceClient._inner_post``), and this adapter adds none.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx2
from huggingface_hub import ImageToImageTargetSize, InferenceClient
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError
from PIL import Image, UnidentifiedImageError

from providers.base import (
    Checkpoint,
    InputRejected,
    MalformedOutput,
    NotConfigured,
    ProviderConfig,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderUnavailable,
    RateLimited,
    size_for_aspect,
)

#: The router's route for the HF Inference provider (huggingface_hub constants
#: ``INFERENCE_PROXY_TEMPLATE.format(provider="hf-inference")`` plus ``/models/{model}``).
HF_INFERENCE_ROUTE = "hf-inference/models"

#: Default models. Text-to-image: the registry's seed model, listed first among the recommended
#: models of the Inference Providers text-to-image task page. Image-to-image: the first
#: recommended model of the image-to-image task page. NOTE: the hf-inference provider page lists
#: black-forest-labs/FLUX.1-dev for text-to-image and no image-to-image model at all, so these
#: defaults only work if Hugging Face serves them on hf-inference (see the module docstring).
DEFAULT_MODELS = {
    "generate": "black-forest-labs/FLUX.1-Krea-dev",
    "edit": "black-forest-labs/FLUX.1-Kontext-dev",
}

#: Image modes PNG stores as they are (Pillow's PNG plugin); anything else becomes RGB(A).
PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})


class HuggingFaceAdapter:
    """Run "generate" (text-to-image) and "edit" (image-to-image) on Hugging Face.

    Synchronous: the answer of the one POST is the image, so there is no prediction id and the
    checkpoint is ignored.
    """

    name = "huggingface"
    capabilities = frozenset(DEFAULT_MODELS)

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def run(self, request: ProviderRequest, checkpoint: Checkpoint) -> ProviderOutput:
        """Return the model's image as PNG bytes (media_type "image/png").

        ``request.options`` may hold width / height (pixels) or aspect_ratio ("16:9", sized near
        1 megapixel on a 16-pixel grid), seed, guidance_scale and num_inference_steps.

        Raises NotConfigured (no token, token refused, unknown model), InputRejected (400, 413,
        422 or an unusable option), RateLimited (429), ProviderUnavailable (5xx, model loading,
        timeout, connection failure) and MalformedOutput (the answer is not an image or is too
        large).
        """
        if not self.config.configured:
            raise NotConfigured(
                "Hugging Face is not set up here: no access token (HF_TOKEN) is configured."
            )
        if request.capability not in self.capabilities:
            raise InputRejected(
                f"Hugging Face cannot do {request.capability!r} here; "
                "it can generate an image from text or edit an image."
            )
        model = request.model or DEFAULT_MODELS[request.capability]
        size = requested_size(request.options)
        client = InferenceClient(token=self.config.api_key, timeout=self.config.read_timeout)
        try:
            if request.capability == "generate":
                image = self._generate(client, request, model, size)
            else:
                image = self._edit(client, request, model, size)
        except ProviderError:
            raise
        except HfHubHTTPError as exc:
            raise http_error(exc, model) from exc
        except (InferenceTimeoutError, httpx2.TimeoutException) as exc:
            raise ProviderUnavailable(
                f"Hugging Face did not answer within {self.config.read_timeout:.0f} seconds. "
                "Please try again later."
            ) from exc
        except httpx2.HTTPError as exc:
            raise ProviderUnavailable(
                "Hugging Face could not be reached. Please try again later."
            ) from exc
        except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
            raise MalformedOutput(
                "Hugging Face answered, but not with an image we can use. Please try again or "
                "choose another model."
            ) from exc
        finally:
            client.close()
        data = self._encode_png(image)
        seed = request.options.get("seed")
        return ProviderOutput(
            data=data,
            media_type="image/png",
            seed=int(seed) if seed is not None else None,
            details={"model": model, "width": image.width, "height": image.height},
        )

    def model_url(self, model: str) -> str:
        """Return the URL the SDK posts to: the model itself if it is a URL, else the router route."""
        if model.startswith(("http://", "https://")):
            return model
        return f"{self.config.base_url.rstrip('/')}/{HF_INFERENCE_ROUTE}/{model}"

    def _generate(
        self,
        client: InferenceClient,
        request: ProviderRequest,
        model: str,
        size: tuple[int, int] | None,
    ) -> Image.Image:
        if not request.prompt.strip():
            raise InputRejected("Please describe the image you want: the prompt is empty.")
        width, height = size if size else (None, None)
        return client.text_to_image(
            request.prompt,
            model=self.model_url(model),
            width=width,
            height=height,
            negative_prompt=request.negative_prompt or None,
            seed=_int_option(request.options, "seed"),
            guidance_scale=_float_option(request.options, "guidance_scale"),
            num_inference_steps=_int_option(request.options, "num_inference_steps"),
        )

    def _edit(
        self,
        client: InferenceClient,
        request: ProviderRequest,
        model: str,
        size: tuple[int, int] | None,
    ) -> Image.Image:
        if not request.image:
            raise InputRejected("Please choose an image to edit.")
        extra: dict[str, Any] = {}
        seed = _int_option(request.options, "seed")
        if seed is not None:
            extra["seed"] = seed
        return client.image_to_image(
            request.image,
            prompt=request.prompt or None,
            model=self.model_url(model),
            negative_prompt=request.negative_prompt or None,
            guidance_scale=_float_option(request.options, "guidance_scale"),
            num_inference_steps=_int_option(request.options, "num_inference_steps"),
            target_size=ImageToImageTargetSize(width=size[0], height=size[1]) if size else None,
            **extra,
        )

    def _encode_png(self, image: Image.Image) -> bytes:
        """Return the image as PNG bytes; MalformedOutput if it cannot be decoded or is too large."""
        try:
            image.load()
            if image.mode not in PNG_MODES:
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
        except (OSError, ValueError, SyntaxError) as exc:
            raise MalformedOutput(
                "Hugging Face sent back an image that is damaged. Please try again."
            ) from exc
        data = buffer.getvalue()
        if len(data) > self.config.max_output_bytes:
            raise MalformedOutput(
                f"The Hugging Face result is larger than "
                f"{self.config.max_output_bytes // 1_048_576} MB, so it was not stored."
            )
        return data


def requested_size(options: Any) -> tuple[int, int] | None:
    """Return (width, height) in pixels from options width/height or aspect_ratio, or None.

    width and height win when both are given; otherwise aspect_ratio ("16:9") is sized near
    1 megapixel with both sides multiples of 16 (FLUX works on 16-pixel latent patches).
    Raises InputRejected for a size that is not positive or a malformed aspect ratio.
    """
    width, height = options.get("width"), options.get("height")
    if width is not None and height is not None:
        try:
            size = int(width), int(height)
        except (TypeError, ValueError):
            size = (0, 0)
        if size[0] <= 0 or size[1] <= 0:
            raise InputRejected(f"{width}×{height} is not an image size in pixels.")
        return size
    aspect_ratio = options.get("aspect_ratio")
    if aspect_ratio:
        try:
            return size_for_aspect(str(aspect_ratio), megapixels=1.0, multiple=16)
        except ValueError as exc:
            raise InputRejected(
                f"{aspect_ratio!r} is not an aspect ratio like 16:9; please pick another."
            ) from exc
    return None


def http_error(exc: HfHubHTTPError, model: str) -> ProviderError:
    """Return the ProviderError for an HTTP error status from Hugging Face.

    401/403: the token is missing, wrong or lacks the "Inference Providers" permission
    (Inference Providers docs: token "with Inference Providers permission"). 404: the model is
    not served. 429: rate limited or out of monthly credits. 400/413/422: the input. 503 with
    "loading" in the body: the serverless model is cold (the HF Inference API answers
    ``{"error": "Model ... is currently loading", "estimated_time": ...}``). Other 5xx: outage.
    """
    status = exc.response.status_code
    detail = _server_message(exc)
    if status in (401, 403):
        return NotConfigured(
            "Hugging Face refused our access token. An administrator needs to check HF_TOKEN "
            "(it must be valid and allowed to call Inference Providers)."
        )
    if status == 404:
        return NotConfigured(
            f"Hugging Face does not serve the model {model!r} here. An administrator needs to "
            "pick another model."
        )
    if status == 429:
        return RateLimited(
            "Hugging Face is receiving too many requests from us (or our monthly credits are "
            "used up). Please try again in a few minutes."
        )
    if status in (400, 413, 422):
        suffix = f" ({detail.strip()[:200]})" if detail.strip() else ""
        return InputRejected(
            f"Hugging Face could not use this request{suffix}. Please change the prompt, "
            "image or settings and try again."
        )
    if status == 503 and "loading" in detail.lower():
        return ProviderUnavailable(
            "The Hugging Face model is starting up. Please try again in a minute."
        )
    return ProviderUnavailable(
        f"Hugging Face is having problems (HTTP {status}). Please try again later."
    )


def _server_message(exc: HfHubHTTPError) -> str:
    """Return the error text the server sent (JSON ``error`` field or the body), or ""."""
    if exc.server_message:
        return str(exc.server_message)
    try:
        body = exc.response.text
    except httpx2.ResponseNotRead:
        return ""
    try:
        error = json.loads(body).get("error", "")
    except (ValueError, AttributeError):
        return ""
    return str(error)


def _int_option(options: Any, name: str) -> int | None:
    value = options.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InputRejected(f"{name.replace('_', ' ')} must be a whole number.") from exc


def _float_option(options: Any, name: str) -> float | None:
    value = options.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InputRejected(f"{name.replace('_', ' ')} must be a number.") from exc
