"""Subject-aware cropping: analyse a photo once, then place crop boxes of any aspect ratio.

``analyse`` shrinks the photo to a working copy (at most DETECT_SIDE px long), finds faces,
people and cat faces (subjects.py: MTCNN, HOG and a Haar cascade, all shipped in wheels) and
builds an importance map (MAP_SIDE px) from spectral-residual saliency, boolean-map
figure-ground and detail. ``SubjectMap.crop_box`` places the largest box of an
aspect ratio. That box spans the image along one axis, so placing it is a one-dimensional
search along the other: a few hundred offsets scored at once from a prefix sum of the map plus
a term per subject, after keeping as many main faces whole as any offset can. No Django here.

Constants were set from the literature cited beside them, then checked (a few adjusted, as
noted) with benchmarks/smartcrop_eval.py on the hand-marked corpus photos; the same photos
measure the result, so the margin over a centre crop it reports is somewhat optimistic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from studio.imaging import subjects as detectors

Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in pixels of the analysed (original) image."""

#: Longest side of the copy the detectors see: MTCNN's smallest face (20 px) is then 4 % of
#: the photo's long side. At 448 px, crops cut 5 more of the corpus's marked faces.
DETECT_SIDE = 512
#: Longest side of the importance map: places a box to within 0.4 % of the image.
MAP_SIDE = 256
#: Weights of the map's parts, each scaled to 0..1 first (see _importance). Measured on the
#: corpus (share of marked subjects kept): any one part alone 0.76-0.77, these three 0.78.
#: Rare skin tone as a fourth part cut 3 more people, so skin only vets faces (subjects.py).
MAP_WEIGHTS = {"spectral": 1.0, "surround": 1.0, "detail": 0.5}
#: Worth of a subject kept whole, in units of the whole map (a box holding all of the map
#: scores 1): a face outweighs any amount of sky or texture; a person or pet nearly so.
SUBJECT_WEIGHT = {"face": 2.0, "person": 1.0, "head": 1.0, "pet": 1.5}
#: A face under this share of the largest face's size is a bystander, not a main face (the
#: crowd photo's background faces are 0.35-0.45 of its foreground ones).
PROMINENT = 0.5
#: Faces at or above this confidence (and prominent) are protected: only the offsets that keep
#: the most of them whole compete. Weaker faces only add their weight to the score.
PROTECT = 0.75
#: Share of a person's box, from the top, that holds the head: adults are about 7.5 heads
#: tall and the trimmed HOG box leaves a little room above the head.
HEAD = 0.2
#: Worth of the body below a face, as a share of the face's worth: keeps the person under a
#: face in the box (a selfie's shoulders, not the sky beside them).
BODY = 0.25
#: Margin kept around a face, as a share of its size on each side: MTCNN's boxes run from the
#: brows to the chin, and a box edge on the hairline looks like a cut.
FACE_MARGIN = 0.08
#: Score lost, per unit of face weight, as a kept face moves from the box's middle to its
#: edge: small beside keeping faces whole, enough to give a face room when it can have it.
FACE_CENTRING = 0.25
#: Score lost by moving the box from its rest position to the far end (map units): breaks
#: near-ties toward the photographer's framing. 0.05-0.3 scored alike on the corpus.
CENTRE_PULL = 0.1
#: Rest position of a vertically sliding box, as a share of the free span: above the middle,
#: where heads sit in portraits and people photos (rule of thirds).
VERTICAL_REST = 0.4
#: Evenly spaced offsets scored per crop (a 0.2 % step or finer), plus the offsets that put a
#: box edge on a subject's edge, so a subject that fits is kept to the pixel.
SAMPLES = 512


@dataclass(frozen=True)
class Subject:
    """Something worth keeping: kind "face" | "person" | "pet" | "salient", box, confidence."""

    kind: str
    box: Box
    confidence: float = 1.0


