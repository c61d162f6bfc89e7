"""Forms of the AI studios (Create, Edit, Upscale, Control).

Each form resolves the model the user picked, or the one "Auto" stands for
(providers.registry.auto_pick), when it is cleaned; checks that the job gives what that model
requires (AIModel.requires: a prompt, a mask, a style image...); and builds specs only from the
parameters the model declares (AIModel.params), so a model without "style" never gets a style
step. Texts, the mask and reference images travel beside the specs as job parameters
(studio.operations.ai reads them).

The live quote binds the ``*QuoteForm`` variants (studio.quote.DEFAULT_QUOTE_FORMS): a price
depends on the model, the inputs and the number of outputs, never on texts or the mask, so those
are optional there and the page does not send them.
"""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from assets.models import Asset
from billing.ledger import account_for
from billing.models import Plan
from providers.models import AIModel
from providers.registry import LABELS, Choice, auto_pick, choices, unavailable_reason
from studio.ai_steps import (
    ASPECT_RATIOS,
    MAX_OUTPAINT,
    MAX_SEED,
    MODEL_LIMITS,
    PROVIDER_LIMITS,
    STYLE_PRESETS,
    UPSCALE_RESOLUTIONS,
    Limits,
)
from studio.create_templates import TEMPLATES, PlatformTemplate, by_platform
from studio.forms import SourcesField
from studio.imaging.errors import ImageError
from studio.imaging.load import decode
from studio.quote import MultipleValueField

AUTO = "auto"
MODES = [
    ("budget", "Budget: the cheapest model that fits"),
    ("balanced", "Balanced: good results at a fair price"),
    ("quality", "Quality: the best model, whatever it costs"),
]
#: Template quality (studio.create_templates.QUALITIES) -> the Auto mode it stands for.
TEMPLATE_MODES = {"draft": "budget", "standard": "balanced", "premium": "quality"}
#: What "no model" means per capability, for the message when none is configured.
CAPABILITY_NOUNS = {
    "generate": "text-to-image",
    "edit": "image editing",
    "upscale": "upscaling",
    "control": "control (sketch, structure, style)",
}
#: Job texts a model may declare in AIModel.params (studio.operations.ai.TEXTS).
TEXTS = ("prompt", "negative_prompt", "search_prompt", "select_prompt")
MAX_PROMPT = 10_000
#: Largest mask upload, bytes (a full-size PNG of a 100 MP image is far below this).
MAX_MASK_BYTES = 20 * 1024 * 1024
#: How far a mask's aspect ratio may be from its image's before it is refused as another
#: image's mask rather than resized (relative difference).
MASK_ASPECT_TOLERANCE = 0.02


def _percent(label: str, initial: int, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=100,
        initial=initial,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"type": "range", "step": 1}),
    )


def _prompt_field(label: str, *, required: bool = False, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_PROMPT,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _seed_field() -> forms.IntegerField:
    return forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        help_text="Leave empty for a random seed; the same seed and settings repeat an image.",
    )


# --- what each model documents (the spec parser's table) -----------------------------------


def model_limits(model: AIModel) -> list[Limits]:
    """Return the documented limits of ``model``: its own, then its provider's.

    The same table the spec parser checks (studio.ai_steps.check_model_limits), so a form never
    lets through a value the parser would refuse.
    """
    found = (MODEL_LIMITS.get(model.key), PROVIDER_LIMITS.get(model.provider))
    return [limits for limits in found if limits is not None]


def param_range(model: AIModel, kind: str, default: tuple[int, int]) -> tuple[int, int]:
    """Return the (low, high) ``model`` takes for a step kind, within the form's ``default``."""
    low, high = default
    for limits in model_limits(model):
        if kind in limits.ranges:
            own_low, own_high = limits.ranges[kind]
            low, high = max(low, own_low), min(high, own_high)
    return low, high


def param_choices(model: AIModel, kind: str, default: Sequence) -> tuple:
    """Return the values ``model`` takes for a step kind (aspect, resolution...), in order."""
    allowed = tuple(default)
    for limits in model_limits(model):
        if kind in limits.choices:
            allowed = tuple(value for value in allowed if value in limits.choices[kind])
    return allowed


