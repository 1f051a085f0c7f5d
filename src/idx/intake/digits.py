"""Reading one digit box with a small classifier instead of Tesseract (docs/decisions/0026).

Tesseract's line model reads a row of isolated box glyphs poorly (serif digits most); a digit box
holds one character of ten, so a classifier on the box's normalised ink reads it better and in
milliseconds. Each box's ink (black on white, border wiped) is cleaned of specks, cropped to its
bounding box, scaled into ``INNER``×``INNER`` keeping its aspect, centred by its centre of mass in a
``SIDE``×``SIDE`` square and described by its histogram of oriented gradients plus its coarse pixels.
A small neural network (one hidden layer, softmax) gives each box a digit and a probability; an
eleventh class, "not a digit" (katakana, kanji, letters that are no look-alikes, random
scribbles), keeps a scribble from being read with confidence.

The network's weights ship with the package (``digits.npz``, about 190 KB; reading needs only
numpy). ``python -m idx.intake.digits`` regenerates them with scikit-learn (``MLPClassifier``; half
a minute to two on this machine; the same weights again on the same fonts and library versions):
digits 0-9 drawn with the fonts on the machine (Noto Sans CJK regular and bold and their mono
faces, Noto Serif CJK bold, DejaVu Sans/Serif/Mono in their styles) at font sizes of 55-105 % of a
box's inside, each turned by up to ±8° and slanted by up to ±0.18, blurred or not, noised at σ
0/8/18, thresholded at 110-190, strokes thinned or thickened; plus scikit-learn's bundled
handwritten digits (8×8, scaled up). Noto Serif CJK Regular is kept out of training
(``HELD_OUT_FONTS``): the generated scans (``idx.intake.simulate``) use it for a third of their
forms, so the measurement on it is one on a font the classifier has not seen.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SIDE = 28  # px of the normalised square
INNER = 20  # px the ink's longer side is scaled to
BLANK_INK = 0.01  # share of dark pixels in a box below which it is blank
NOT_A_DIGIT = 10  # the eleventh class
NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
# (file, face indexes in a .ttc collection): JP and Mono JP faces of each Noto CJK file.
TRAINING_FONTS: tuple[tuple[Path, tuple[int, ...]], ...] = (
    (NOTO_DIR / "NotoSansCJK-Regular.ttc", (0, 5)),
    (NOTO_DIR / "NotoSansCJK-Bold.ttc", (0, 5)),
    (NOTO_DIR / "NotoSerifCJK-Bold.ttc", (0,)),
    *(
        (DEJAVU_DIR / name, (0,))
        for name in (
            "DejaVuSans.ttf",
            "DejaVuSans-Bold.ttf",
            "DejaVuSans-Oblique.ttf",
            "DejaVuSansCondensed.ttf",
            "DejaVuSansCondensed-Bold.ttf",
            "DejaVuSansMono.ttf",
            "DejaVuSansMono-Bold.ttf",
            "DejaVuSerif.ttf",
            "DejaVuSerif-Bold.ttf",
            "DejaVuSerif-Italic.ttf",
            "DejaVuSerifCondensed.ttf",
            "DejaVuSerifCondensed-Bold.ttf",
        )
    ),
)
HELD_OUT_FONTS = (NOTO_DIR / "NotoSerifCJK-Regular.ttc",)
# Characters of the "not a digit" class: none of them looks like a digit (O, l, S, B, ロ … do).
NOT_DIGITS = "アイウエオカキクケコサシスセソタチツテトナヌネノハヒフヘホマミムメモヤユヨラリルレヲンあいうえお山田川木本東京人名AEFHKMNPRUVWXYk#%&?@*+="
CELL_PX = 42  # px of a box's inside as reading.py cuts it at 200 dpi (6.5 mm less 0.55 mm a side)

HIDDEN = 96
MODEL_FILE = Path(__file__).with_name("digits.npz")

_LOCK = threading.Lock()
_MODEL: dict[str, np.ndarray] | None = None


def normalise(cut: np.ndarray) -> np.ndarray | None:
    """The box's ink as a ``SIDE``×``SIDE`` float image (ink 1, paper 0), or None when it is blank."""
    import cv2

    ink = (cut < 128).astype(np.uint8)
    if ink.mean() < BLANK_INK:
        return None
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= max(4, 0.08 * areas.max())) + 1
    mask = np.isin(labels, keep)
    if mask.sum() < max(8, BLANK_INK * cut.size / 2):
        return None
    ys, xs = np.nonzero(mask)
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = crop.shape
    scale = INNER / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_AREA)
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    total = float(small.sum()) or 1.0
    cy = float((small.sum(axis=1) * np.arange(new_h)).sum()) / total
    cx = float((small.sum(axis=0) * np.arange(new_w)).sum()) / total
    top = int(np.clip(round(SIDE / 2 - cy), 0, SIDE - new_h))
    left = int(np.clip(round(SIDE / 2 - cx), 0, SIDE - new_w))
    out[top : top + new_h, left : left + new_w] = small
    return out


