"""Subject-aware cropping: find what a photo shows, then place any crop box to keep it.

Analysis runs once per image on a copy of at most ANALYSIS_SIDE pixels and yields a
:class:`SubjectMap`: detected subjects (faces, cat faces) plus an importance map that
combines spectral-residual saliency, skin tone, saturation and detail, in the manner of
smartcrop.js. Saliency alone drifts to bright skies and textures, so detected subjects weigh far
more than the map, and a box that cuts a subject is penalised by the share of it that is lost.
Every crop of any aspect ratio is then a cheap scan of one integral image.

Detectors are the Haar cascades (faces, profiles, cat faces) that ship inside the
opencv-contrib-python-headless wheel: no model is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in pixels of the analysed (original) image."""

#: Longest side of the copy the importance map is computed on: enough to place a crop to
#: within about half a percent of the image, and cheap (a few milliseconds per step).
ANALYSIS_SIDE = 384
#: Longest side of the copy faces are detected on: Haar's smallest face is 24 px,
#: so at 512 px a face of 5 % of the image is still found.
DETECTION_SIDE = 512
#: How much a detected subject's area outweighs the same area of the importance map (whose
#: values lie in 0..1): a face must win over any sky or texture.
SUBJECT_WEIGHT = {"face": 12.0, "pet": 10.0}
#: Penalty, per unit of subject weight, for each share of a subject that falls outside the box.
CUT_PENALTY = 3.0
#: Score lost by moving the box from the middle to an edge (scores are shares of the map's mass).
CENTRE_PULL = 0.1
#: Where the pull rests when the box slides vertically, as a share of the free span: above the
#: middle, since heads sit in the upper part of portraits and people photos (rule of thirds).
VERTICAL_REST = 0.35


@dataclass(frozen=True)
class Subject:
    """Something a crop should keep: kind "face", "pet" or "salient", with its box."""

    kind: str
    box: Box
    confidence: float = 1.0


