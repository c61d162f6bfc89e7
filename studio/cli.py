"""``studio-spec``: run image recipes on local files without Django, a database or a worker.

The recipe language and the imaging core import no Django (tests/test_layers.py), so a spec
made only of image steps (``social-x-post``, ``fill-400x400-smart|format-webp``) needs none of
the product's start-up. ``manage.py apply_spec`` shares this code and adds AI specs, which
need the model registry in the database::

    studio-spec --list-formats
    studio-spec 'social-x-post,format-webp|targetkb-200' photo.jpg --output out/

Prints one JSON line per output (``input, output, width, height, format, bytes, spec``) and
one ``{"input", "error"}`` line per refused input; exits 1 if any input was refused, 2 for a
bad command line or spec.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from studio.imaging.errors import ImageError
from studio.social import SOCIAL_FORMATS
from studio.specs import Spec, SpecError, parse, render_all

#: Largest input in pixels: STUDIO_MAX_PIXELS from the environment, as studio/settings.py
#: reads it (default 100 MP there and here).
DEFAULT_MAX_PIXELS = 100_000_000


def max_pixels_from_env() -> int:
    """Return STUDIO_MAX_PIXELS from the environment, or DEFAULT_MAX_PIXELS."""
    value = os.environ.get("STUDIO_MAX_PIXELS", "").strip()
    return int(value) if value else DEFAULT_MAX_PIXELS


def social_formats() -> Iterator[dict[str, object]]:
    """Yield one record per social format: name, platform, width and height (px), max_bytes."""
    for fmt in SOCIAL_FORMATS.values():
        yield {
            "name": fmt.name,
            "platform": fmt.platform,
            "width": fmt.width,
            "height": fmt.height,
            "max_bytes": fmt.max_bytes,
        }


def parse_specs(text: str) -> list[Spec]:
    """Parse comma-separated specs, all before any file is read; raises SpecError."""
    return [parse(part) for part in text.split(",")]


def apply_to_file(
    path: Path, specs: Sequence[Spec], output: Path, *, max_pixels: int
) -> list[dict[str, object]]:
    """Render every spec from one input file into ``output``; return a record per output.

    Files are named ``<input stem>.<spec slug>.<ext>``. A refused or unreadable input gives
    one record ``{"input", "error"}`` and nothing is written for it.
    """
    try:
        with path.open("rb") as fp:
            renditions = render_all(fp, list(specs), max_pixels=max_pixels)
    except ImageError as error:
        return [{"input": str(path), "error": str(error)}]
    except OSError as error:
        return [{"input": str(path), "error": f"We could not read this file ({error})."}]
    records: list[dict[str, object]] = []
    for spec, rendition in zip(specs, renditions, strict=True):
        target = output / f"{path.stem}.{spec.slug()}.{rendition.extension}"
        target.write_bytes(rendition.data)
        records.append(
            {
                "input": str(path),
                "output": str(target),
                "width": rendition.width,
                "height": rendition.height,
                "format": rendition.format,
                "bytes": len(rendition.data),
                "spec": str(spec),
            }
        )
    return records


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 an input refused, 2 usage)."""
    parser = argparse.ArgumentParser(prog="studio-spec", description=__doc__.split("\n")[0])
    parser.add_argument("spec", nargs="?", help="e.g. 'social-x-post,fill-400x400-smart'")
    parser.add_argument("files", nargs="*", type=Path, help="image files to read")
    parser.add_argument("--output", type=Path, help="directory for the outputs")
    parser.add_argument("--list-formats", action="store_true", help="print the social formats")
    args = parser.parse_args(argv)
    if args.list_formats:
        for record in social_formats():
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if not args.spec or not args.files or args.output is None:
        parser.error("give a spec, at least one file and --output DIR")
    try:
        specs = parse_specs(args.spec)
    except SpecError as error:
        parser.error(f"bad spec: {error}")
    if any(spec.model_step for spec in specs):
        parser.error("AI specs need the model registry: use `manage.py apply_spec`")
    args.output.mkdir(parents=True, exist_ok=True)
    refused = 0
    for path in args.files:
        records = apply_to_file(path, specs, args.output, max_pixels=max_pixels_from_env())
        refused += any("error" in record for record in records)
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    if refused:
        print(f"{refused} of {len(args.files)} inputs were refused.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
