"""Paste RGBA objects onto a background and apply image-level photometric effects.

Ground-truth boxes are measured on the *warped alpha mask* (alpha > ``ALPHA_THRESH`` of
its max), never estimated from transformed corners, so they hug what is actually visible.
"""
import cv2
import numpy as np

ALPHA_THRESH = 0.3
LIGHTINGS = (('normal', 0.5), ('dark', 0.125), ('bright', 0.125), ('warm', 0.125),
             ('cool', 0.125))


def log_uniform(rng, lo, hi):
    lo, hi = max(lo, 1e-3), max(hi, lo)
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def resize_rgba(rgba, long_side):
    """Resize so the longer side is ``long_side`` px (INTER_AREA when shrinking)."""
    h, w = rgba.shape[:2]
    s = long_side / max(h, w)
    size = (max(int(round(w * s)), 1), max(int(round(h * s)), 1))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgba, size, interpolation=interp)


def alpha_box(alpha, thresh=ALPHA_THRESH):
    """Tight ``(x0, y0, x1, y1)`` (exclusive ends) of ``alpha > thresh * max``; None if empty."""
    if alpha.max() == 0:
        return None
    ys, xs = np.nonzero(alpha > thresh * alpha.max())
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def warp_rgba(rgba, rng, max_angle=15.0, max_persp=0.08):
    """Random small rotation + mild perspective; result cropped to its non-zero alpha."""
    h, w = rgba.shape[:2]
    pad = int(0.25 * max(h, w)) + 2
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]]) + pad
    c = src.mean(0)
    a = np.deg2rad(rng.uniform(-max_angle, max_angle))
    rot = np.float32([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = (src - c) @ rot.T + c + rng.uniform(-max_persp, max_persp, (4, 2)) * [w, h]
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    size = (w + 2 * pad, h + 2 * pad)
    # RGB replicates its border so the edge pixels don't blend with black.
    rgb = cv2.warpPerspective(cv2.copyMakeBorder(rgba[..., :3], pad, pad, pad, pad,
                                                 cv2.BORDER_REPLICATE), m, size,
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    al = cv2.warpPerspective(cv2.copyMakeBorder(rgba[..., 3], pad, pad, pad, pad,
                                                cv2.BORDER_CONSTANT, value=0), m, size,
                             flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    ys, xs = np.nonzero(al)
    if len(xs) == 0:
        return rgba
    sl = np.s_[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return np.dstack([rgb[sl], al[sl]])


def paste(img, rgba, x, y):
    """Alpha-composite ``rgba`` onto ``img`` (RGB uint8, modified in place) at (x, y)."""
    h, w = rgba.shape[:2]
    H, W = img.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 <= x0 or y1 <= y0:
        return img
    src = rgba[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)
    a = src[..., 3:] / 255
    dst = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = np.clip(dst * (1 - a) + src[..., :3] * a + 0.5, 0, 255).astype(np.uint8)
    return img


def _overlaps(box, boxes, max_frac=0.1):
    """True if ``box`` covers more than ``max_frac`` of itself or of any placed box."""
    x0, y0, x1, y1 = box
    for b in boxes:
        iw = min(x1, b[2]) - max(x0, b[0])
        ih = min(y1, b[3]) - max(y0, b[1])
        if iw > 0 and ih > 0:
            small = min((x1 - x0) * (y1 - y0), (b[2] - b[0]) * (b[3] - b[1]))
            if iw * ih > max_frac * small:
                return True
    return False


def place(img, obj, rng, min_side, max_side, taken, warp=True, max_angle=15.0,
          max_persp=0.08, tries=20):
    """Paste one object at a random free spot; return its ``[x, y, w, h]`` box or None.

    ``obj`` is an RGBA array (resized so its longer side is the sampled size) or a callable
    ``obj(long_side, rng, background_rgb) -> RGBA`` rendering at that size (crisper for
    procedural logos, and it can react to the local background colour). ``taken`` (list of
    xyxy boxes) is checked for overlap and extended.
    """
    H, W = img.shape[:2]
    for _ in range(tries):
        side = log_uniform(rng, min_side, max_side)
        cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        if callable(obj):
            r = max(int(side / 2), 1)
            local = img[max(int(cy) - r, 0):int(cy) + r + 1, max(int(cx) - r, 0):int(cx) + r + 1]
            rgba = obj(side, rng, local.reshape(-1, 3).mean(0))
        else:
            rgba = resize_rgba(obj, side)
        if warp:
            rgba = warp_rgba(rgba, rng, max_angle, max_persp)
        box = alpha_box(rgba[..., 3])
        if box is None:
            continue
        # Drop the faintest resampling fringe so nothing visible lies far outside the box.
        rgba[..., 3][rgba[..., 3] < 0.1 * rgba[..., 3].max()] = 0
        bw, bh = box[2] - box[0], box[3] - box[1]
        if bw > W or bh > H:
            continue
        # Keep the whole box inside the image, centred near (cx, cy).
        bx = int(np.clip(round(cx - bw / 2), 0, W - bw))
        by = int(np.clip(round(cy - bh / 2), 0, H - bh))
        xyxy = (bx, by, bx + bw, by + bh)
        if _overlaps(xyxy, taken):
            continue
        paste(img, rgba, bx - box[0], by - box[1])
        taken.append(xyxy)
        return [float(bx), float(by), float(bw), float(bh)]
    return None


def occlude(img, rng, box, max_frac=0.3):
    """Cover at most ``max_frac`` of ``box`` with a patch touching one of its sides."""
    x, y, w, h = (int(round(v)) for v in box)
    fw = rng.uniform(0.2, 0.6)
    fh = rng.uniform(0.2, min(0.9, max_frac / fw))
    pw, ph = max(int(w * fw), 1), max(int(h * fh), 1)
    side = rng.integers(4)
    px = x + (0 if side == 0 else w - pw if side == 1 else int(rng.integers(0, w - pw + 1)))
    py = y + (0 if side == 2 else h - ph if side == 3 else int(rng.integers(0, h - ph + 1)))
    patch = rng.integers(0, 256, 3) if rng.random() < 0.6 else \
        rng.integers(0, 256, (ph, pw, 3))
    img[py:py + ph, px:px + pw] = patch
    return img


def apply_effects(img, rng, boxes=(), occlusion_prob=0.1):
    """Image-level effects after pasting: occlusion, lighting, blur, noise.

    Returns ``(img, lighting)``. Strong degradations are kept rare so logos stay visible.
    """
    for b in boxes:
        if min(b[2], b[3]) >= 12 and rng.random() < occlusion_prob:
            occlude(img, rng, b)
    names, weights = zip(*LIGHTINGS)
    lighting = names[rng.choice(len(names), p=weights)]
    f = img.astype(np.float32)
    mean = float(f.mean())
    f = (f - mean) * rng.uniform(0.85, 1.15) + mean  # mild contrast change
    if lighting == 'dark':
        f *= rng.uniform(0.35, 0.7)
    elif lighting == 'bright':
        f = f * rng.uniform(1.1, 1.35) + rng.uniform(5, 30)
    elif lighting in ('warm', 'cool'):
        k = rng.uniform(0.08, 0.2) * (1 if lighting == 'warm' else -1)
        f *= np.float32([1 + k, 1, 1 - k])
    u = rng.random()
    if u < 0.25:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.4, 1.0))
    elif u < 0.3:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(1.0, 2.0))
    if rng.random() < 0.3:
        f += rng.standard_normal(f.shape, np.float32) * rng.uniform(2, 8)
    return np.clip(f + 0.5, 0, 255).astype(np.uint8), lighting


def compose_scene(background, logos, rng, distractors=(), min_box=8, max_box_frac=0.5,
                  effects=True, warp=True, min_distractor=16):
    """Paste ``logos`` then ``distractors`` (RGBA arrays or renderers, see :func:`place`).

    Returns a dict: ``image`` (RGB uint8), ``boxes`` (``[x, y, w, h]`` per placed logo),
    ``distractor_boxes``, ``lighting`` and ``jpeg_quality``. With ``effects=False`` no
    photometric effect or occlusion is applied (pixels are background + pasted logos only).
    """
    img = background.copy()
    H, W = img.shape[:2]
    max_side = max(max_box_frac * min(H, W), min_box)
    taken, boxes, dboxes = [], [], []
    for obj in logos:
        b = place(img, obj, rng, min_box, max_side, taken, warp=warp)
        if b is not None:
            boxes.append(b)
    for obj in distractors:
        # Tiny distractors would be indistinguishable blobs: keep them legible.
        lo = min(max(min_box, min_distractor), max_side)
        b = place(img, obj, rng, lo, max_side, taken, warp=warp)
        if b is not None:
            dboxes.append(b)
    lighting, quality = 'normal', 95
    if effects:
        img, lighting = apply_effects(img, rng, boxes)
        quality = int(rng.integers(60, 96))
    return dict(image=img, boxes=boxes, distractor_boxes=dboxes, lighting=lighting,
                jpeg_quality=quality)
