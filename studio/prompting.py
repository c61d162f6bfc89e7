"""Prompt enhancement for the Create Studio: a Gemini text model when configured, else a template.

:func:`enhance_prompt` returns a suggestion the user may accept or edit; it never runs a paid
image model. With Gemini configured (providers.registry.is_configured("gemini")) it asks the
text model settings.STUDIO_PROMPT_MODEL (default "gemini-2.5-flash") for one improved prompt
through google-genai: ``POST {base_url}/v1beta/models/{model}:generateContent`` with the key and
base URL of settings.PROVIDERS["gemini"] (GEMINI_API_KEY, GEMINI_API_BASE), one attempt (no
SDK retries: a suggestion is not worth a second wait) and a timeout of at most
PROMPT_TIMEOUT_SECONDS. On any failure, or an empty answer, it falls back to the built-in
template enhancer and says so in the label.

The template enhancer is deterministic: the user's words first and unchanged, then the
platform template's phrases, then the style preset's descriptors (STYLE_DESCRIPTORS), each
phrase added only if the text does not already contain it and only while the whole stays within
MAX_PROMPT_CHARS.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from google import genai
from google.genai import types

from providers.base import ProviderConfig
from providers.registry import is_configured
from studio.create_templates import SUBJECT, PlatformTemplate

logger = logging.getLogger(__name__)

#: Longest prompt the enhancer writes, characters. Stability accepts 1-10 000; a longer prompt
#: dilutes the subject, and 1 000 is what the Create Studio's text box shows comfortably.
MAX_PROMPT_CHARS: Final = 1000
#: Length asked of Gemini, characters (a guide for the model, not enforced below MAX_PROMPT_CHARS).
GEMINI_TARGET_CHARS: Final = 400
DEFAULT_PROMPT_MODEL: Final = "gemini-2.5-flash"
#: The REST version the Gemini adapter uses too (providers/gemini.py explains why v1beta).
API_VERSION: Final = "v1beta"
#: Longest wait for a suggestion, seconds: the page waits on it, so less than the image timeout.
PROMPT_TIMEOUT_SECONDS: Final = 20.0

LABEL_GEMINI: Final = "Improved by Gemini"
LABEL_TEMPLATE: Final = "Template-based suggestion (no text model configured)"
LABEL_GEMINI_FAILED: Final = "Gemini could not be reached; template-based suggestion"
LABEL_GEMINI_EMPTY: Final = "Gemini gave no usable suggestion; template-based suggestion"
EMPTY_PROMPT: Final = "Write what you want to see first."

#: Descriptors added for each of Stability's 17 style presets (studio.ai_steps.STYLE_PRESETS),
#: and for no preset (""). Written for this module: what each preset's name promises.
STYLE_DESCRIPTORS: Final[dict[str, tuple[str, ...]]] = {
    "": ("sharp focus", "balanced composition", "high detail"),
    "enhance": ("sharp focus", "rich detail", "balanced colours", "professional quality"),
    "anime": ("anime style", "clean line work", "cel shading", "vibrant colours"),
    "photographic": ("natural light", "50mm lens", "shallow depth of field", "high detail"),
    "digital-art": ("digital painting", "crisp detail", "vivid colours", "dramatic lighting"),
    "comic-book": (
        "comic book style", "bold ink outlines", "halftone shading", "dynamic composition",
    ),
    "fantasy-art": (
        "fantasy illustration", "epic atmosphere", "magical glowing light", "intricate detail",
    ),
    "line-art": ("clean line art", "precise even strokes", "minimal shading", "white background"),
    "analog-film": ("analog film photograph", "35mm film grain", "warm faded tones", "soft light"),
    "neon-punk": (
        "neon lighting", "magenta and cyan palette", "glowing signs", "rainy night atmosphere",
    ),
    "isometric": ("isometric view", "clean geometry", "soft even lighting", "miniature diorama"),
    "low-poly": ("low poly 3D style", "faceted geometric shapes", "flat shading", "pastel palette"),
    "origami": ("folded paper origami style", "crisp creases", "paper texture", "soft studio light"),
    "modeling-compound": (
        "plasticine clay style", "handmade texture", "soft studio lighting", "playful shapes",
    ),
    "cinematic": (
        "cinematic still", "dramatic lighting", "anamorphic lens", "film colour grading",
    ),
    "3d-model": ("3D render", "physically based materials", "studio lighting", "soft shadows"),
    "pixel-art": ("pixel art", "limited colour palette", "crisp pixel edges", "retro game style"),
    "tile-texture": (
        "seamless tileable texture", "top-down view", "even lighting", "no visible seams",
    ),
}  # fmt: skip

#: Artefacts every image is better without (all generate models).
GENERIC_NEGATIVE: Final = (
    "blurry", "low resolution", "watermark", "distorted text", "extra fingers",
)  # fmt: skip
#: Generic negatives that fight a preset: pixel art is low resolution on purpose.
NEGATIVE_EXCEPTIONS: Final[dict[str, frozenset[str]]] = {
    "pixel-art": frozenset({"low resolution"}),
}

INSTRUCTION: Final = (
    "You improve prompts for a text-to-image model. Rewrite the prompt below as one improved "
    "prompt. Keep the user's subject and every detail they asked for, in their words. Add "
    "concrete lighting, composition, camera or lens, and style detail{fit}. Answer with the "
    f"prompt only: plain text, a single paragraph, at most {GEMINI_TARGET_CHARS} characters, "
    "no quotation marks, no markdown, no preamble or explanation.\n\nPrompt: "
)


@dataclass(frozen=True)
class Enhanced:
    """A suggested prompt and negative prompt, and who wrote them.

    source: "gemini" when a configured text model wrote the prompt, "template" for the built-in
    enhancer. label: what the page shows next to the suggestion (one of the LABEL_* constants).
    The negative prompt is always the template enhancer's.
    """

    prompt: str
    negative_prompt: str
    source: str
    label: str


def enhance_prompt(
    prompt: str, *, style_preset: str = "", template: PlatformTemplate | None = None
) -> Enhanced:
    """Return an improved prompt and a negative prompt for an image.

    ``style_preset`` is one of studio.ai_steps.STYLE_PRESETS or ""; ``template`` the platform
    template the user picked, if any. Uses Gemini when it is configured and answers, else the
    template enhancer. Raises ValueError(EMPTY_PROMPT) for a blank prompt.
    """
    text = _squash(prompt)
    if not text:
        raise ValueError(EMPTY_PROMPT)
    negative = negative_prompt_for(text, style_preset=style_preset, template=template)
    if not is_configured("gemini"):
        return Enhanced(
            template_prompt(text, style_preset=style_preset, template=template),
            negative,
            "template",
            LABEL_TEMPLATE,
        )
    try:
        suggestion = ask_gemini(text, style_preset=style_preset, template=template)
    except Exception:
        # Any failure (network, HTTP status, an answer the SDK cannot read) only costs the user
        # the better suggestion; the template one is still useful.
        logger.warning("Gemini prompt enhancement failed", exc_info=True)
        label = LABEL_GEMINI_FAILED
    else:
        if suggestion:
            return Enhanced(suggestion, negative, "gemini", LABEL_GEMINI)
        label = LABEL_GEMINI_EMPTY
    return Enhanced(
        template_prompt(text, style_preset=style_preset, template=template),
        negative,
        "template",
        label,
    )


# --- the template enhancer -----------------------------------------------------------------


def template_prompt(
    prompt: str, *, style_preset: str = "", template: PlatformTemplate | None = None
) -> str:
    """Return the user's prompt followed by the template's phrases and the preset's descriptors.

    Phrases already in the text (case and spacing ignored) are skipped, and phrases are added
    only while the result stays within MAX_PROMPT_CHARS. The user's words are never cut: a
    prompt already longer than that comes back unchanged. Unknown presets add the "" descriptors.
    """
    text = _squash(prompt).rstrip(" ,.;")
    phrases: list[str] = []
    if template is not None:
        phrases.extend(_template_phrases(template, text))
    phrases.extend(STYLE_DESCRIPTORS.get(style_preset, STYLE_DESCRIPTORS[""]))
    for phrase in phrases:
        if _contains(text, phrase):
            continue
        candidate = f"{text}, {phrase}"
        if len(candidate) > MAX_PROMPT_CHARS:
            break
        text = candidate
    return text


def negative_prompt_for(
    prompt: str, *, style_preset: str = "", template: PlatformTemplate | None = None
) -> str:
    """Return the comma-separated negative prompt: generic artefacts, then the template's.

    Duplicates are dropped, and so is any phrase the prompt itself asks for (a prompt wanting a
    "blurry background" does not get "blurry" as a negative).
    """
    phrases = [p for p in GENERIC_NEGATIVE if p not in NEGATIVE_EXCEPTIONS.get(style_preset, ())]
    if template is not None:
        phrases.extend(_split(template.negative_prompt))
    kept: list[str] = []
    for phrase in phrases:
        if any(_same(phrase, k) for k in kept) or _contains(prompt, phrase):
            continue
        kept.append(phrase)
    return ", ".join(kept)


def _template_phrases(template: PlatformTemplate, subject: str) -> list[str]:
    """Return the template's phrases with the subject in place, minus the bare "{subject}"."""
    return [
        phrase.replace(SUBJECT, subject)
        for phrase in _split(template.prompt_template)
        if phrase != SUBJECT
    ]