@dataclass
class SubjectMap:
    """What an image shows and where, measured once and reused for every crop."""

    width: int
    height: int
    subjects: list[Subject] = field(default_factory=list)
    importance: np.ndarray | None = None  # float32, shape (h, w) of the analysis copy
    scale: float = 1.0  # analysis pixels per image pixel

    def crop_box(
        self, aspect_w: int, aspect_h: int, *, focal: tuple[float, float] | None = None
    ) -> Box:
        """Return the largest box of aspect ``aspect_w:aspect_h`` that keeps the subjects.

        ``focal`` (x %, y % of width and height) wins over the analysis: the box is centred on
        it as far as the image allows. Raises ValueError for a non-positive aspect.
        """
        if aspect_w <= 0 or aspect_h <= 0:
            raise ValueError("aspect ratio sides must be positive")
        w, h = self.width, self.height
        if w * aspect_h > h * aspect_w:
            cw, ch = max(1, min(w, round(h * aspect_w / aspect_h))), h
        else:
            cw, ch = w, max(1, min(h, round(w * aspect_h / aspect_w)))
        if focal is not None:
            return _centred(focal[0] / 100 * w, focal[1] / 100 * h, cw, ch, w, h)
        if cw == w and ch == h:
            return (0, 0, w, h)
        horizontal = cw < w
        offset = self._best_offset(cw if horizontal else ch, horizontal)
        return (offset, 0, offset + cw, h) if horizontal else (0, offset, w, offset + ch)

    def _best_offset(self, length: int, horizontal: bool) -> int:
        """Return the left (or top) edge, in image pixels, that scores best along one axis."""
        full = self.width if horizontal else self.height
        span = full - length
        if self.importance is None:
            return span // 2
        # Importance summed across the fixed axis, as a prefix sum along the sliding axis.
        profile = self.importance.sum(axis=0 if horizontal else 1).astype(np.float64)
        mean = profile.mean()
        # The salient region is shown in previews but does not steer: it is the map's own
        # brightest blob, and counting it twice pulled crops to skies and highlights (measured
        # with benchmarks/smartcrop_eval.py: 0.73 of subjects kept with it, 0.78 without).
        detected = [s for s in self.subjects if s.kind in SUBJECT_WEIGHT]
        for subject in detected:
            # A subject adds SUBJECT_WEIGHT times the map's mean along its extent: a face a
            # tenth of the image wide outweighs the whole importance map.
            lo, hi = _axis(subject.box, horizontal)
            a, b = int(lo * self.scale), max(int(lo * self.scale) + 1, int(hi * self.scale))
            profile[a:b] += SUBJECT_WEIGHT[subject.kind] * subject.confidence * mean
        prefix = np.concatenate([[0.0], np.cumsum(profile)])
        # Every whole-pixel position: a few thousand at most, scored at once by numpy, so a
        # subject that fits is never cut by a pixel of rounding.
        offsets = np.arange(span + 1)
        lo_a = (offsets * self.scale).astype(int)
        hi_a = np.minimum(((offsets + length) * self.scale).astype(int), profile.size)
        scores = prefix[hi_a] - prefix[lo_a]
        scores = scores / max(prefix[-1], 1e-9)
        for subject in detected:
            lo, hi = _axis(subject.box, horizontal)
            size = hi - lo
            if size <= 0 or size > length:
                continue  # cannot fit whole: the importance term keeps as much as possible
            # Pixels of the subject left of (above) the box, plus those right of (below) it.
            lost = np.clip(offsets - lo, 0, size) + np.clip(hi - (offsets + length), 0, size)
            weight = SUBJECT_WEIGHT[subject.kind] * subject.confidence
            scores -= CUT_PENALTY * weight * lost / size
        # A pull to the middle: the map alone is a weak signal (sky, texture), and a photographer
        # usually framed the subject near the centre; detected subjects outweigh this pull.
        rest = span * (0.5 if horizontal else VERTICAL_REST)
        scores -= CENTRE_PULL * np.abs(offsets - rest) / max(span, 1)
        return int(offsets[int(np.argmax(scores))])


def _axis(box: Box, horizontal: bool) -> tuple[int, int]:
    return (box[0], box[2]) if horizontal else (box[1], box[3])


def _centred(x: float, y: float, cw: int, ch: int, w: int, h: int) -> Box:
    left = min(max(round(x - cw / 2), 0), w - cw)
    top = min(max(round(y - ch / 2), 0), h - ch)
    return (left, top, left + cw, top + ch)


def analyse(image: Image.Image) -> SubjectMap:
    """Return the subject map of an image (any mode and size; converted internally).

    Cost on 2 cores: about 0.1 s for any input size, since both working copies are bounded
    (ANALYSIS_SIDE, DETECTION_SIDE). Never raises for valid images; tiny images get a
    map without detections.
    """
    width, height = image.size
    rgb = image.convert("RGB")
    detect_scale = min(1.0, DETECTION_SIDE / max(width, height))
    detection = np.asarray(
        rgb.resize(
            (max(1, round(width * detect_scale)), max(1, round(height * detect_scale))),
            Image.Resampling.BILINEAR,
        )
    )
    subjects = _detect(detection, 1 / detect_scale, (width, height))
    scale = min(1.0, ANALYSIS_SIDE / max(width, height))
    small = np.asarray(
        rgb.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR
        )
    )
    importance = _importance(small)
    salient = _salient_region(importance, 1 / scale, (width, height))
    if salient is not None and not subjects:
        subjects.append(salient)
    return SubjectMap(width, height, subjects, importance, scale)


@cache
def _cascade(name: str) -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(cv2.data.haarcascades + name)


