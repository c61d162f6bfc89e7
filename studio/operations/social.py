"""Social Optimizer: every ticked platform format from every picked image, in one job."""

from __future__ import annotations

from assets.models import Asset
from studio.operations import Operation, register
from studio.operations.specs_runner import run_specs

register(
    Operation(
        name="social",
        label="Social Optimizer",
        run=lambda job: run_specs(job, module=Asset.Module.SOCIAL),
    )
)
