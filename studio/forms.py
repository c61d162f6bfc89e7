"""Forms of the studio modules: each turns what the user chose into specs and input assets."""

from __future__ import annotations

import re
import uuid

from django import forms

from assets.models import Asset
from studio.social import COMPRESSION_PRESETS, SOCIAL_FORMATS


class SourcesField(forms.ModelMultipleChoiceField):
    """Assets picked by their public code; the queryset limits the choice to the user's."""

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=Asset.objects.none(), to_field_name="code", **kwargs)

    def label_from_instance(self, obj: Asset) -> str:
        return f"{obj.filename} ({obj.width}×{obj.height})"


class StudioForm(forms.Form):
    """Base of studio forms: ``assets`` limited to the workspace, an idempotency key."""

    assets = SourcesField(
        error_messages={
            "required": "Pick at least one image.",
            "invalid_choice": "That image is not in your library.",
        },
    )

    idempotency_key = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.HiddenInput,
        help_text="Made when the form is shown; a second submit of the same form reuses the job.",
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assets"].queryset = Asset.objects.for_workspace(workspace).usable()
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


CROP_MODES = [
    ("smart", "Smart (keeps faces and subjects)"),
    ("center", "Centre"),
    ("focal", "Focal point (click the image)"),
    ("fit-pad", "Fit inside, pad with a colour"),
    ("fit-blur", "Fit inside, blurred background"),
]

_HEX = re.compile(r"^#?[0-9a-fA-F]{6}$")


class SocialForm(StudioForm):
    formats = forms.MultipleChoiceField(
        choices=[
            (f.name, f"{f.platform_label} {f.label} ({f.width}×{f.height})")
            for f in SOCIAL_FORMATS.values()
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one platform format."},
    )
    crop_mode = forms.ChoiceField(choices=CROP_MODES, initial="smart")
    pad_color = forms.CharField(
        initial="#ffffff", required=False, widget=forms.TextInput(attrs={"type": "color"})
    )
    focal_x = forms.FloatField(min_value=0, max_value=100, required=False, initial=50)
    focal_y = forms.FloatField(min_value=0, max_value=100, required=False, initial=50)

    def clean_pad_color(self) -> str:
        value = (self.cleaned_data.get("pad_color") or "#ffffff").strip()
        if not _HEX.match(value):
            raise forms.ValidationError("Pad colour must be a hex colour like #ffffff.")
        return value.lstrip("#").lower()

    def clean(self):
        data = super().clean()
        if data.get("crop_mode") == "focal" and (
            data.get("focal_x") is None or data.get("focal_y") is None
        ):
            raise forms.ValidationError(
                "Click the image to set a focal point, or pick another crop mode."
            )
        return data

    def crop_step(self) -> str:
        """Return the crop step that follows each social step (empty for the smart default)."""
        data = self.cleaned_data
        mode = data["crop_mode"]
        if mode == "center":
            return "crop-center"
        if mode == "focal":
            return f"crop-fp{round(data['focal_x'])}-{round(data['focal_y'])}"
        if mode == "fit-pad":
            return f"crop-fit-pad-{data['pad_color']}"
        if mode == "fit-blur":
            return "crop-fit-blur"
        return ""

    def specs(self) -> list[str]:
        """Return one spec per ticked format, in the order of SOCIAL_FORMATS."""
        crop = self.crop_step()
        ticked = set(self.cleaned_data["formats"])
        return [
            f"social-{name}" + (f"|{crop}" if crop else "")
            for name in SOCIAL_FORMATS
            if name in ticked
        ]


OUTPUT_FORMATS = [("jpeg", "JPEG"), ("png", "PNG"), ("webp", "WebP"), ("avif", "AVIF")]


def preset_fields(spec: str) -> dict[str, str]:
    """Return the form values a compression preset's spec stands for (used to fill the form)."""
    fields = {"format": "", "quality": "", "target_kb": "", "strip": "0", "progressive": "0"}
    for step in spec.split("|"):
        name, _, value = step.partition("-")
        if name == "format":
            fields["format"] = value
        elif name == "quality":
            fields["quality"] = value
        elif name == "targetkb":
            fields["target_kb"] = value
        elif name in ("strip", "progressive"):
            fields[name] = "1"
    return fields


class CompressForm(StudioForm):
    preset = forms.ChoiceField(
        choices=[("", "Custom")]
        + [(key, preset.label) for key, preset in COMPRESSION_PRESETS.items()],
        required=False,
    )
    format = forms.ChoiceField(choices=OUTPUT_FORMATS, initial="webp")
    quality = forms.IntegerField(
        min_value=1, max_value=100, initial=80, widget=forms.NumberInput(attrs={"type": "range"})
    )
    target_kb = forms.IntegerField(
        min_value=5, max_value=50_000, required=False, label="Target size (KB)"
    )
    strip = forms.BooleanField(
        required=False, initial=True, label="Strip metadata (keeps the colour profile)"
    )
    progressive = forms.BooleanField(required=False, label="Progressive JPEG")

    def spec(self) -> str:
        """Return the compression spec: a preset's spec, or one built from the fields."""
        data = self.cleaned_data
        if data.get("preset"):
            return COMPRESSION_PRESETS[data["preset"]].spec
        steps = [f"format-{data['format']}"]
        if data["format"] != "png":
            steps.append(f"quality-{data['quality']}")
        if data.get("target_kb"):
            steps.append(f"targetkb-{data['target_kb']}")
        if data.get("progressive") and data["format"] == "jpeg":
            steps.append("progressive")
        if data.get("strip"):
            steps.append("strip")
        return "|".join(steps)

    def specs(self) -> list[str]:
        return [self.spec()]
