"""Which providers are configured, which models a user may pick, and "auto" selection.

Adapters are looked up by provider name; a provider without its key in the environment is
"not configured", listed with the variables to set, and its models are never offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

from billing.models import Plan
from providers.base import Adapter, NotConfigured, ProviderConfig
from providers.models import AIModel

#: provider name -> "module.Class" of its adapter (one module per provider, DESIGN.md).
ADAPTERS = {
    "stability": "providers.stability.StabilityAdapter",
    "wavespeed": "providers.wavespeed.WaveSpeedAdapter",
    "huggingface": "providers.huggingface.HuggingFaceAdapter",
    "gemini": "providers.gemini.GeminiAdapter",
    "local": "providers.local.LocalAdapter",
}
LABELS = {
    "stability": "Stability AI",
    "wavespeed": "WaveSpeed AI",
    "huggingface": "Hugging Face",
    "gemini": "Google Gemini",
    "local": "On our servers",
}
#: Auto-pick modes and the order of tiers each prefers.
MODES = {
    "budget": ("budget", "balanced", "quality"),
    "balanced": ("balanced", "quality", "budget"),
    "quality": ("quality", "balanced", "budget"),
}


@dataclass(frozen=True)
class ProviderStatus:
    """A provider as the pages show it: configured or not, and what to set if not."""

    name: str
    label: str
    configured: bool
    env: tuple[str, ...]

    @property
    def hint(self) -> str:
        """Return what an operator must set, e.g. "Set STABILITY_API_KEY"."""
        return "" if self.configured else f"Set {self.env[0]} to enable it." if self.env else ""


def is_configured(provider: str) -> bool:
    """Return True if the provider can be called here ("local" always can)."""
    if provider == "local":
        return True
    return bool(settings.PROVIDERS.get(provider, {}).get("api_key"))


def statuses() -> list[ProviderStatus]:
    """Return every provider with its configuration state, local first."""
    result = [ProviderStatus("local", LABELS["local"], True, ())]
    for name, entry in settings.PROVIDERS.items():
        result.append(
            ProviderStatus(name, LABELS.get(name, name), is_configured(name), tuple(entry["env"]))
        )
    return result


def get_adapter(provider: str) -> Adapter:
    """Return the adapter of a configured provider.

    Raises NotConfigured (a ProviderError) naming the variable to set when the key is missing,
    and KeyError for a provider we have no adapter for.
    """
    if not is_configured(provider):
        env = settings.PROVIDERS.get(provider, {}).get("env", [f"{provider.upper()}_API_KEY"])
        raise NotConfigured(
            f"{LABELS.get(provider, provider)} is not configured on this server "
            f"(an administrator must set {env[0]}). Pick another model; nothing was charged."
        )
    module_name, _, class_name = ADAPTERS[provider].rpartition(".")
    adapter_class = getattr(import_module(module_name), class_name)
    return adapter_class(ProviderConfig.from_settings(provider))


@dataclass(frozen=True)
class Choice:
    """A model as a picker shows it: usable or not, and why not."""

    model: AIModel
    available: bool
    reason: str = ""


def choices(
    capability: str,
    *,
    plan: Plan,
    kind: str | None = None,
    inputs: Sequence = (),
) -> list[Choice]:
    """Return the offered models of a capability, each marked available or with the reason not.

    A model is unavailable when its provider is not configured, the plan does not include it,
    or one of ``inputs`` (Assets: width, height, bytes, format) is outside its limits.
    """
    result = []
    for model in AIModel.objects.for_capability(capability, kind):
        reason = unavailable_reason(model, plan=plan, inputs=inputs)
        result.append(Choice(model, reason is None, reason or ""))
    return result


def unavailable_reason(model: AIModel, *, plan: Plan, inputs: Iterable = ()) -> str | None:
    """Return why a model cannot be used by this plan on these inputs, or None if it can."""
    if not is_configured(model.provider):
        return f"{LABELS.get(model.provider, model.provider)} is not configured."
    if not plan.allows_model(model.price.model_ref):
        return f"Not in the {plan.name} plan."
    for asset in inputs:
        refusal = model.refuses_input(
            width=asset.width, height=asset.height, size=asset.bytes, format=asset.format
        )
        if refusal:
            return refusal
    return None


def auto_pick(
    capability: str,
    *,
    plan: Plan,
    mode: str = "balanced",
    kind: str | None = None,
    inputs: Sequence = (),
) -> AIModel | None:
    """Return the model "auto" means for this mode, plan and inputs, or None if none fits.

    budget: the cheapest available model (ties: faster first); quality: the best tier, then
    the faster; balanced: the balanced tier first, then quality, then budget, cheaper first.
    Raises ValueError for an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}; use one of {', '.join(MODES)}")
    usable = [
        c.model for c in choices(capability, plan=plan, kind=kind, inputs=inputs) if c.available
    ]
    if not usable:
        return None
    tiers = MODES[mode]
    if mode == "budget":
        return min(usable, key=lambda m: (m.credits, m.typical_seconds, m.sort))
    return min(
        usable,
        key=lambda m: (
            tiers.index(m.tier),
            m.credits if mode == "balanced" else 0,
            m.typical_seconds,
            m.sort,
        ),
    )
