"""Benchmark: all 20 social formats from one photo, our render_all against naive Pillow.

Run from the project root: ``.venv/bin/python benchmarks/social_export.py``. No Django.
Prints, per source: wall time of both paths and their ratio (goal >= 4×), peak RSS of our
path in a fresh child process (goal <= 100 MB), PSNR of our resampled pixels (before JPEG
encoding) against a float Lanczos reference (goal >= 45 dB); then target-size statistics
over corpus photos (goal: <= 7 encodes, landing at 90-100 % of the budget).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SOURCES = [CORPUS / "camera" / "jolla.jpg", CORPUS / "camera" / "iphone_13_pro_max.HEIC"]
TARGET_PHOTOS = sorted((CORPUS / "photos").glob("*.jpg"))[:8] + [CORPUS / "camera" / "jolla.jpg"]
MAX_PIXELS = 100_000_000
sys.path.insert(0, str(ROOT))


def child_peak_rss(source: Path) -> None:
    """In a fresh process: import only the pipeline, export all formats, print peak RSS.

    Prints two numbers in MB: the peak after the imports and the peak after render_all, both
    from getrusage's ru_maxrss (KiB on Linux). The parent starts this child before doing any
    work of its own, because Linux carries a parent's ru_maxrss over into a forked child.
    """
    from studio.social import SOCIAL_FORMATS
    from studio.specs import parse, render_all

    specs = [parse(f"social-{name}") for name in SOCIAL_FORMATS]
    after_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with source.open("rb") as fp:
        render_all(fp, specs, max_pixels=MAX_PIXELS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{after_imports / 1024:.1f} {peak / 1024:.1f}")


def measure_rss(source: Path) -> list[str]:
    """Run child_peak_rss in a fresh interpreter; return [after imports, peak] in MB."""
    return subprocess.run(
        [sys.executable, __file__, "--child-rss", str(source)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()


def naive(source: Path, formats) -> list[bytes]:
    """The baseline: per format, open, LANCZOS-resize to cover, centre-crop, save JPEG q85."""
    from PIL import Image, ImageOps

    outputs = []
    for fmt in formats:
        with Image.open(source) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
        scale = max(fmt.width / image.width, fmt.height / image.height)
        size = (
            max(fmt.width, round(image.width * scale)),
            max(fmt.height, round(image.height * scale)),
        )
        image = image.resize(size, Image.Resampling.LANCZOS)
        left, top = (size[0] - fmt.width) // 2, (size[1] - fmt.height) // 2
        image = image.crop((left, top, left + fmt.width, top + fmt.height))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        outputs.append(buffer.getvalue())
    return outputs


def ours(source: Path, specs) -> list:
    from studio.specs import render_all

    with source.open("rb") as fp:
        return render_all(fp, specs, max_pixels=MAX_PIXELS)


def timed(function, *args, repeat: int = 5) -> float:
    """Return the best wall time of repeat runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def geometry_psnr(source: Path, specs) -> list[float]:
    """PSNR of each spec's pixels, as render_all makes them, against float Lanczos at full size.

    The reference resamples the full-size decode per channel in 32-bit float with the same
    crop box; our pixels come from the (possibly shrunk-on-load) decode render_all uses.
    """
    import numpy as np
    from PIL import Image

    from studio import rendering
    from studio.imaging.load import decode, probe
    from studio.imaging.smartcrop import analyse

    with source.open("rb") as fp:
        full = decode(fp, max_pixels=MAX_PIXELS).image
        fp.seek(0)
        need = rendering._largest_need(specs, probe(fp, max_pixels=MAX_PIXELS))
        fp.seek(0)
        used = decode(fp, max_pixels=MAX_PIXELS, min_size=need).image
    subject = analyse(used)
    factor = full.width / used.width
    channels = [band.convert("F") for band in full.split()]
    results = []
    for spec in specs:
        plan = rendering._plan(spec, used.size, subject)
        ours_pixels = np.asarray(rendering._apply(plan, used), dtype=np.float64)
        box = tuple(v * factor for v in plan.box) if plan.box else None
        reference = np.stack(
            [np.asarray(c.resize(plan.size, Image.Resampling.LANCZOS, box=box)) for c in channels],
            axis=-1,
        ).clip(0, 255)
        mse = float(np.mean((ours_pixels - reference) ** 2))
        results.append(10 * np.log10(255**2 / mse) if mse else float("inf"))
    return results


def target_stats() -> None:
    """Search a budget between the q30 and q95 file sizes (geometrically) on corpus photos."""
    from studio.imaging.encode import encode, encode_to_target
    from studio.imaging.geometry import contain_size, resize
    from studio.imaging.load import decode

    for fmt in ("jpeg", "webp", "avif"):
        encodes, landings, seconds = [], [], []
        photos = TARGET_PHOTOS if fmt != "avif" else TARGET_PHOTOS[:3]
        for path in photos:
            with path.open("rb") as fp:
                image = decode(fp, max_pixels=MAX_PIXELS).image
            image = resize(image, contain_size(image.size, (1080, 1080)))
            low, high = (len(encode(image, format=fmt, quality=q)) for q in (30, 95))
            for position in (0.1, 0.3, 0.5, 0.7, 0.9):
                budget = round(low * (high / low) ** position)
                start = time.perf_counter()
                result = encode_to_target(image, max_bytes=budget, format=fmt)
                seconds.append(time.perf_counter() - start)
                encodes.append(result.encodes)
                landings.append(len(result.data) / budget)
        inside = sum(0.9 <= landing <= 1.0 for landing in landings)
        print(
            f"  {fmt:4}: {len(encodes)} searches on {len(photos)} photos; encodes mean "
            f"{statistics.mean(encodes):.1f}, max {max(encodes)}; landing min "
            f"{min(landings):.1%}, mean {statistics.mean(landings):.1%}, max {max(landings):.1%}; "
            f"{inside}/{len(landings)} in 90-100 %; {statistics.mean(seconds) * 1000:.0f} ms/search"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child-rss", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_rss:
        child_peak_rss(args.child_rss)
        return

    rss = {source: measure_rss(source) for source in SOURCES}  # before this process grows
    from studio.social import SOCIAL_FORMATS
    from studio.specs import parse

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    formats = list(SOCIAL_FORMATS.values())
    specs = [parse(f"social-{fmt.name}") for fmt in formats]
    for source in SOURCES:
        naive_s = timed(naive, source, formats)
        ours_s = timed(ours, source, specs)
        psnr = geometry_psnr(source, specs)
        after_imports, peak = rss[source]
        mean_psnr = statistics.mean(psnr)
        print(f"{source.name}: 20 social formats")
        print(f"  naive Pillow {naive_s:.2f} s, render_all {ours_s:.2f} s", end="")
        print(f": {naive_s / ours_s:.1f}× faster")
        print(f"  peak RSS of render_all in a fresh process: {peak} MB", end="")
        print(f" (after imports: {after_imports} MB)")
        print(f"  geometry PSNR vs float Lanczos: min {min(psnr):.1f} dB, mean {mean_psnr:.1f} dB")
    draft_specs = [parse(s) for s in ("fill-400x300-center", "fill-800x800-center", "width-1000")]
    psnr = geometry_psnr(SOURCES[0], draft_specs)
    print(
        f"{SOURCES[0].name}, shrink-on-load specs {', '.join(map(str, draft_specs))}: "
        f"PSNR vs full-size float Lanczos {', '.join(f'{p:.1f}' for p in psnr)} dB"
    )
    print("target size (budgets between the q30 and q95 sizes, images fitted in 1080×1080):")
    target_stats()


if __name__ == "__main__":
    main()
