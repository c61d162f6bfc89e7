"""The shared runner of spec-based operations: these specs on these input assets.

Social Optimizer and Compression Studio differ only in how their forms turn into specs; the
work is the same: decode each input once, render every spec, store each rendition as a derived
asset of its input, report progress per input.
"""

from __future__ import annotations

import io

from django.conf import settings

from assets.services import make_thumbnail, store_rendition
from studio.imaging.errors import ImageError
from studio.models import Job
from studio.operations import OperationError
from studio.specs import SpecError, parse, render_all


def run_specs(job: Job, *, module: str) -> str:
    """Render every spec of the job on every input; return the success message.

    Raises OperationError when no output could be made; inputs that fail while others succeed
    are named in the returned message.
    """
    try:
        specs = [parse(text) for text in job.specs]
    except SpecError as exc:
        raise OperationError(str(exc)) from None
    inputs = list(job.inputs.order_by("pk"))
    if not inputs:
        raise OperationError("The source images of this job were deleted before it ran.")
    made, refused = 0, []
    for index, source in enumerate(inputs):
        job.report_progress(
            round(100 * index / len(inputs)),
            f"Processing {source.filename} ({index + 1} of {len(inputs)})",
        )
        try:
            with source.file.open("rb") as fp:
                data = io.BytesIO(fp.read())
            renditions = render_all(data, specs, max_pixels=settings.STUDIO_MAX_PIXELS)
        except ImageError as exc:
            refused.append(f"{source.filename}: {exc}")
            continue
        for spec, rendition in zip(specs, renditions, strict=True):
            output = store_rendition(
                source=source, spec=str(spec), rendition=rendition, module=module, user=job.user
            )
            if not output.thumbnail:
                make_thumbnail(output)
            job.outputs.add(output)
            made += 1
    if not made:
        raise OperationError("No file could be made. " + " ".join(refused))
    message = f"Made {made} file{'s' if made != 1 else ''} from {len(inputs) - len(refused)} image{'s' if len(inputs) - len(refused) != 1 else ''}."
    if refused:
        message += " Skipped: " + " ".join(refused)
    return message
