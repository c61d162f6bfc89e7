"""Benchmark: the local provider's upscale (Lanczos + unsharp) and erase (Telea inpainting).

Run from the project root: ``.venv/bin/python benchmarks/local_ops.py``. No Django.
Prints, best of ``--repeat`` runs (one core, wall time):

- upscale 2× of camera/jolla.jpg (3264×2448, 8 MP): our `upscale` against plain Pillow
  bicubic of the same size, and the ratio;
- erase on a 12 MP photo (jolla.jpg enlarged to 4000×3000, as the corpus has no 12 MP photo)
  with an elliptical mask over 5 % of it: time, the region processed and the working
  resolution it was inpainted at;
- both end to end through LocalAdapter (decode, work, JPEG encode), for scale.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
JOLLA = CORPUS / "camera" / "jolla.jpg"
MAX_PIXELS = 100_000_000
sys.path.insert(0, str(ROOT))


def best_of(repeat: int, call: Callable[[], object]) -> float:
    """Return the fastest of repeat wall-clock timings of call(), in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from providers.base import MemoryCheckpoint, ProviderConfig, ProviderRequest
    from providers.local import LocalAdapter
    from studio.imaging.inpaint import erase_region
    from studio.imaging.load import decode
    from studio.imaging.upscale import upscale

    with JOLLA.open("rb") as fp:
        photo = decode(fp, max_pixels=MAX_PIXELS).image
    size = (photo.width * 2, photo.height * 2)
    ours = best_of(args.repeat, lambda: upscale(photo, 2, max_pixels=MAX_PIXELS))
    bicubic = best_of(args.repeat, lambda: photo.resize(size, Image.Resampling.BICUBIC))
    print(f"upscale 2× {JOLLA.name} {photo.width}×{photo.height} -> {size[0]}×{size[1]}")
    print(
        f"  Lanczos+sharpen {ours:.2f} s   Pillow bicubic {bicubic:.2f} s   ratio {ours / bicubic:.2f}"
    )

    big = photo.resize((4000, 3000), Image.Resampling.LANCZOS)
    mask = Image.new("L", big.size, 0)
    area = 0.05 * big.width * big.height  # an ellipse of 4:3 axes covering 5 %
    rx = math.sqrt(area / math.pi * 4 / 3)
    ry = area / math.pi / rx
    cx, cy = big.width * 0.55, big.height * 0.45
    ImageDraw.Draw(mask).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    result = erase_region(big, mask)
    seconds = best_of(args.repeat, lambda: erase_region(big, mask))
    left, top, right, bottom = result.box
    print(f"erase on {big.width}×{big.height} (12 MP), mask {result.coverage:.1%} of the image")
    print(
        f"  {seconds:.2f} s   region {right - left}×{bottom - top} at ({left}, {top})   "
        f"working {result.working_size[0]}×{result.working_size[1]} "
        f"(scale {result.working_scale:.2f})"
    )

    adapter = LocalAdapter(ProviderConfig("local", "", "", 10, 120, 900, 2, 0.5, 5, 1 << 30))
    jolla_bytes = JOLLA.read_bytes()
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=92)
    big_bytes = buffer.getvalue()
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    mask_bytes = buffer.getvalue()
    upscale_request = ProviderRequest(
        model="upscale/lanczos",
        capability="upscale",
        image=jolla_bytes,
        options={"factor": 2, "output_format": "jpeg"},
    )
    erase_request = ProviderRequest(
        model="edit/erase",
        capability="edit",
        image=big_bytes,
        mask=mask_bytes,
        options={"output_format": "jpeg"},
    )
    end_to_end_upscale = best_of(
        args.repeat, lambda: adapter.run(upscale_request, MemoryCheckpoint())
    )
    end_to_end_erase = best_of(args.repeat, lambda: adapter.run(erase_request, MemoryCheckpoint()))
    print("end to end through LocalAdapter (decode, work, JPEG q85 encode):")
    print(
        f"  upscale 2× jolla.jpg {end_to_end_upscale:.2f} s   erase 12 MP {end_to_end_erase:.2f} s"
    )


if __name__ == "__main__":
    main()
