"""Subject-aware cropping (placeholder interface; the real analysis replaces this module)."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

Box = tuple[int, int, int, int]


@dataclass
class SubjectMap:
    """What an image shows and where, measured once per image and reused for every crop."""

    width: int
    height: int

    def crop_box(
        self, aspect_w: int, aspect_h: int, *, focal: tuple[float, float] | None = None
    ) -> Box:
        """Return the largest (left, top, right, bottom) box of aspect aspect_w:aspect_h."""
        w, h = self.width, self.height
        if w * aspect_h > h * aspect_w:
            cw, ch = round(h * aspect_w / aspect_h), h
        else:
            cw, ch = w, round(w * aspect_h / aspect_w)
        fx, fy = focal if focal is not None else (50.0, 50.0)
        left = min(max(round(fx / 100 * w - cw / 2), 0), w - cw)
        top = min(max(round(fy / 100 * h - ch / 2), 0), h - ch)
        return (left, top, left + cw, top + ch)


def analyse(image: Image.Image) -> SubjectMap:
    """Return the subject map of an RGB/RGBA image."""
    return SubjectMap(image.width, image.height)
