"""Compression Studio: one compression spec on several images at once."""

from __future__ import annotations

from assets.models import Asset
from studio.operations import Operation, register
from studio.operations.specs_runner import run_specs

register(
    Operation(
        name="compress",
        label="Compression Studio",
        run=lambda job: run_specs(job, module=Asset.Module.COMPRESS),
    )
)