@dataclass(eq=False)  # holds a numpy array: compared by identity
class SubjectMap:
    """What an image shows and where, measured once and reused for every crop.

    ``subjects`` are in the analysed image's pixels. ``importance`` is a float32 map (h, w)
    of the working copy, values 0..1; a map made without analysis (None) crops the centre.
    """

    width: int
    height: int
    subjects: list[Subject] = field(default_factory=list)
    importance: np.ndarray | None = None

    def crop_box(
        self, aspect_w: int, aspect_h: int, *, focal: tuple[float, float] | None = None
    ) -> Box:
        """Return the largest (left, top, right, bottom) box of aspect aspect_w:aspect_h.

        The box spans the image's full width or height and lies inside it; its other side is
        the aspect's, rounded to the pixel. ``focal`` (x %, y % of width and height) wins over
        the analysis: the box is centred on it as far as the image allows. Raises ValueError
        for an aspect side that is not positive.
        """
        if aspect_w <= 0 or aspect_h <= 0:
            raise ValueError(f"aspect sides must be positive, got {aspect_w}:{aspect_h}")
        w, h = self.width, self.height
        if w * aspect_h > h * aspect_w:
            cw, ch = min(w, max(1, round(h * aspect_w / aspect_h))), h
        else:
            cw, ch = w, min(h, max(1, round(w * aspect_h / aspect_w)))
        if focal is not None or self.importance is None:
            fx, fy = focal if focal is not None else (50.0, 50.0)
            left = min(max(round(fx / 100 * w - cw / 2), 0), w - cw)
            top = min(max(round(fy / 100 * h - ch / 2), 0), h - ch)
            return (left, top, left + cw, top + ch)
        if cw < w:
            left = self._place(cw, horizontal=True)
            return (left, 0, left + cw, h)
        top = self._place(ch, horizontal=False) if ch < h else 0
        return (0, top, w, top + ch)

    def _place(self, length: int, *, horizontal: bool) -> int:
        """Return the best left (or top) edge, in image pixels, of a box ``length`` long."""
        assert self.importance is not None
        full = self.width if horizontal else self.height
        span = full - length
        targets = _targets(self.subjects, self.width, self.height)
        offsets = _candidates(span, length, targets, horizontal)
        # Map mass inside each box, from the prefix sum of the map's profile along the
        # sliding axis, interpolated at the box edges: a share of the whole map, 0..1.
        profile = self.importance.sum(axis=0 if horizontal else 1, dtype=np.float64)
        prefix = np.concatenate([[0.0], np.cumsum(profile)])
        grid = np.linspace(0, full, prefix.size)
        mass = np.interp(offsets + length, grid, prefix) - np.interp(offsets, grid, prefix)
        scores = mass / max(prefix[-1], 1e-12)
        protected = np.zeros(offsets.size)
        for target in targets:
            lo, hi = _span(target.box, horizontal)
            if hi - lo > length and target.core is not None:
                lo, hi = _span(target.core, horizontal)  # no room for the margin: the face
            size = max(1, hi - lo)
            inside = np.minimum(offsets + length, hi) - np.maximum(offsets, lo)
            share = np.clip(inside, 0, None) / size
            if size > length:
                scores += target.weight * share  # cannot fit whole: keep as much as possible
                continue
            whole = share >= 1.0
            if target.kind == "face":
                # A sliced face is worse than one left out: it is what viewers notice.
                scores += np.where(whole, target.weight, -0.25 * target.weight * (share > 0))
                protected += whole * target.protect
                # Room around the face: a face on the box's edge looks pushed out of frame.
                off_centre = np.abs((lo + hi) / 2 - (offsets + length / 2)) / length
                scores -= FACE_CENTRING * target.weight * off_centre
            elif target.kind in ("head", "body"):
                scores += target.weight * share
            else:
                # Most of a person or pet is still a picture of them; whole is better.
                scores += target.weight * (0.5 * share + 0.5 * whole)
        rest = span * (0.5 if horizontal else VERTICAL_REST)
        scores -= CENTRE_PULL * np.abs(offsets - rest) / max(span, 1)
        # Protected faces first: only the offsets that keep the most of them whole compete.
        scores[protected < protected.max()] = -np.inf
        return int(offsets[int(np.argmax(scores))])


@dataclass(frozen=True)
class _Target:
    """A box the crop score rewards keeping: kind, worth, and whether it is protected."""

    kind: str  # "face" | "body" (below a face) | "person" | "head" (of a person) | "pet"
    box: Box
    weight: float
    protect: bool = False
    core: Box | None = None  # a face's own box, when ``box`` adds a margin around it