def features(square: np.ndarray) -> np.ndarray:
    """Histogram of oriented gradients of the normalised square (7 px cells, 2×2-cell blocks, 9
    unsigned orientations), plus its 14×14 pixels."""
    gy, gx = np.gradient(square)
    magnitude = np.hypot(gx, gy)
    orientation = np.mod(np.arctan2(gy, gx), np.pi)
    bins = np.minimum((orientation / np.pi * 9).astype(np.int64), 8)
    cells = SIDE // 7
    cell_of = (np.arange(SIDE) // 7)[:, None] * cells + (np.arange(SIDE) // 7)[None, :]
    histogram = np.zeros(cells * cells * 9, dtype=np.float64)
    np.add.at(histogram, (cell_of * 9 + bins).ravel(), magnitude.ravel())
    grid = histogram.reshape(cells, cells, 9)
    blocks = []
    for row in range(cells - 1):
        for column in range(cells - 1):
            block = grid[row : row + 2, column : column + 2].ravel()
            blocks.append(block / np.sqrt((block**2).sum() + 1e-6))
    coarse = square.reshape(14, 2, 14, 2).mean(axis=(1, 3)).ravel()
    return np.concatenate([*blocks, coarse]).astype(np.float32)


def _glyph(char: str, font: ImageFont.FreeTypeFont, rng: random.Random, *, angle: float) -> np.ndarray:
    """One character drawn as a box's inside would be cut from a scan: off-centre, turned, blurred, noised,
    thresholded."""
    import cv2

    canvas = Image.new("L", (CELL_PX * 2, CELL_PX * 2), 255)
    draw = ImageDraw.Draw(canvas)
    draw.text(
        (CELL_PX + rng.uniform(-3, 3), CELL_PX + rng.uniform(-3, 3)),
        char,
        font=font,
        fill=rng.randint(0, 70),
        anchor="mm",
    )
    if angle:
        canvas = canvas.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
    shear = rng.uniform(-0.18, 0.18)  # slanted hands and italic faces
    canvas = canvas.transform(
        canvas.size,
        Image.Transform.AFFINE,
        (1, shear, -shear * CELL_PX, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
        fillcolor=255,
    )
    blur = rng.choice((0.0, 0.0, 0.6, 0.9, 1.2))
    if blur:
        canvas = canvas.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(canvas).astype(np.float32)
    pixels += np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.choice((0, 8, 18)), pixels.shape)
    gray = cv2.medianBlur(np.clip(pixels, 0, 255).astype(np.uint8), 3)
    binary: np.ndarray = np.where(gray < rng.randint(110, 190), 0, 255).astype(np.uint8)
    stroke = rng.choice((0, 0, 0, -1, 1))  # thinner or heavier pens and toner
    if stroke:
        kernel = np.ones((2, 2), np.uint8)
        binary = cv2.dilate(binary, kernel) if stroke < 0 else cv2.erode(binary, kernel)
    half = CELL_PX // 2
    return binary[CELL_PX - half : CELL_PX + half, CELL_PX - half : CELL_PX + half]


def _scribble(rng: random.Random) -> np.ndarray:
    image = Image.new("L", (CELL_PX, CELL_PX), 255)
    draw = ImageDraw.Draw(image)
    points = [(rng.uniform(6, CELL_PX - 6), rng.uniform(6, CELL_PX - 6)) for _ in range(rng.randint(3, 7))]
    draw.line(points, fill=0, width=rng.randint(2, 4), joint="curve")
    return np.asarray(image)


def _handwritten() -> tuple[list[np.ndarray], list[int]]:
    """scikit-learn's bundled handwritten digits (8×8, 0-16), scaled up to a box's inside."""
    import cv2
    from sklearn.datasets import load_digits

    bunch = load_digits()
    squares, labels = [], []
    for image, label in zip(bunch.images, bunch.target, strict=True):
        big = cv2.resize((image * 16).astype(np.uint8), (32, 32), interpolation=cv2.INTER_CUBIC)
        cut = np.full((CELL_PX, CELL_PX), 255, dtype=np.uint8)
        cut[5:37, 5:37] = np.where(big > 110, 0, 255)
        square = normalise(cut)
        if square is not None:
            squares.append(square)
            labels.append(int(label))
    return squares, labels


def training_set(
    fonts: tuple[tuple[Path, tuple[int, ...]], ...] = TRAINING_FONTS, *, per_font: int = 20, seed: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels: each digit ``per_font`` times per font face, the not-a-digit class, and
    the bundled handwritten digits."""
    rng = random.Random(seed)
    squares: list[np.ndarray] = []
    labels: list[int] = []
    faces = [(path, index) for path, indexes in fonts if path.exists() for index in indexes]
    for path, index in faces:
        for _ in range(per_font):
            size = round(CELL_PX * rng.uniform(0.55, 1.05))
            font = ImageFont.truetype(str(path), size, index=index)
            for label, char in enumerate("0123456789"):
                cut = _glyph(char, font, rng, angle=rng.uniform(-8, 8))
                square = normalise(cut)
                if square is not None:
                    squares.append(square)
                    labels.append(label)
    others = 10 * per_font * len(faces) // 6
    kana_faces = [(path, index) for path, index in faces if path.suffix == ".ttc"]
    for number in range(others):
        if number % 3 == 0 or not kana_faces:
            cut = _scribble(rng)
        else:
            path, index = rng.choice(kana_faces)
            font = ImageFont.truetype(str(path), round(CELL_PX * rng.uniform(0.55, 1.0)), index=index)
            cut = _glyph(rng.choice(NOT_DIGITS), font, rng, angle=rng.uniform(-8, 8))
        square = normalise(cut)
        if square is not None:
            squares.append(square)
            labels.append(NOT_A_DIGIT)
    hand_squares, hand_labels = _handwritten()
    squares += hand_squares
    labels += hand_labels
    return np.stack([features(square) for square in squares]), np.array(labels)


def train(fonts: tuple[tuple[Path, tuple[int, ...]], ...] = TRAINING_FONTS) -> dict[str, np.ndarray]:
    """A small neural network (one hidden layer of ``HIDDEN``, scikit-learn) fitted on
    ``training_set``; its weights as arrays."""
    from sklearn.neural_network import MLPClassifier

    x, y = training_set(fonts)
    network = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-2, max_iter=300, random_state=0)
    network.fit(x, y)
    return {
        "w0": network.coefs_[0].astype(np.float32),
        "b0": network.intercepts_[0].astype(np.float32),
        "w1": network.coefs_[1].astype(np.float32),
        "b1": network.intercepts_[1].astype(np.float32),
        "classes": np.asarray(network.classes_, dtype=np.int64),
    }


def model() -> dict[str, np.ndarray]:
    """The classifier's weights, loaded from ``MODEL_FILE`` at first use and kept by the process."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            with np.load(MODEL_FILE) as stored:
                _MODEL = {name: stored[name] for name in stored.files}
        return _MODEL


def probabilities(rows: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
    hidden = np.maximum(rows @ weights["w0"] + weights["b0"], 0.0)
    scores = hidden @ weights["w1"] + weights["b1"]
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def read_digits(cuts: list[np.ndarray]) -> list[tuple[str, float]]:
    """Each box's digit and confidence (0-1): ``" "`` for a blank box, ``"?"`` (confidence below 0.3)
    for ink that is no digit."""
    inked: list[int] = []
    squares: list[np.ndarray] = []
    for index, cut in enumerate(cuts):
        square = normalise(cut)
        if square is not None:
            inked.append(index)
            squares.append(square)
    found: list[tuple[str, float]] = [(" ", 1.0)] * len(cuts)
    if not inked:
        return found
    weights = model()
    rows = probabilities(np.stack([features(square) for square in squares]), weights)
    classes = [int(c) for c in weights["classes"]]
    for index, row in zip(inked, rows, strict=True):
        order = np.argsort(row)[::-1]
        best, second = classes[order[0]], row[order[1]]
        digit_share = row[[i for i, c in enumerate(classes) if c != NOT_A_DIGIT]]
        if best == NOT_A_DIGIT:
            found[index] = ("?", round(float(min(0.29, digit_share.max())), 3))
            continue
        # The margin over the runner-up (a 3 that could be an 8 is not sure even at p 0.6).
        confidence = float(row[order[0]]) * (1.0 - float(second))
        found[index] = (str(best), round(confidence, 3))
    return found


def main() -> None:
    """Regenerates ``MODEL_FILE``: ``python -m idx.intake.digits`` (needs scikit-learn; a minute)."""
    weights = train()
    np.savez_compressed(MODEL_FILE, **weights)  # type: ignore[arg-type]
    print(f"wrote {MODEL_FILE} ({MODEL_FILE.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