def _split(text: str) -> list[str]:
    return [part for part in (_squash(p) for p in text.split(",")) if part]


def _squash(text: str) -> str:
    """Return the text on one line with single spaces."""
    return " ".join(text.split())


def _same(a: str, b: str) -> bool:
    return _squash(a).casefold() == _squash(b).casefold()


def _contains(text: str, phrase: str) -> bool:
    """Return True if the phrase occurs in the text as whole words, ignoring case and spacing."""
    words = _squash(phrase).casefold()
    if not words:
        return True
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", _squash(text).casefold()) is not None


# --- Gemini --------------------------------------------------------------------------------


def ask_gemini(
    prompt: str, *, style_preset: str = "", template: PlatformTemplate | None = None
) -> str:
    """Return Gemini's improved prompt, cleaned up, or "" if it answered with no text.

    One generateContent call to settings.STUDIO_PROMPT_MODEL; raises whatever google-genai or
    httpx2 raise (google.genai.errors.APIError for HTTP errors, httpx2 errors for the network).
    """
    config = ProviderConfig.from_settings("gemini")
    model = getattr(settings, "STUDIO_PROMPT_MODEL", DEFAULT_PROMPT_MODEL)
    client = genai.Client(
        api_key=config.api_key,
        http_options=types.HttpOptions(
            base_url=config.base_url or None,
            api_version=API_VERSION,
            timeout=int(min(config.read_timeout, PROMPT_TIMEOUT_SECONDS) * 1000),  # milliseconds
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )
    try:
        response = client.models.generate_content(
            model=model,
            contents=[instruction_for(style_preset, template) + prompt],
            config=types.GenerateContentConfig(
                automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            ),
        )
    finally:
        client.close()
    texts = []
    for candidate in (response.candidates or [])[:1]:
        parts = candidate.content.parts if candidate.content else None
        texts.extend(p.text for p in parts or [] if p.text and not p.thought)
    return clean_suggestion(" ".join(texts))


def instruction_for(style_preset: str, template: PlatformTemplate | None) -> str:
    """Return the instruction put before the user's prompt, naming the preset and template."""
    fits = []
    if style_preset:
        looks = ", ".join(STYLE_DESCRIPTORS.get(style_preset, ()))
        fits.append(
            f"the {style_preset.replace('-', ' ')} style" + (f" ({looks})" if looks else "")
        )
    if template is not None:
        fits.append(
            f"a {template.name} ({template.width}×{template.height} pixels, aspect ratio "
            f"{template.aspect_ratio}): {template.description.rstrip('.')}"
        )
    return INSTRUCTION.format(fit=" that fits " + " and ".join(fits) if fits else "")


def clean_suggestion(text: str) -> str:
    """Return a model's answer as a one-line prompt within MAX_PROMPT_CHARS ("" if none).

    Drops surrounding quotes and backticks and a leading "Prompt:" label; an answer that is too
    long is cut at the last comma (or space) before the limit.
    """
    text = _squash(text).strip("`\"'“”‘’ ")
    text = re.sub(r"^(?:improved\s+)?prompt\s*:\s*", "", text, flags=re.IGNORECASE)
    text = text.strip("`\"'“”‘’ ")
    if len(text) > MAX_PROMPT_CHARS:
        cut = text[: MAX_PROMPT_CHARS + 1]
        end = cut.rfind(",")
        if end <= 0:
            end = cut.rfind(" ")
        text = cut[: end if end > 0 else MAX_PROMPT_CHARS].rstrip(" ,")
    return text
