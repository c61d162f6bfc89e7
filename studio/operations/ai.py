"""The AI studios (Create, Edit, Upscale, Control): one provider call per output, resumable.

A job's specs each name a model (``generate-stability-core|seed-42``); a spec listed N times
makes N variations. Each (spec, input) pair is a *slot*. For every slot the runner builds a
providers.base.ProviderRequest from the spec, the job's texts (prompt, negative prompt, search
and select prompts), its mask and reference images, calls the provider's adapter, validates
the file it sends back like an upload, and stores it as an asset carrying provider, model,
seed, prompt and cost. What must survive a retried task lives on the job row: a prediction
id before its first poll (``params.predictions``), each finished slot (``params.done``), so
a resumed run neither submits a paid call twice nor makes an output twice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage

from assets.models import Asset
from assets.services import UploadError, make_thumbnail, store_generated
from providers.base import Moderated, NotConfigured, ProviderError, ProviderRequest
from providers.models import AIModel
from providers.registry import get_adapter
from studio.imaging.encode import encode
from studio.imaging.errors import ImageError
from studio.imaging.load import decode, probe
from studio.models import Job
from studio.operations import Operation, OperationError, register
from studio.specs import Spec, SpecError, parse

#: Job text parameters passed to providers (ProviderRequest.prompt, .negative_prompt, options).
TEXTS = ("prompt", "negative_prompt", "search_prompt", "select_prompt")


class ResumeLater(Exception):
    """A prediction was submitted but its result could not be fetched yet; run the job again."""


class JobCheckpoint:
    """providers.base.Checkpoint on a job row: ``params.predictions[slot]``."""

    def __init__(self, job: Job, slot: str) -> None:
        self.job, self.slot = job, slot

    def load(self) -> str | None:
        return self.job.params.get("predictions", {}).get(self.slot)

    def save(self, prediction_id: str) -> None:
        self.job.save_param("predictions", self.slot, value=prediction_id)


@dataclass(frozen=True)
class Slot:
    key: str
    spec: Spec
    source: Asset | None


def run_ai(job: Job, *, module: str) -> str:
    """Make every output of an AI job; return the success message.

    Raises OperationError when no output could be made (the job fails and its hold is
    released), ResumeLater when a submitted prediction must be polled again later. When only
    some outputs fail, the others are kept and ``params.credits_used`` charges only them.
    """
    try:
        specs = [parse(text) for text in job.specs]
    except SpecError as exc:
        raise OperationError(str(exc)) from None
    inputs = list(job.inputs.order_by("pk"))
    slots = [
        Slot(f"{i}.{j}", spec, source)
        for i, spec in enumerate(specs)
        for j, source in enumerate(inputs or [None])
    ]
    texts = {name: job.params.get(name, "") for name in TEXTS}
    mask = _read_mask(job)
    references = _read_references(job)
    done: dict = dict(job.params.get("done", {}))
    # Failures are kept too: a resumed job must not submit a failed paid call again.
    failed: dict = dict(job.params.get("failed", {}))
    resume: ResumeLater | None = None
    for index, slot in enumerate(slots):
        if slot.key in done or slot.key in failed:
            continue
        job.report_progress(
            round(100 * index / len(slots)),
            f"Making image {index + 1} of {len(slots)}"
            + (f" from {slot.source.filename}" if slot.source else ""),
        )
        try:
            asset = _stored_output(job, slot) or _run_slot(
                job, slot, texts, mask, references, module
            )
        except ProviderError as exc:
            if exc.retry_later:
                resume = ResumeLater(str(exc))
                continue
            failed[slot.key] = str(exc)
            job.save_param("failed", slot.key, value=str(exc))
            if isinstance(exc, NotConfigured | Moderated) and len(set(failed.values())) == 1:
                break  # a missing key or a moderated prompt fails every slot the same way
            continue
        except (UploadError, ImageError) as exc:
            failed[slot.key] = str(exc)
            job.save_param("failed", slot.key, value=str(exc))
            continue
        done[slot.key] = {"asset": str(asset.code), "credits": asset.cost_credits or 0}
        job.save_param("done", slot.key, value=done[slot.key])
    if resume is not None:
        raise resume
    made = len(done)
    job.save_param("credits_used", value=sum(entry["credits"] for entry in done.values()))
    reasons = " ".join(dict.fromkeys(failed.values()))
    if not made:
        raise OperationError(reasons or "Nothing was made.")
    message = f"Made {made} image{'s' if made != 1 else ''}."
    if made < len(slots):
        message += f" {len(slots) - made} failed and were not charged: {reasons}"
    return message


def model_for(spec: Spec) -> AIModel:
    """Return the registry entry a spec's model step names (offered or not: a job started
    before staff withdrew a model still runs). Raises OperationError for a spec without a
    model step or naming a model we do not have."""
    model_step = spec.model_step
    if model_step is None:
        raise OperationError(f"“{spec}” names no AI model.")
    AIModel.objects.ensure_seeded()
    model = AIModel.objects.select_related("price").filter(price__key=model_step.key).first()
    if model is None:
        raise OperationError(f"“{model_step}” is not a model we offer.")
    return model


def build_request(
    model: AIModel,
    spec: Spec,
    *,
    texts: dict[str, str],
    image: bytes | None = None,
    mask: bytes | None = None,
    references: dict[str, bytes] | None = None,
) -> ProviderRequest:
    """Return the provider request for one output of ``spec`` on ``model``.

    ``texts`` holds any of TEXTS ("prompt", ...); ``image`` is the prepared input file,
    ``mask`` a PNG (white = change), ``references`` named extra images ({"style": bytes}).
    """
    options = {**_provider_options(spec.ai_options(), model), "edit_kind": model.kind}
    for name in ("search_prompt", "select_prompt"):
        if texts.get(name):
            options[name] = texts[name]
    return ProviderRequest(
        model=model.model,
        capability=model.capability,
        prompt=texts.get("prompt", ""),
        negative_prompt=texts.get("negative_prompt", ""),
        options=options,
        image=image,
        mask=mask,
        references=references or {},
    )


def _stored_output(job: Job, slot: Slot) -> Asset | None:
    """Return the output a run that died before recording it stored for this slot."""
    asset = Asset.objects.filter(
        workspace=job.workspace, details__job=str(job.code), details__slot=slot.key
    ).first()
    if asset is not None:
        if not asset.thumbnail:
            make_thumbnail(asset)
        job.outputs.add(asset)
    return asset


def _run_slot(
    job: Job, slot: Slot, texts: dict, mask: bytes | None, references: dict, module: str
) -> Asset:
    model = model_for(slot.spec)
    image = None
    if slot.source is not None:
        with slot.source.file.open("rb") as fp:
            image = prepare_input(fp.read(), model)
    request = build_request(
        model, slot.spec, texts=texts, image=image, mask=mask, references=references
    )
    options = request.options
    output = get_adapter(model.provider).run(request, JobCheckpoint(job, slot.key))
    asset = store_generated(
        workspace=job.workspace,
        user=job.user,
        data=output.data,
        source=slot.source,
        spec=str(slot.spec),
        module=module,
        provider=model.provider,
        model=model.model,
        prompt=texts["prompt"],
        seed=output.seed if output.seed is not None else options.get("seed"),
        cost_credits=_unit_credits(job, model.key),
        details={
            "finish_reason": output.finish_reason,
            "prediction_id": output.prediction_id,
            "negative_prompt": texts["negative_prompt"],
            **{k: v for k, v in output.details.items() if isinstance(v, str | int | float | bool)},
            # Which job and slot made it: a resumed run finds it here instead of storing twice.
            "job": str(job.code),
            "slot": slot.key,
        },
        storage_name=f"jobs/{job.code.hex}/{slot.key}",
    )
    make_thumbnail(asset)
    job.outputs.add(asset)
    return asset


#: Control kinds whose sliders have their own names at Stability (v2beta control endpoints).
_CONTROL_NAMES = {
    "sketch": {"strength": "control_strength"},
    "structure": {"strength": "control_strength"},
    "style-transfer": {"strength": "style_strength", "fidelity": "composition_fidelity"},
}


def _provider_options(options: dict, model: AIModel) -> dict:
    """Rename the spec's generic sliders to what a control endpoint calls them."""
    names = _CONTROL_NAMES.get(model.kind, {}) if model.capability == "control" else {}
    return {names.get(name, name): value for name, value in options.items()}


