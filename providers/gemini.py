"""Google Gemini adapter: image generation and editing with ``client.models.generate_content``.

Wire format (Gemini API reference, models.generateContent; Gemini API image-generation guide):
``POST {base_url}/v1beta/models/{model}:generateContent`` with header ``x-goog-api-key`` and JSON
``{"contents": [{"role": "user", "parts": [{"text": ...}, {"inlineData": {"mimeType", "data"}}]}],
"generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio"},
"seed"}}``. Images come back as ``candidates[0].content.parts[i].inlineData`` (base64, decoded by
the SDK into ``part.inline_data.data`` bytes with ``mime_type``). ``generate_images`` (Imagen)
is Vertex-only and not used.

How the client is pointed at ``config.base_url``: ``genai.Client(api_key=...,
http_options=HttpOptions(base_url=config.base_url, api_version="v1beta", timeout=<ms>,
retry_options=HttpRetryOptions(attempts=1)))``. ``api_version`` is set explicitly because
google-genai 3.4.0 defaults the Gemini API to "v1" (``GOOGLE_AI_API_DEFAULT_VERSION``), while
the image-generation docs and REST examples use v1beta, where image models and ``imageConfig``
are documented. The SDK sends through httpx2 (``SyncHttpx2Client``).

Retries: in google-genai 3.4.0 a client without ``retry_options`` makes one attempt
(``retry_args(None)`` is ``stop_after_attempt(1)``); ``HttpRetryOptions()`` with no fields would
retry 408/429/5xx five times. The adapter passes ``attempts=1`` explicitly so the paid call is
sent exactly once even if the SDK's default changes.
"""

from __future__ import annotations

import io
from typing import Any

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image, UnidentifiedImageError
from pydantic import ValidationError

from providers.base import (
    Checkpoint,
    InputRejected,
    MalformedOutput,
    Moderated,
    NotConfigured,
    ProviderConfig,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderUnavailable,
    RateLimited,
)

#: The REST version image generation is documented under (Gemini API image-generation guide).
API_VERSION = "v1beta"

#: Default model for both capabilities: "Nano Banana" (Gemini API models page,
#: gemini-2.5-flash-image). Others the same code serves: gemini-3-pro-image-preview,
#: gemini-3.1-flash-image-preview.
DEFAULT_MODEL = "gemini-2.5-flash-image"

#: Aspect ratios Gemini's image models take (Gemini API image-generation guide, "Aspect
#: ratios": 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9 for gemini-2.5-flash-image; the
#: google-genai ImageConfig.aspect_ratio docs list the same family). Anything else is a 400.
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")

#: TEXT as well as IMAGE, as in the docs' examples: when the model declines, its text says why.
RESPONSE_MODALITIES = ["TEXT", "IMAGE"]

#: MIME types Gemini accepts for inline image parts (Gemini API image-understanding guide).
INPUT_MIME_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "HEIF": "image/heif",
}

