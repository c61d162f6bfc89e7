"""``manage.py apply_spec SPEC FILE... --output DIR``: run recipes on local files.

Prints one JSON line per output, ``{"input", "output", "width", "height", "format", "bytes",
"spec"}``, and one ``{"input", "error"}`` line per refused input; exits with status 1 if any
input was refused. ``apply_spec --list-formats`` prints the social formats instead.

AI specs (``generate-stability-core|seed-42``, ``upscale-local-lanczos|factor-2``) call the
provider the spec names, with the key from the environment, exactly as a job does; their
texts come by option (``--prompt``, ``--negative-prompt``, ``--search-prompt``,
``--select-prompt``), and ``--mask`` / ``--style-image`` name extra files. A generation spec
needs no input file. Output lines of AI steps add "provider", "model" and "seed".

Image-only specs run the code of ``studio-spec`` (studio.cli), which needs no Django at all;
this command skips Django's system checks, which would import every URLconf and view.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from studio.cli import DEFAULT_MAX_PIXELS, apply_to_file, parse_specs, social_formats
from studio.imaging.errors import ImageError
from studio.specs import Spec, SpecError


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # the checks import every URLconf and view
    help = (
        "Apply one or more specs (separated by ',') to image files, writing "
        "<input stem>.<spec slug>.<ext> into --output; or --list-formats."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("spec", nargs="?", help="e.g. 'social-x-post,fill-400x400-smart'")
        parser.add_argument("files", nargs="*", help="image files to read")
        parser.add_argument("--output", type=Path, help="directory for the outputs")
        parser.add_argument(
            "--list-formats", action="store_true", help="print the social formats and exit"
        )
        for name in ("prompt", "negative-prompt", "search-prompt", "select-prompt"):
            parser.add_argument(f"--{name}", default="", help=f"AI specs: the {name}")
        parser.add_argument("--mask", type=Path, help="AI edits: a PNG mask, white = change")
        parser.add_argument("--style-image", type=Path, help="style transfer: the style image")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list_formats"]:
            self._list_formats()
            return
        if not options["spec"] or options["output"] is None:
            raise CommandError("Give a spec, at least one file and --output DIR.")
        specs = self._parse(options["spec"])
        if any(spec.model_step for spec in specs):
            self._apply_ai(specs, options)
            return
        if not options["files"]:
            raise CommandError("Give a spec, at least one file and --output DIR.")
        output: Path = options["output"]
        output.mkdir(parents=True, exist_ok=True)
        max_pixels = getattr(settings, "STUDIO_MAX_PIXELS", DEFAULT_MAX_PIXELS)
        refused = 0
        for name in options["files"]:
            refused += not self._apply(Path(name), specs, output, max_pixels)
        if refused:
            total = len(options["files"])
            raise CommandError(f"{refused} of {total} inputs were refused.", returncode=1)

    def _parse(self, text: str) -> list[Spec]:
        """Parse every spec before touching any file; CommandError names the bad one."""
        try:
            return parse_specs(text)
        except SpecError as error:
            raise CommandError(f"Bad spec: {error}") from error

    def _apply(self, path: Path, specs: list[Spec], output: Path, max_pixels: int) -> bool:
        """Render every spec from one input; print a line per output; False if refused."""
        records = apply_to_file(path, specs, output, max_pixels=max_pixels)
        for record in records:
            self._line(record)
        return not any("error" in record for record in records)

    def _apply_ai(self, specs: list[Spec], options: dict[str, Any]) -> None:
        """Run AI specs once per input file (once in all for generation) through the providers."""
        from providers.base import MemoryCheckpoint, ProviderError
        from studio.operations import OperationError
        from studio.operations.ai import build_request, model_for, prepare_input

        if any(spec.model_step is None for spec in specs):
            raise CommandError("Do not mix AI specs and image specs in one run.")
        texts = {
            name: options[name]
            for name in ("prompt", "negative_prompt", "search_prompt", "select_prompt")
        }
        mask = options["mask"].read_bytes() if options["mask"] else None
        references = (
            {"style": options["style_image"].read_bytes()} if options["style_image"] else {}
        )
        output: Path = options["output"]
        output.mkdir(parents=True, exist_ok=True)
        failed = 0
        for spec in specs:
            try:
                model = model_for(spec)
            except OperationError as error:
                raise CommandError(str(error)) from None
            from providers.registry import get_adapter

            for path in [Path(name) for name in options["files"]] or [None]:
                label = str(path) if path else "(prompt)"
                try:
                    image = prepare_input(path.read_bytes(), model) if path else None
                    request = build_request(
                        model, spec, texts=texts, image=image, mask=mask, references=references
                    )
                    result = get_adapter(model.provider).run(request, MemoryCheckpoint())
                except (ProviderError, ImageError, OSError) as error:
                    self._line({"input": label, "error": str(error)})
                    failed += 1
                    continue
                extension = result.media_type.rpartition("/")[2].replace("jpeg", "jpg") or "bin"
                stem = path.stem if path else "generated"
                target = output / f"{stem}.{spec.slug()}.{extension}"
                target.write_bytes(result.data)
                self._line(
                    {
                        "input": label,
                        "output": str(target),
                        "bytes": len(result.data),
                        "media_type": result.media_type,
                        "spec": str(spec),
                        "provider": model.provider,
                        "model": model.model,
                        "seed": result.seed,
                    }
                )
        if failed:
            raise CommandError(f"{failed} AI calls failed.", returncode=1)

    def _list_formats(self) -> None:
        for record in social_formats():
            self._line(record)

    def _line(self, record: dict[str, object]) -> None:
        self.stdout.write(json.dumps(record, ensure_ascii=False))