#: Step kinds whose form field has the same name, with the form's own (low, high) or choices.
RANGED_FIELDS = (
    "seed",
    "strength",
    "fidelity",
    "creativity",
    "grow",
    "left",
    "right",
    "up",
    "down",
)
CHOICE_FIELDS = ("aspect", "resolution")
_WORDS = {"grow": "mask growth", "aspect": "aspect ratio", "resolution": "target resolution"}
_UNITS = {"creativity": " %", "strength": " %", "fidelity": " %", "grow": " px"}


# --- the model picker ---------------------------------------------------------------------


@dataclass(frozen=True)
class Picker:
    """A studio's model picker as its template shows it.

    ``choices`` are the offered models of the capability (and kind), each available or with the
    reason not; ``selected`` is "auto" or a model key; ``auto`` is what Auto resolves to now.
    """

    capability: str
    kind: str
    choices: list[Choice]
    selected: str
    mode: str
    auto: AIModel | None

    @property
    def noun(self) -> str:
        return CAPABILITY_NOUNS.get(self.capability, self.capability)

    @property
    def modes(self) -> list[tuple[str, str]]:
        return MODES

    @property
    def rows(self) -> list[dict]:
        """Return each choice with its model and provider label, as the template lists them."""
        return [
            {"choice": c, "model": c.model, "provider": LABELS.get(c.model.provider, "")}
            for c in self.choices
        ]

    @property
    def available(self) -> bool:
        """Return True if at least one model can be picked."""
        return any(choice.available for choice in self.choices)

    @property
    def missing(self) -> str:
        """Return why nothing can be picked, naming the variables to set; "" if something can."""
        if self.available:
            return ""
        return no_model_message(self.capability, [c.model for c in self.choices])


def no_model_message(capability: str, models: Sequence[AIModel]) -> str:
    """Return why no model of a capability can run: the providers' keys, or the inputs/plan."""
    from providers.registry import is_configured

    noun = CAPABILITY_NOUNS.get(capability, capability)
    unconfigured = dict.fromkeys(m.provider for m in models if not is_configured(m.provider))
    if models and len(unconfigured) == len({m.provider for m in models}):
        env = [
            settings.PROVIDERS.get(p, {}).get("env", [f"{p.upper()}_API_KEY"])[0]
            for p in unconfigured
        ]
        return (
            f"No {noun} model is configured on this server; an administrator must set "
            f"{_or_list(env)}."
        )
    if not models:
        return f"No {noun} model is offered for this choice."
    return f"No {noun} model can take this: see the reason beside each model."


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def model_picker(
    capability: str,
    *,
    plan: Plan,
    kind: str | None = None,
    inputs: Sequence[Asset] = (),
    selected: str = AUTO,
    mode: str = "balanced",
) -> Picker:
    """Return the picker of a capability (and kind) for a plan and the picked inputs.

    A selected key that is not among the choices (the kind changed) falls back to Auto.
    """
    listed = choices(capability, plan=plan, kind=kind, inputs=inputs)
    if selected not in {c.model.key for c in listed if c.available}:
        selected = AUTO
    mode = mode if mode in dict(MODES) else "balanced"
    auto = auto_pick(capability, plan=plan, mode=mode, kind=kind, inputs=inputs)
    return Picker(capability, kind or "", listed, selected, mode, auto)


class PickerQueryForm(forms.Form):
    """The picker partial's query: the studio (operation), kind, picked images, current choice."""

    operation = forms.ChoiceField(choices=[(c, c) for c in CAPABILITY_NOUNS])
    kind = forms.CharField(required=False, max_length=40)
    assets = SourcesField(required=False)
    model = forms.CharField(required=False, max_length=80)
    mode = forms.ChoiceField(choices=MODES, required=False)

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assets"].queryset = Asset.objects.for_workspace(workspace).usable()


# --- the base of the AI studio forms --------------------------------------------------------