def _targets(subjects: list[Subject], width: int, height: int) -> list[_Target]:
    """Turn detected subjects into scored boxes (salient regions are already in the map)."""
    faces = [s for s in subjects if s.kind == "face"]
    largest = max((min(_sides(f.box)) for f in faces), default=1)
    targets = []
    for s in subjects:
        if s.kind == "face":
            # A face under half the size of the largest is a bystander: weight falls with
            # area, and only prominent, confident faces are protected absolutely.
            ratio = min(_sides(s.box)) / largest
            weight = SUBJECT_WEIGHT["face"] * s.confidence * ratio**2
            box = _grown(s.box, FACE_MARGIN, width, height)
            protect = s.confidence >= PROTECT and ratio >= PROMINENT
            targets.append(_Target("face", box, weight, protect, core=s.box))
            # Below a face is its person's body: three faces wide, three faces deep.
            x0, y0, x1, y1 = s.box
            fw, fh = x1 - x0, y1 - y0
            body = (max(0, x0 - fw), y0, min(width, x1 + fw), min(height, y1 + 3 * fh))
            targets.append(_Target("body", body, BODY * weight))
        elif s.kind == "person":
            targets.append(_Target("person", s.box, SUBJECT_WEIGHT["person"] * s.confidence))
            x0, y0, x1, y1 = s.box
            head = (x0, y0, x1, y0 + max(1, round((y1 - y0) * HEAD)))
            targets.append(_Target("head", head, SUBJECT_WEIGHT["head"] * s.confidence))
        elif s.kind == "pet":
            targets.append(_Target("pet", s.box, SUBJECT_WEIGHT["pet"] * s.confidence))
    return targets


def _sides(box: Box) -> tuple[int, int]:
    return (box[2] - box[0], box[3] - box[1])


def _span(box: Box, horizontal: bool) -> tuple[int, int]:
    return (box[0], box[2]) if horizontal else (box[1], box[3])


def _grown(box: Box, margin: float, width: int, height: int) -> Box:
    """Return ``box`` grown by ``margin`` of its size on each side, kept inside the image."""
    dx, dy = round((box[2] - box[0]) * margin), round((box[3] - box[1]) * margin)
    return (
        max(0, box[0] - dx),
        max(0, box[1] - dy),
        min(width, box[2] + dx),
        min(height, box[3] + dy),
    )


def _candidates(span: int, length: int, targets: list[_Target], horizontal: bool) -> np.ndarray:
    """Return the offsets to score: an even grid over 0..span plus target-aligned ones."""
    grid = np.round(np.linspace(0, span, min(span, SAMPLES) + 1))
    aligned = []
    for target in targets:
        for box in (target.box, target.core or target.box):
            lo, hi = _span(box, horizontal)
            aligned += [lo, hi - length]
    offsets = np.concatenate([grid, np.clip(aligned, 0, span)])
    return np.unique(offsets.astype(np.int64))


def analyse(image: Image.Image) -> SubjectMap:
    """Return the subject map of ``image``, upright (EXIF orientation already applied).

    Any size; RGB or RGBA expected, other modes are converted by Pillow (transparency then
    counts as nothing to keep). Costs about 0.1 s on 2 cores whatever the size, since the
    work is on copies at most DETECT_SIDE px long. An image under 8 px a side gets a map
    that crops the centre.
    """
    width, height = image.size
    if min(width, height) < 8:
        return SubjectMap(width, height)
    rgb, alpha = _working_copy(image, DETECT_SIDE)
    back = (width / rgb.shape[1], height / rgb.shape[0])
    subjects = [
        Subject(d.kind, _scaled(d.box, back, width, height), d.confidence)
        for d in detectors.detect(rgb)
    ]
    scale = MAP_SIDE / max(rgb.shape[:2])
    small = rgb
    if scale < 1:
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        if alpha is not None:
            alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    importance = _importance(small)
    if alpha is not None:
        importance *= alpha.astype(np.float32) / 255  # what is transparent shows nothing
    back = (width / importance.shape[1], height / importance.shape[0])
    salient = _salient(importance, back, width, height)
    return SubjectMap(width, height, subjects + salient, importance)