#: Candidate finish reasons that mean content moderation stopped the image (types.FinishReason).
MODERATED_FINISH_REASONS = frozenset(
    {
        "SAFETY",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)

MASK_INSTRUCTION = (
    "The second image is a mask of the same size as the first: change only the area that is "
    "white in the mask and keep everything in the black area exactly as it is."
)


class GeminiAdapter:
    """Run "generate" and "edit" on an image-capable Gemini model (one synchronous call)."""

    name = "gemini"
    capabilities = frozenset({"generate", "edit"})

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def client(self) -> genai.Client:
        """Return a google-genai client for ``config``: its base URL, v1beta, timeout, no retries."""
        return genai.Client(
            api_key=self.config.api_key,
            http_options=types.HttpOptions(
                base_url=self.config.base_url,
                api_version=API_VERSION,
                timeout=int(self.config.read_timeout * 1000),  # milliseconds (HttpOptions.timeout)
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )

    def run(self, request: ProviderRequest, checkpoint: Checkpoint) -> ProviderOutput:
        """Return the model's final image, with the MIME type Gemini declared.

        ``request.options``: aspect_ratio (sent as imageConfig.aspectRatio; the docs list 1:1,
        2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9 for gemini-2.5-flash-image) and seed.
        The negative prompt becomes a sentence of guidance ("Avoid: ..."), as Gemini has no
        negative-prompt field. For "edit", the input image (and mask, if any) go in as inline
        parts before the instruction.

        Raises NotConfigured (no or invalid key, unknown model), InputRejected (400, 413, bad
        input image; an aspect ratio outside ASPECT_RATIOS, before any request), Moderated
        (safety finish reason or blocked prompt), RateLimited (429), ProviderUnavailable (5xx,
        timeouts, connection errors) and MalformedOutput (no image in the answer, or an answer
        that is not JSON the SDK can read, or too large).
        """
        if not self.config.configured:
            raise NotConfigured(
                "Google Gemini is not set up here: no API key (GEMINI_API_KEY) is configured."
            )
        if request.capability not in self.capabilities:
            raise InputRejected(
                f"Gemini cannot do {request.capability!r} here; it can generate or edit images."
            )
        if not request.prompt.strip():
            raise InputRejected("Please describe the image you want: the prompt is empty.")
        model = request.model or DEFAULT_MODEL
        contents = self._contents(request)
        config = self._generation_config(request.options)
        client = self.client()
        try:
            response = client.models.generate_content(model=model, contents=contents, config=config)
        except genai_errors.APIError as exc:
            raise api_error(exc, model) from exc
        except httpx2.TimeoutException as exc:
            raise ProviderUnavailable(
                f"Gemini did not answer within {self.config.read_timeout:.0f} seconds. "
                "Please try again later."
            ) from exc
        except httpx2.HTTPError as exc:
            raise ProviderUnavailable(
                "Gemini could not be reached. Please try again later."
            ) from exc
        except (genai_errors.UnknownApiResponseError, ValidationError, ValueError) as exc:
            raise MalformedOutput(
                "Gemini answered in a form we could not read. Please try again."
            ) from exc
        finally:
            client.close()
        return self._output(response, model, request.options)

    def _contents(self, request: ProviderRequest) -> list[types.Content]:
        """Return the user turn: [image, [mask]], then the instruction text."""
        parts: list[types.Part] = []
        text = request.prompt.strip()
        if request.capability == "edit":
            if not request.image:
                raise InputRejected("Please choose an image to edit.")
            data, mime_type = inline_image(request.image, what="image")
            parts.append(types.Part.from_bytes(data=data, mime_type=mime_type))
            if request.mask:
                mask, mask_type = inline_image(request.mask, what="mask")
                parts.append(types.Part.from_bytes(data=mask, mime_type=mask_type))
                text = f"{text}\n\n{MASK_INSTRUCTION}"
        if request.negative_prompt.strip():
            text = f"{text}\n\nAvoid: {request.negative_prompt.strip()}"
        parts.append(types.Part.from_text(text=text))
        return [types.Content(role="user", parts=parts)]

    def _generation_config(self, options: Any) -> types.GenerateContentConfig:
        aspect_ratio = options.get("aspect_ratio")
        if aspect_ratio and str(aspect_ratio) not in ASPECT_RATIOS:
            raise InputRejected(
                f"Gemini cannot make {aspect_ratio} images; its aspect ratios are "
                f"{', '.join(ASPECT_RATIOS)}."
            )
        seed = options.get("seed")
        try:
            seed_value = int(seed) if seed is not None else None
        except (TypeError, ValueError) as exc:
            raise InputRejected("The seed must be a whole number.") from exc
        return types.GenerateContentConfig(
            response_modalities=RESPONSE_MODALITIES,
            image_config=types.ImageConfig(aspect_ratio=str(aspect_ratio))
            if aspect_ratio
            else None,
            seed=seed_value,
            # No tools are sent, so automatic function calling has nothing to call; disabling it
            # keeps generate_content to the single HTTP request it makes without tools.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )

    def _output(
        self, response: types.GenerateContentResponse, model: str, options: Any
    ) -> ProviderOutput:
        """Return the image in the answer, or raise Moderated / MalformedOutput.

        The last non-thought image part wins; a "thought" image (an interim draft that Gemini 3
        image models may send first) is used only when no other image came back.
        """
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason:
            reason = _enum_name(feedback.block_reason)
            raise Moderated(
                f"Gemini's content filter blocked this prompt ({reason}). Please rephrase it "
                "or use another image."
            )
        candidate = response.candidates[0] if response.candidates else None
        finish_reason = _enum_name(candidate.finish_reason) if candidate else ""
        image_part, texts = None, []
        if candidate is not None and candidate.content is not None:
            for part in candidate.content.parts or []:
                if part.text and not part.thought:
                    texts.append(part.text.strip())
                blob = part.inline_data
                # Gemini 3 image models may send interim "thought" images before the final one.
                if blob and blob.data and (blob.mime_type or "").startswith("image/"):
                    if not part.thought or image_part is None:
                        image_part = blob
        if image_part is None:
            if finish_reason in MODERATED_FINISH_REASONS:
                raise Moderated(
                    f"Gemini's content filter stopped this image ({finish_reason}). Please "
                    "change the prompt or the image and try again."
                )
            hint = " ".join(t for t in texts if t)[:300]
            raise MalformedOutput(
                "Gemini answered without an image"
                + (f" and said: “{hint}”" if hint else "")
                + ". Please rephrase the prompt and try again."
            )
        data = bytes(image_part.data or b"")
        if len(data) > self.config.max_output_bytes:
            raise MalformedOutput(
                f"The Gemini result is larger than "
                f"{self.config.max_output_bytes // 1_048_576} MB, so it was not stored."
            )
        seed = options.get("seed")
        return ProviderOutput(
            data=data,
            media_type=image_part.mime_type or "image/png",
            seed=int(seed) if seed is not None else None,
            finish_reason=finish_reason,
            details={"model": model, "text": " ".join(texts)[:1000]},
        )


def inline_image(data: bytes, *, what: str) -> tuple[bytes, str]:
    """Return (bytes, MIME type) Gemini accepts for an input image; other formats become PNG.

    Raises InputRejected when the bytes are not an image Pillow can open.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime_type = INPUT_MIME_TYPES.get(image.format or "")
            if mime_type:
                return data, mime_type
            image.load()
            converted = image if image.mode in ("RGB", "RGBA", "L", "LA") else image.convert("RGBA")
            buffer = io.BytesIO()
            converted.save(buffer, format="PNG")
            return buffer.getvalue(), "image/png"
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputRejected(
            f"The {what} could not be read as an image. Please use another file."
        ) from exc


def api_error(exc: genai_errors.APIError, model: str) -> ProviderError:
    """Return the ProviderError for a Gemini API error status.

    Gemini API troubleshooting guide: 400 INVALID_ARGUMENT / FAILED_PRECONDITION (a bad request;
    an invalid key is also a 400 with reason API_KEY_INVALID), 403 PERMISSION_DENIED (key
    lacks access), 404 NOT_FOUND (model), 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE,
    504 DEADLINE_EXCEEDED.
    """
    code = exc.code or 0
    message = str(exc.message or "")
    if code in (401, 403) or (code == 400 and _is_invalid_key(exc)):
        return NotConfigured(
            "Google Gemini refused our API key. An administrator needs to check GEMINI_API_KEY."
        )
    if code == 404:
        return NotConfigured(
            f"Gemini does not offer the model {model!r} to this API key. An administrator needs "
            "to pick another model."
        )
    if code == 429:
        return RateLimited(
            "Gemini is receiving too many requests from us (or our quota is used up). Please try "
            "again in a few minutes."
        )
    if code in (400, 413, 422):
        suffix = f" ({message[:200]})" if message else ""
        return InputRejected(
            f"Gemini could not use this request{suffix}. Please change the prompt, image or "
            "settings and try again."
        )
    return ProviderUnavailable(f"Gemini is having problems (HTTP {code}). Please try again later.")


def _is_invalid_key(exc: genai_errors.APIError) -> bool:
    text = f"{exc.message} {exc.details}"
    return "API_KEY_INVALID" in text or "API key not valid" in text


def _enum_name(value: Any) -> str:
    """Return an SDK enum's name ("IMAGE_SAFETY"), or the string itself, or ""."""
    if value is None:
        return ""
    return str(getattr(value, "name", value))