class AIStudioForm(forms.Form):
    """Base of the AI studio forms: model and Auto mode, idempotency key, plan, requirements.

    Subclasses set ``capability`` and may declare ``assets`` (SourcesField; limited to the
    workspace here) and ``kind``; ``single_input`` makes ``assets`` take exactly one image.
    """

    capability: ClassVar[str]
    single_input: ClassVar[bool] = False
    prices_given_specs = False
    #: The live quote's variant: texts and the mask are not required (prices ignore them).
    quoting: ClassVar[bool] = False

    model = forms.CharField(required=False, initial=AUTO, max_length=80)
    mode = forms.ChoiceField(
        choices=MODES, initial="balanced", required=False, label="Auto picks for"
    )
    idempotency_key = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.HiddenInput,
        help_text="Made when the form is shown; a second submit of the same form reuses the job.",
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.library = Asset.objects.for_workspace(workspace).usable()
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = self.library
        if self.quoting:
            for name in (*TEXTS, "mask", "style_image"):
                if name in self.fields:
                    self.fields[name].required = False
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    @cached_property
    def plan(self) -> Plan:
        """Return the workspace's plan (which models it may use)."""
        return account_for(self.workspace).plan

    # What the picker and the model depend on, from cleaned data or, before cleaning, raw data.

    def current_kind(self) -> str | None:
        """Return the kind of model the form asks for (None: any kind of the capability)."""
        if "kind" not in self.fields:
            return None
        value = self.cleaned_data.get("kind") if hasattr(self, "cleaned_data") else None
        if value is None:
            value = self["kind"].value()
        kinds = [key for key, _ in self.fields["kind"].choices]
        return value if value in kinds else kinds[0]

    def current_inputs(self) -> list[Asset]:
        """Return the picked images that belong to the workspace (others are ignored here)."""
        if "assets" not in self.fields:
            return []
        if hasattr(self, "cleaned_data") and "assets" in self.cleaned_data:
            return list(self.cleaned_data["assets"])
        codes = []
        for value in self["assets"].value() or []:
            try:
                codes.append(uuid.UUID(str(value)))
            except ValueError:
                continue
        return list(self.library.filter(code__in=codes)) if codes else []

    def picker(self) -> Picker:
        """Return the model picker for what the form currently holds."""
        return model_picker(
            self.capability,
            plan=self.plan,
            kind=self.current_kind(),
            inputs=self.current_inputs(),
            selected=self["model"].value() or AUTO,
            mode=self["mode"].value() or "balanced",
        )

    # Cleaning.

    def clean_assets(self):
        assets = self.cleaned_data["assets"]
        if self.single_input and len(assets) != 1 and not self.prices_given_specs:
            raise forms.ValidationError("Pick one image.")
        return assets

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in ("assets", "kind", "mode")):
            return data
        model = self._resolve_model(data)
        if model is not None:
            data["ai_model"] = model
            if not self.quoting:
                self.check_requirements(model, data)
            self.check_limits(model, data)
        return data

    def check_limits(self, model: AIModel, data: dict) -> None:
        """Add a field error for each parameter outside what ``model`` documents.

        The limits are the spec parser's (model_limits), so what passes here also parses.
        """
        for name in (*RANGED_FIELDS, *CHOICE_FIELDS):
            value = data.get(name)
            if name not in self.fields or name not in model.params or value in (None, ""):
                continue
            if name in self.errors:
                continue
            field = self.fields[name]
            if name in CHOICE_FIELDS:
                allowed = param_choices(model, name, [key for key, _ in field.choices if key])
                if value not in allowed:
                    self.add_error(
                        name,
                        f"{model.label} does not offer {value}: its {_WORDS.get(name, name)} "
                        f"is one of {', '.join(str(v) for v in allowed)}.",
                    )
                continue
            default = (field.min_value or 0, field.max_value or 0)
            low, high = param_range(model, name, default)
            if not low <= value <= high:
                word, unit = _WORDS.get(name, name), _UNITS.get(name, "")
                self.add_error(name, f"{model.label} takes a {word} of {low} to {high}{unit}.")

    def _resolve_model(self, data: dict) -> AIModel | None:
        kind, inputs = self.current_kind(), self.current_inputs()
        selected = data.get("model") or AUTO
        if selected == AUTO:
            model = auto_pick(
                self.capability,
                plan=self.plan,
                mode=data.get("mode") or "balanced",
                kind=kind,
                inputs=inputs,
            )
            if model is None:
                listed = list(AIModel.objects.for_capability(self.capability, kind))
                self.add_error("model", no_model_message(self.capability, listed))
            return model
        model = AIModel.objects.for_capability(self.capability, kind).filter(price__key=selected)
        model = model.first()
        if model is None:
            self.add_error("model", "Pick a model from the list, or Auto.")
            return None
        reason = unavailable_reason(model, plan=self.plan, inputs=inputs)
        if reason:
            self.add_error("model", f"{model.label} cannot be used: {reason}")
            return None
        return model

    #: Requirement (AIModel.requires) -> (field, message when missing).
    REQUIREMENTS: ClassVar[dict[str, tuple[str, str]]] = {
        "prompt": ("prompt", "{model} needs a prompt: describe what you want to see."),
        "search_prompt": ("search_prompt", "{model} needs to know what to search for."),
        "select_prompt": ("select_prompt", "{model} needs to know what to recolour."),
    }

    def check_requirements(self, model: AIModel, data: dict) -> None:
        """Add a form error for each thing ``model`` requires that the form does not give."""
        for requirement in model.requires:
            field, message = self.REQUIREMENTS.get(requirement, ("", ""))
            if field in self.fields and not data.get(field):
                self.add_error(field, message.format(model=model.label))

    # What the job gets.

    @property
    def ai_model(self) -> AIModel:
        return self.cleaned_data["ai_model"]

    def steps(self) -> dict[str, object]:
        """Return the spec parameters the form sets (name -> value; None: not set)."""
        return {}

    def spec(self, **overrides: object) -> str:
        """Return one spec: the model step and the parameters the model declares."""
        model = self.ai_model
        steps = {**self.steps(), **overrides}
        parts = [model.key]
        parts += [
            f"{name}-{value}"
            for name, value in steps.items()
            if name in model.params and value is not None and value != ""
        ]
        return "|".join(parts)

    def specs(self) -> list[str]:
        """Return the job's specs: one per output (per input)."""
        return [self.spec()]

    def job_params(self) -> dict:
        """Return the job's texts the model declares (prompt, negative prompt...)."""
        model, data = self.ai_model, self.cleaned_data
        return {
            name: data[name]
            for name in TEXTS
            if name in model.params and name in self.fields and data.get(name)
        }