def _working_copy(image: Image.Image, side: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Return an RGB uint8 copy at most ``side`` px long, and its alpha (or None)."""
    width, height = image.size
    scale = min(1.0, side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if scale < 1 / 3:
        # Nearest-neighbour down to 3× the target first: converting or box-filtering a
        # 12 MP RGBA image costs 60-90 ms, this 15 ms, and the area filter after it still
        # averages 9 samples per output pixel (enough for detection and saliency).
        image = image.resize((size[0] * 3, size[1] * 3), Image.Resampling.NEAREST)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    rgba = image.convert("RGBA" if has_alpha else "RGB")
    array = cv2.resize(np.asarray(rgba), size, interpolation=cv2.INTER_AREA)
    if has_alpha:
        return np.ascontiguousarray(array[..., :3]), np.ascontiguousarray(array[..., 3])
    return array, None


def _scaled(box: Box, back: tuple[float, float], width: int, height: int) -> Box:
    """Return a working-copy box in image pixels (``back``: image px per copy px, x and y)."""
    x0, x1 = (round(v * back[0]) for v in box[0::2])
    y0, y1 = (round(v * back[1]) for v in box[1::2])
    return (max(0, x0), max(0, y0), min(width, x1), min(height, y1))


def _importance(rgb: np.ndarray) -> np.ndarray:
    """Return the importance map (float32, rgb's shape, values 0..1)."""
    h, w = rgb.shape[:2]
    if min(h, w) < 16:
        return np.ones((h, w), np.float32)
    parts = {
        "spectral": _spectral_residual(rgb),
        "surround": _surroundedness(rgb),
        "detail": _detail(rgb),
    }
    combined = _unit(sum(MAP_WEIGHTS[k] * _unit(v) for k, v in parts.items()))
    # Only what stands out of the photo's average counts: without this floor, a wide spread
    # of middling texture (water, foliage) outweighed a compact subject.
    return _unit(np.clip(combined - combined.mean(), 0, None))


def _spectral_residual(rgb: np.ndarray) -> np.ndarray:
    """Hou & Zhang (2007) spectral-residual saliency: what stands out of the image's spectrum."""
    ok, saliency = cv2.saliency.StaticSaliencySpectralResidual_create().computeSaliency(rgb)
    if not ok:
        return np.zeros(rgb.shape[:2], np.float32)
    return _blur(saliency.astype(np.float32), rgb.shape)


def _surroundedness(rgb: np.ndarray, step: int = 16) -> np.ndarray:
    """Zhang & Sclaroff (2013) Boolean Map Saliency: regions that do not touch the border.

    Each Lab channel is thresholded every ``step`` levels (the paper uses 8; 16 halves the
    cost and scored the same on the corpus); in every boolean map and its complement, pixels
    connected to the image border are background (sky, sea, floor) and the rest is figure.
    """
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (3, 3), 0), cv2.COLOR_RGB2LAB)
    h, w = lab.shape[:2]
    attention = np.zeros((h, w), np.float32)
    framed = np.empty((h + 2, w + 2), np.uint8)
    for channel in cv2.split(lab):
        lo, hi = int(channel.min()), int(channel.max())
        for threshold in range(lo + step // 2, hi, step):
            above = channel > threshold
            for mask in (above, ~above):
                framed[:] = 1
                framed[1:-1, 1:-1] = mask
                cv2.floodFill(framed, None, (0, 0), 0)  # wipes everything touching the frame
                figure = framed[1:-1, 1:-1]
                count = cv2.countNonZero(figure)
                if count:
                    # Normalised by the region's size, as in the paper, so small surrounded
                    # regions (a face, a boat) count as much as large ones.
                    attention += figure * np.float32(1 / np.sqrt(count))
    return _blur(attention, rgb.shape)


def _detail(rgb: np.ndarray) -> np.ndarray:
    """Local contrast (absolute Laplacian), blurred: sharp, in-focus parts of the photo."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return _blur(np.abs(cv2.Laplacian(gray, cv2.CV_32F)), rgb.shape)


def _blur(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    # Sigma 2 % of the long side: merges a subject's parts into one blob.
    sigma = max(1.0, 0.02 * max(shape[:2]))
    return cv2.GaussianBlur(values.astype(np.float32), (0, 0), sigma)


def _unit(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    values -= values.min()
    top = float(values.max())
    return values / top if top > 0 else values


def _salient(
    importance: np.ndarray, back: tuple[float, float], width: int, height: int
) -> list[Subject]:
    """Return the largest strongly important region as a "salient" subject, for display."""
    threshold = max(0.5, float(importance.mean() + 2 * importance.std()))
    mask = (importance >= threshold).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count <= 1:
        return []
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = (int(v) for v in stats[best, :4])
    return [Subject("salient", _scaled((x, y, x + w, y + h), back, width, height), 0.5)]