def _detect(rgb: np.ndarray, back: float, size: tuple[int, int]) -> list[Subject]:
    """Find faces (frontal, profile both ways) and cat faces.

    scaleFactor 1.2 (OpenCV's examples use 1.1) halves the pyramid levels: the cost that
    matters when every export analyses once; faces are still found at 512 px.
    """
    h, w = rgb.shape[:2]
    if min(w, h) < 48:
        return []
    gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    # Faces smaller than 4 % of the short side are background people, not the subject.
    min_face = max(24, int(min(w, h) * 0.04))
    found: list[Subject] = []
    # minNeighbors 5 (OpenCV's example uses 3): fewer false faces in foliage and fur.
    for name, kind in (
        ("haarcascade_frontalface_alt2.xml", "face"),
        ("haarcascade_profileface.xml", "face"),
        ("haarcascade_frontalcatface.xml", "pet"),
    ):
        for flipped in (False, True) if "profile" in name else (False,):
            source = cv2.flip(gray, 1) if flipped else gray
            boxes = _cascade(name).detectMultiScale(
                source, scaleFactor=1.2, minNeighbors=5, minSize=(min_face, min_face)
            )
            for x, y, bw, bh in boxes:
                if flipped:
                    x = w - x - bw
                found.append(Subject(kind, _grow((x, y, x + bw, y + bh), back, size, 0.25)))
    return _merge(found)


def _grow(box, back: float, size: tuple[int, int], margin: float) -> Box:
    """Scale a detection to image pixels, grown by ``margin`` of its size (hair, chin)."""
    x0, y0, x1, y1 = (v * back for v in box)
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return (
        max(0, int(x0 - dx)),
        max(0, int(y0 - dy)),
        min(size[0], int(x1 + dx)),
        min(size[1], int(y1 + dy)),
    )


def _merge(subjects: list[Subject]) -> list[Subject]:
    """Drop detections mostly inside an earlier one (the same face found twice)."""
    kept: list[Subject] = []
    for subject in subjects:
        if not any(_overlap(subject.box, other.box) > 0.6 for other in kept):
            kept.append(subject)
    return kept


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / max(1, (a[2] - a[0]) * (a[3] - a[1]))


def _importance(rgb: np.ndarray) -> np.ndarray:
    """Return a 0..1 map: spectral-residual saliency, skin tone, saturation and detail."""
    h, w = rgb.shape[:2]
    if min(h, w) < 8:
        return np.ones((h, w), np.float32)
    ok, saliency = cv2.saliency.StaticSaliencySpectralResidual_create().computeSaliency(rgb)
    saliency = _normalised(saliency if ok else np.zeros((h, w), np.float32))
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    # Skin tone in YCrCb (Chai & Ngan 1999): Cr 133-173, Cb 77-127.
    cr, cb = ycrcb[..., 1].astype(np.int16), ycrcb[..., 2].astype(np.int16)
    skin = ((cr > 133) & (cr < 173) & (cb > 77) & (cb < 127)).astype(np.float32)
    saturation = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 1].astype(np.float32) / 255
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    detail = _normalised(np.abs(cv2.Laplacian(gray, cv2.CV_32F, ksize=3)))
    # Weights after smartcrop.js (detail 0.2, skin 1.8, saturation 0.1) with saliency added.
    combined = saliency + 0.9 * skin * (0.5 + 0.5 * saliency) + 0.1 * saturation + 0.2 * detail
    blur = max(3, (min(h, w) // 24) | 1)
    return _normalised(cv2.GaussianBlur(combined.astype(np.float32), (blur, blur), 0))


def _normalised(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    top = float(values.max())
    return values / top if top > 0 else values


def _salient_region(importance: np.ndarray, back: float, size: tuple[int, int]) -> Subject | None:
    """Return the box of the largest strongly salient blob, for images without detections."""
    mask = (importance > max(0.5, float(importance.mean() + 2 * importance.std()))).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count <= 1:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = stats[best, :4]
    return Subject("salient", _grow((x, y, x + w, y + h), back, size, 0.1), 0.5)