class QuotingMixin:
    """The live quote's variant of an AI studio form (studio.quote.DEFAULT_QUOTE_FORMS).

    Prices ignore texts and the mask, so those are optional. A query that names recipes
    (``spec``, repeatable, as studio.quote.QuoteForm takes them for the API) is priced as
    given, without the studio's own fields.
    """

    quoting = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.fields["spec"] = MultipleValueField(required=False)  # type: ignore[attr-defined]
        data = self.data  # type: ignore[attr-defined]
        self.prices_given_specs = bool(hasattr(data, "getlist") and data.getlist("spec"))
        if self.prices_given_specs:
            for field in self.fields.values():  # type: ignore[attr-defined]
                field.required = False

    def clean_spec(self) -> list[str]:
        specs = self.cleaned_data["spec"]  # type: ignore[attr-defined]
        if len(specs) > 100 or any(len(spec) > 500 for spec in specs):
            raise forms.ValidationError("Too many or too long recipes.")
        return specs

    @property
    def given_specs(self) -> list[str]:
        return getattr(self, "cleaned_data", {}).get("spec") or []

    def clean(self):
        if self.given_specs:
            return self.cleaned_data  # type: ignore[attr-defined]
        return super().clean()  # type: ignore[misc]

    def specs(self) -> list[str]:
        return self.given_specs or super().specs()  # type: ignore[misc]


# --- Create ----------------------------------------------------------------------------------


def template_choices() -> list:
    """Return the platform templates as grouped choices for a <select>."""
    groups = [
        (templates[0].platform_label, [(t.id, t.name) for t in templates])
        for templates in by_platform().values()
    ]
    return [("", "No template"), *groups]


def template_groups() -> list[dict]:
    """Return the templates by platform, each with the Auto mode its quality stands for."""
    return [
        {
            "label": templates[0].platform_label,
            "options": [
                {"template": t, "mode": TEMPLATE_MODES.get(t.quality, "balanced")}
                for t in templates
            ],
        }
        for templates in by_platform().values()
    ]


