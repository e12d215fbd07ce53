"""Backgrounds: cheap procedural textures, or random crops of user-supplied photos.

Every function returns an RGB uint8 image plus a ``scene`` name, and draws only from the
given ``rng`` so a scene is fully determined by the per-image seed.
"""
import os
import warnings

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .distractors import _font

PHOTO_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
# Yellow backgrounds matter: the logo is often shown on the brand's own yellow.
SCENES = (('gradient', 0.15), ('noise', 0.2), ('stripes', 0.1), ('blocks', 0.2),
          ('yellow', 0.35))


def _color(rng, lo=0, hi=256):
    return rng.integers(lo, hi, 3).astype(np.float32)


def gradient(rng, w, h):
    a = rng.uniform(0, 2 * np.pi)
    xx, yy = np.arange(w, dtype=np.float32)[None], np.arange(h, dtype=np.float32)[:, None]
    t = xx * float(np.cos(a)) + yy * float(np.sin(a))  # broadcasting: cheaper than mgrid
    t = ((t - t.min()) / max(float(t.max() - t.min()), 1))[..., None]
    c0, c1 = _color(rng), _color(rng)
    return c0 + (c1 - c0) * t


def noise(rng, w, h):
    """Smooth colour blobs: upsampled low-res noise plus a little fine grain."""
    g = int(rng.integers(2, 9))
    low = rng.uniform(0, 255, (g, g, 3)).astype(np.float32)
    img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    return img + rng.standard_normal((h, w, 1), np.float32) * rng.uniform(0, 8)


def stripes(rng, w, h):
    """Stripes or a checkerboard of tiles in two colours (walls, awnings, floors)."""
    period = rng.uniform(6, max(w, h) / 3)
    xx, yy = np.arange(w, dtype=np.float32)[None], np.arange(h, dtype=np.float32)[:, None]
    a = rng.uniform(0, np.pi)
    ca, sa = float(np.cos(a)), float(np.sin(a))
    u = xx * ca + yy * sa
    if rng.random() < 0.5:
        m = (np.floor(u / period) % 2)
    else:
        v = yy * ca - xx * sa
        m = (np.floor(u / period) + np.floor(v / period)) % 2
    m = cv2.GaussianBlur(m.astype(np.float32), (0, 0), 0.7)[..., None]
    c0, c1 = _color(rng), _color(rng)
    return c1 + (c0 - c1) * m


def blocks(rng, w, h, base=None):
    """Random rectangles like signage, windows and buildings."""
    img = np.empty((h, w, 3), np.float32)
    img[:] = _color(rng) if base is None else base
    for _ in range(int(rng.integers(4, 16))):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        x1 = x0 + int(rng.integers(4, max(w // 2, 5)))
        y1 = y0 + int(rng.integers(4, max(h // 2, 5)))
        img[y0:y1, x0:x1] = _color(rng)
    return img


def text_clutter(rng, img, n=None):
    """Draw random words/lines (text-like clutter) onto a float RGB image."""
    h, w = img.shape[:2]
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(pil)
    letters = 'ABCDEFGHKLMNOPRSUVWXZ0123456789 '
    for _ in range(int(rng.integers(1, 6)) if n is None else n):
        px = int(rng.integers(6, max(h // 8, 8)))
        word = ''.join(rng.choice(list(letters), int(rng.integers(3, 12))))
        col = tuple(int(c) for c in (rng.integers(0, 80, 3) if rng.random() < 0.7
                                     else rng.integers(0, 256, 3)))
        d.text((int(rng.integers(-10, w)), int(rng.integers(-5, h))), word, font=_font(px),
               fill=col)
    for _ in range(int(rng.integers(0, 4))):  # thin rules / underlines
        y = int(rng.integers(0, h))
        d.line([(int(rng.integers(0, w // 2)), y), (int(rng.integers(w // 2, w)), y)],
               fill=tuple(int(c) for c in rng.integers(0, 90, 3)), width=int(rng.integers(1, 3)))
    return np.asarray(pil).astype(np.float32)


def yellow(rng, w, h):
    """Brand-yellow backdrop (flat or slightly shaded) with text-like clutter."""
    base = np.float32([rng.integers(225, 256), rng.integers(190, 235), rng.integers(0, 90)])
    if rng.random() < 0.3:
        img = blocks(rng, w, h, base)
    else:
        yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None, None]
        img = np.ones((h, w, 3), np.float32) * base * (1 + rng.uniform(-0.12, 0.12) * yy)
    return text_clutter(rng, img)


def list_images(folder):
    """Sorted image paths under ``folder`` (recursive); sorting keeps runs reproducible."""
    out = []
    for root, _, files in os.walk(folder):
        out += [os.path.join(root, f) for f in files if f.lower().endswith(PHOTO_EXTS)]
    return sorted(out)


def photo_crop(rng, path, w, h):
    """A random crop (aspect w:h, 30-100% of the photo) resized to (w, h); None if unreadable."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        warnings.warn(f'skipping unreadable background image {path}')
        return None
    ih, iw = img.shape[:2]
    scale = rng.uniform(0.3, 1.0) * min(iw / w, ih / h)
    cw, ch = max(int(w * scale), 1), max(int(h * scale), 1)
    x, y = int(rng.integers(0, iw - cw + 1)), int(rng.integers(0, ih - ch + 1))
    crop = cv2.resize(img[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)


def make_background(rng, size, photos=None, photo_prob=0.5):
    """Return ``(rgb_uint8, scene)`` of ``size=(W, H)``.

    ``photos``: optional list of image paths; used with ``photo_prob``, falling back to a
    procedural scene when the chosen file cannot be read.
    """
    w, h = size
    if photos and rng.random() < photo_prob:
        img = photo_crop(rng, photos[int(rng.integers(len(photos)))], w, h)
        if img is not None:
            return img, 'photo'
    names, weights = zip(*SCENES)
    scene = names[rng.choice(len(names), p=np.array(weights) / sum(weights))]
    img = {'gradient': gradient, 'noise': noise, 'stripes': stripes, 'blocks': blocks,
           'yellow': yellow}[scene](rng, w, h)
    if scene != 'yellow' and rng.random() < 0.3:
        img = text_clutter(rng, img)
    return np.clip(img, 0, 255).astype(np.uint8), scene