def _unit_credits(job: Job, key: str) -> int:
    """Return the credits one output of ``key`` was quoted at (the hold, not today's price)."""
    lines = job.params.get("quote", {}).get("lines", [])
    for line in lines:
        if line["key"] == key:
            return int(line["unit_credits"])
    return 0


def prepare_input(data: bytes, model: AIModel) -> bytes:
    """Return an input file as the model takes it: upright, in a format it accepts.

    Files already upright in an accepted format (AIModel.input_formats; empty: any) are sent
    unchanged; others (HEIC, TIFF, EXIF-rotated photos, whose orientation many providers
    ignore) are decoded and sent as PNG when they have transparency, else as JPEG at quality
    95. Raises studio.imaging.errors.ImageError for a file that is not a usable image.
    """
    info = probe(io.BytesIO(data), max_pixels=settings.STUDIO_MAX_PIXELS)
    accepted = model.input_formats or [info.format]
    if info.format in accepted and info.orientation == 1:
        return data
    decoded = decode(io.BytesIO(data), max_pixels=settings.STUDIO_MAX_PIXELS)
    image = decoded.image
    if image.mode == "RGBA":
        return encode(image, format="png", icc_profile=decoded.icc_profile)
    return encode(image, format="jpeg", quality=95, icc_profile=decoded.icc_profile)


def _read_mask(job: Job) -> bytes | None:
    key = job.params.get("mask")
    if not key:
        return None
    try:
        with default_storage.open(key, "rb") as fp:
            return fp.read()
    except OSError:
        raise OperationError(
            "The mask of this job was deleted before it ran; draw it again."
        ) from None


def _read_references(job: Job) -> dict[str, bytes]:
    """Return the job's reference images (e.g. {"style": bytes}), each from this workspace."""
    references = {}
    for name, code in job.params.get("references", {}).items():
        asset = Asset.objects.filter(workspace=job.workspace, code=code).first()
        if asset is None:
            raise OperationError(f"The {name} image of this job was deleted before it ran.")
        with asset.file.open("rb") as fp:
            references[name] = fp.read()
    return references


def _queue(specs: list[str]) -> str:
    """Local models compute here ("cpu"); every other provider call mostly waits ("io")."""
    local = all(spec.split("|", 1)[0].split("-")[1:2] == ["local"] for spec in specs)
    return "cpu" if local else "io"


for _name, _label, _module in (
    ("generate", "Create Studio", Asset.Module.CREATE),
    ("edit", "Edit Studio", Asset.Module.EDIT),
    ("upscale", "Upscale Studio", Asset.Module.UPSCALE),
    ("control", "Control Studio", Asset.Module.CONTROL),
):
    register(
        Operation(
            name=_name,
            label=_label,
            run=lambda job, module=_module: run_ai(job, module=module),
            queue="io",
            route=_queue,
        )
    )