class CreateForm(AIStudioForm):
    """Create Studio: text to image, N variations of one prompt."""

    capability = "generate"

    prompt = _prompt_field("Prompt", required=True, rows=5)
    negative_prompt = _prompt_field("Negative prompt (what to avoid)", rows=2)
    template = forms.ChoiceField(choices=template_choices, required=False, label="Template")
    apply_template = forms.BooleanField(
        required=False,
        initial=True,
        label="Wrap my prompt in the template's wording",
        help_text="Off after you accept an enhanced prompt, which already includes it.",
    )
    style = forms.ChoiceField(
        choices=[("", "None")] + [(s, s.replace("-", " ").capitalize()) for s in STYLE_PRESETS],
        required=False,
        label="Style preset",
        help_text="Sent only to models that take a style preset.",
    )
    aspect = forms.ChoiceField(
        choices=[(r, r) for r in ASPECT_RATIOS], initial="1:1", label="Aspect ratio"
    )
    seed = _seed_field()
    variations = forms.IntegerField(
        min_value=1, max_value=10, initial=1, help_text="Images to make, 1 to 10."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.prompt_notice = ""  # the label of a prompt suggestion (studio.prompting.Enhanced)
        self.prompt_error = ""  # why no suggestion could be made

    @property
    def current_template(self) -> PlatformTemplate | None:
        """Return the template the form holds now (before or after cleaning), if any."""
        return TEMPLATES.get(str(self["template"].value() or ""))

    @property
    def chosen_template(self) -> PlatformTemplate | None:
        """Return the platform template picked, if any."""
        return TEMPLATES.get(self.cleaned_data.get("template") or "")

    def steps(self) -> dict[str, object]:
        data = self.cleaned_data
        return {"aspect": data["aspect"], "style": data.get("style") or None}

    def specs(self) -> list[str]:
        """Return one spec per variation; with a seed, seeds are seed, seed + 1, ... (wrapping
        within the model's seed range)."""
        data = self.cleaned_data
        seed = data.get("seed")
        high = param_range(self.ai_model, "seed", (0, MAX_SEED))[1]
        return [
            self.spec(seed=None if seed is None else (seed + i) % (high + 1))
            for i in range(data["variations"])
        ]

    def job_params(self) -> dict:
        """Return the prompt (wrapped in the template's wording if asked) and negative prompt."""
        data = self.cleaned_data
        template = self.chosen_template
        prompt = data["prompt"]
        negative = data.get("negative_prompt", "")
        if template is not None:
            if data.get("apply_template"):
                prompt = template.prompt_for(prompt)
            negative = negative or template.negative_prompt
        params = {"prompt": prompt, "negative_prompt": negative}
        return {k: v for k, v in params.items() if v and k in self.ai_model.params}


class CreateQuoteForm(QuotingMixin, CreateForm):
    """The Create form as the live quote binds it."""


class EnhanceForm(forms.Form):
    """What the prompt enhancer reads from the Create form."""

    prompt = forms.CharField(
        max_length=MAX_PROMPT,
        error_messages={"required": "Write what you want to see first."},
    )
    style = forms.ChoiceField(choices=[("", "")] + [(s, s) for s in STYLE_PRESETS], required=False)
    template = forms.ChoiceField(choices=template_choices, required=False)


# --- Edit ------------------------------------------------------------------------------------

EDIT_KINDS = [
    ("erase", "Erase: remove what you paint"),
    ("inpaint", "Inpaint: replace what you paint with your prompt"),
    ("outpaint", "Outpaint: extend the picture beyond its edges"),
    ("search-and-replace", "Search and replace: swap an object you name"),
    ("search-and-recolor", "Search and recolour: recolour an object you name"),
    ("remove-background", "Remove background"),
    ("replace-background-and-relight", "Replace background and relight"),
    ("prompt", "Prompt edit: describe the change in words"),
]
MASK_KINDS = ("erase", "inpaint")
#: AIModel.requires entries that mean "a painted mask": "mask_or_alpha" also accepts a source
#: image with transparency, whose alpha channel the provider takes as the mask (Stability erase
#: and inpaint: "If you don't provide an explicit mask, one will be derived from the alpha
#: channel").
MASK_REQUIREMENTS = ("mask", "mask_or_alpha")


def takes_mask(model: AIModel) -> bool:
    """Return True if ``model`` works on a mask (painted, or for some the image's alpha)."""
    return any(requirement in model.requires for requirement in MASK_REQUIREMENTS)


def _side(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=MAX_OUTPAINT, initial=0
    )


class EditForm(AIStudioForm):
    """Edit Studio: one image, one edit; erase and inpaint take a painted mask."""

    capability = "edit"
    single_input = True

    assets = SourcesField(
        label="Image",
        error_messages={
            "required": "Pick the image to edit.",
            "invalid_choice": "That image is not in your library.",
        },
    )
    kind = forms.ChoiceField(
        choices=EDIT_KINDS, initial="erase", label="Edit", widget=forms.RadioSelect
    )
    mask = forms.FileField(
        required=False,
        label="Mask",
        help_text="A PNG the size of the image: white where to change, black elsewhere.",
    )
    prompt = _prompt_field("Prompt")
    negative_prompt = _prompt_field("Negative prompt (what to avoid)", rows=2)
    search_prompt = forms.CharField(required=False, max_length=1000, label="Search for")
    select_prompt = forms.CharField(required=False, max_length=1000, label="Recolour")
    left = _side("Left")
    right = _side("Right")
    up = _side("Up")
    down = _side("Down")
    creativity = _percent("Creativity", 50, "How freely the new area is invented (outpaint).")
    grow = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        label="Grow the mask (px)",
        help_text="Soften the edges of the change by this many pixels.",
    )
    seed = _seed_field()
    background_reference = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        to_field_name="code",
        required=False,
        empty_label="None",
        label="Background image (optional)",
        error_messages={"invalid_choice": "That image is not in your library."},
    )
    light_reference = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        to_field_name="code",
        required=False,
        empty_label="None",
        label="Lighting reference (optional)",
        error_messages={"invalid_choice": "That image is not in your library."},
    )

    REQUIREMENTS = {
        **AIStudioForm.REQUIREMENTS,
        "prompt": ("prompt", "{model} needs a prompt: describe what should appear."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mask_png: bytes | None = None
        self._mask_key = ""

    def check_requirements(self, model: AIModel, data: dict) -> None:
        super().check_requirements(model, data)
        if takes_mask(model):
            source = data["assets"][0]
            self.mask_png = self._clean_mask(data.get("mask"), source)
            from_alpha = "mask_or_alpha" in model.requires and source.has_alpha
            if self.mask_png is None and not from_alpha and "mask" not in self.errors:
                what = dict(EDIT_KINDS).get(model.kind, model.kind).split(":")[0].lower()
                if "mask_or_alpha" in model.requires:
                    message = (
                        f"Paint over the area to change first: {what} works on a mask, or on "
                        f"the transparent area of an image with transparency ({source.filename} "
                        "has none)."
                    )
                else:
                    message = f"Paint over the area to change first: {what} works on a mask."
                self.add_error("mask", message)
        if model.kind == "outpaint" and not any(
            data.get(s) for s in ("left", "right", "up", "down")
        ):
            self.add_error(None, "Say how many pixels to add on at least one side.")

    def _clean_mask(self, upload, source: Asset) -> bytes | None:
        """Return the mask as a black-and-white PNG of the image's upright size, or None.

        The upload is checked by its content (decoded with Pillow): it must be an image of the
        input's size, or of its aspect ratio (then resized); all black is no mask at all.
        Errors go on the form's ``mask`` field.
        """
        if not upload:
            return None
        if upload.size > MAX_MASK_BYTES:
            self.add_error("mask", "The mask file is too large; export it as a PNG again.")
            return None
        try:
            upload.seek(0)
            image = decode(upload, max_pixels=settings.STUDIO_MAX_PIXELS).image
        except ImageError:
            self.add_error("mask", "The mask is not an image we can read; paint it again.")
            return None
        size = (source.width, source.height)
        if image.size != size:
            ratio, expected = image.width / image.height, source.width / source.height
            if abs(ratio - expected) / expected > MASK_ASPECT_TOLERANCE:
                self.add_error(
                    "mask",
                    f"The mask is {image.width}×{image.height} but the image is "
                    f"{source.width}×{source.height}; paint it again on this image.",
                )
                return None
            image = image.resize(size, Image.Resampling.NEAREST)
        mask = image.convert("L").point(lambda value: 255 if value >= 128 else 0)
        if mask.getbbox() is None:
            self.add_error("mask", "Paint over the area to change first: the mask is empty.")
            return None
        buffer = io.BytesIO()
        mask.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()

    def steps(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "grow": data.get("grow"),
            "seed": data.get("seed"),
            "creativity": data.get("creativity") if self.ai_model.kind == "outpaint" else None,
            **{side: data.get(side) or None for side in ("left", "right", "up", "down")},
        }

    def job_params(self) -> dict:
        """Return the texts, the stored mask's key and the reference images' codes."""
        params = super().job_params()
        if self.mask_png is not None and takes_mask(self.ai_model):
            params["mask"] = self.store_mask()  # without one, the provider uses the alpha
        if "style_image" in self.ai_model.params:
            references = {
                name: str(self.cleaned_data[name].code)
                for name in ("background_reference", "light_reference")
                if self.cleaned_data.get(name)
            }
            if references:
                params["references"] = references
        return params

    def store_mask(self) -> str:
        """Store the mask once under masks/<workspace code>/<uuid>.png; return its storage key."""
        if not self._mask_key and self.mask_png is not None:
            name = f"masks/{self.workspace.code}/{uuid.uuid4().hex}.png"
            self._mask_key = default_storage.save(name, ContentFile(self.mask_png))
        return self._mask_key

    def discard_uploads(self) -> None:
        """Delete the stored mask of a job that was not started (refused by billing)."""
        if self._mask_key:
            default_storage.delete(self._mask_key)
            self._mask_key = ""


class EditQuoteForm(QuotingMixin, EditForm):
    """The Edit form as the live quote binds it."""


# --- Upscale ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The size one input will have after upscaling; ``refusal`` when the model cannot make it."""

    asset: Asset
    width: int
    height: int
    approximate: bool
    refusal: str = ""

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000


#: Long side of the result per target resolution (the WaveSpeed upscalers' 2k | 4k | 8k).
RESOLUTION_LONG_SIDES = {"2k": 2048, "4k": 4096, "8k": 8192}
DEFAULT_RESOLUTION = "4k"


def default_resolution(model: AIModel) -> str:
    """Return the target resolution preselected for ``model``: 4k where it offers it."""
    allowed = param_choices(model, "resolution", UPSCALE_RESOLUTIONS)
    return DEFAULT_RESOLUTION if DEFAULT_RESOLUTION in allowed else allowed[0]


def upscale_target(
    model: AIModel, asset: Asset, factor: int, resolution: str | None = None
) -> Target:
    """Return the size ``model`` makes of ``asset`` at ``factor`` or ``resolution``, or why not.

    A model with a fixed factor (Stability fast: 4×) uses it; one that takes "resolution" (the
    WaveSpeed upscalers) makes the long side 2048, 4096 or 8192 px for 2k, 4k or 8k (default
    4k), keeping the aspect ratio (approximate: the provider rounds the size); one that takes
    "factor" uses the user's; one with none of these (Stability conservative and creative)
    makes about ``max_output_pixels`` keeping the aspect ratio (approximate). Refused when above
    the model's ``max_output_pixels`` or settings.STUDIO_MAX_PIXELS (the result could not be
    stored: assets.services.store_generated probes it against that limit).
    """
    width, height = asset.width, asset.height
    if model.upscale_factor:
        scale, approximate = model.upscale_factor, False
    elif "resolution" in model.params:
        side = RESOLUTION_LONG_SIDES[resolution or default_resolution(model)]
        scale, approximate = side / max(width, height), True
    elif "factor" in model.params:
        scale, approximate = factor, False
    elif model.max_output_pixels:
        scale, approximate = math.sqrt(model.max_output_pixels / (width * height)), True
    else:
        scale, approximate = 1, True
    target = Target(asset, round(width * scale), round(height * scale), approximate)
    limit = model.max_output_pixels
    if limit and not approximate and target.width * target.height > limit:
        return Target(
            asset,
            target.width,
            target.height,
            approximate,
            f"{asset.filename} would become {target.width}×{target.height} "
            f"({target.megapixels:.0f} MP); {model.label} makes at most {limit / 1e6:.0f} MP. "
            "Pick a smaller factor or another upscaler.",
        )
    ours = settings.STUDIO_MAX_PIXELS  # the one pixel limit, for results as for uploads
    if target.width * target.height > ours:
        return Target(
            asset,
            target.width,
            target.height,
            approximate,
            f"{asset.filename} would become {target.width}×{target.height} "
            f"({target.megapixels:.0f} MP); the largest image we keep is {ours / 1e6:g} MP. "
            f"Pick a smaller {'resolution' if 'resolution' in model.params else 'factor'}.",
        )
    return target


class UpscaleForm(AIStudioForm):
    """Upscale Studio: one or more images, one upscaler."""

    capability = "upscale"

    assets = SourcesField(
        label="Images",
        error_messages={
            "required": "Pick at least one image.",
            "invalid_choice": "That image is not in your library.",
        },
    )
    factor = forms.TypedChoiceField(
        choices=[(2, "2×"), (3, "3×"), (4, "4×")],
        coerce=int,
        empty_value=None,
        required=False,
        initial=2,
        widget=forms.RadioSelect,
        help_text="For upscalers that take a factor; the others have their own size.",
    )
    resolution = forms.ChoiceField(
        choices=[(value, value.upper()) for value in UPSCALE_RESOLUTIONS],
        required=False,
        initial=DEFAULT_RESOLUTION,
        label="Target resolution",
        widget=forms.RadioSelect,
        help_text="For upscalers that make a set size: the long side becomes 2048 (2K), "
        "4096 (4K) or 8192 px (8K).",
    )
    prompt = _prompt_field("Prompt (what the image shows)")
    negative_prompt = _prompt_field("Negative prompt (what to avoid)", rows=2)
    creativity = _percent("Creativity", 30, "How much detail the upscaler may invent.")

    def clean(self):
        data = super().clean()
        model = data.get("ai_model")
        if model is not None and "resolution" in model.params and not data.get("resolution"):
            data["resolution"] = default_resolution(model)
        if model is not None:
            for target in self.targets():
                if target.refusal:
                    self.add_error(None, target.refusal)
        return data

    def targets(self) -> list[Target]:
        """Return each picked input's size after upscaling (the form must be valid)."""
        data = self.cleaned_data
        factor, resolution = data.get("factor") or 2, data.get("resolution") or None
        model = data["ai_model"]
        return [upscale_target(model, asset, factor, resolution) for asset in data["assets"]]

    def steps(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "factor": data.get("factor") or 2,
            "resolution": data.get("resolution") or None,
            "creativity": data.get("creativity"),
        }


class UpscaleQuoteForm(QuotingMixin, UpscaleForm):
    """The Upscale form as the live quote binds it."""


# --- Control ---------------------------------------------------------------------------------

CONTROL_KINDS = [
    ("sketch", "Sketch: turn a drawing into a finished image"),
    ("structure", "Structure: keep the layout, change everything else"),
    ("style", "Style guide: a new image in this image's style"),
    ("style-transfer", "Style transfer: repaint this image in a second image's style"),
]


class ControlForm(AIStudioForm):
    """Control Studio: one image steers a new one (sketch, structure, style, style transfer)."""

    capability = "control"
    single_input = True

    assets = SourcesField(
        label="Image",
        error_messages={
            "required": "Pick the image to start from.",
            "invalid_choice": "That image is not in your library.",
        },
    )
    kind = forms.ChoiceField(
        choices=CONTROL_KINDS, initial="sketch", label="Control", widget=forms.RadioSelect
    )
    style_image = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        to_field_name="code",
        required=False,
        empty_label="Pick a style image",
        label="Style image",
        help_text="Its look is applied to the image (style transfer).",
        error_messages={"invalid_choice": "That style image is not in your library."},
    )
    prompt = _prompt_field("Prompt")
    negative_prompt = _prompt_field("Negative prompt (what to avoid)", rows=2)
    strength = _percent("Strength", 70, "How closely the result follows the image.")
    fidelity = _percent("Fidelity", 50, "How much of the style (or the layout) is kept.")
    seed = _seed_field()

    REQUIREMENTS = {
        **AIStudioForm.REQUIREMENTS,
        "style_image": ("style_image", "{model} needs a style image: pick one from your library."),
    }

    def steps(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "strength": data.get("strength"),
            "fidelity": data.get("fidelity"),
            "seed": data.get("seed"),
        }

    def job_params(self) -> dict:
        """Return the texts and, for style transfer, the style image's code."""
        params = super().job_params()
        style = self.cleaned_data.get("style_image")
        if style is not None and "style_image" in self.ai_model.params:
            params["references"] = {"style": str(style.code)}
        return params


class ControlQuoteForm(QuotingMixin, ControlForm):
    """The Control form as the live quote binds it."""
