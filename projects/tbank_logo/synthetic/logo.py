"""Procedural T-Bank-style logo: a heraldic shield with a bold "T" inside, as RGBA uint8.

Shapes are polygons in unit coordinates (shield width 1) so the distractors can reuse
them; they are filled at ``SS``x the target size and downscaled with ``INTER_AREA``, which
gives clean anti-aliased edges even for 8 px logos.
"""
import cv2
import numpy as np

SS = 4  # supersampling factor

# (name, weight): yellow/black dominates, as in real photos.
SCHEMES = (('yellow', 0.50), ('white', 0.20), ('black_white', 0.06),
           ('black_yellow', 0.06), ('grey', 0.08), ('other', 0.10))
YELLOW = (255, 221, 45)


def _bezier(p0, p1, p2, p3, n=24):
    t = np.linspace(0, 1, n)[:, None]
    return ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2
            + t ** 3 * p3)


def shield_polygon(rng, aspect=None):
    """Shield outline (N, 2) in unit coords (x in [0, 1], y in [0, aspect]).

    Flat top, straight (or slightly tapering) sides, then a curve to a pointed or
    rounded bottom; returns ``(polygon, aspect)``.
    """
    r = rng.uniform(1.0, 1.25) if aspect is None else aspect
    side = rng.uniform(0.4, 0.62) * r          # where the straight sides end
    taper = rng.uniform(0.0, 0.05)
    a, b = rng.uniform(0.35, 0.9), rng.uniform(0.0, 0.22)  # b=0: pointed, larger: rounder
    left = _bezier(np.array([taper, side]), np.array([taper, side + (r - side) * a]),
                   np.array([0.5 - b, r]), np.array([0.5, r]))
    right = left[::-1][1:] * [-1, 1] + [1, 0]
    pts = np.vstack([[0, 0], left, right, [1, 0]])
    return pts, r


def t_polygon(rng, r):
    """Bold T (with optional flared bar ends / stem foot) inside a shield of aspect ``r``."""
    y0 = rng.uniform(0.17, 0.26) * r
    bh = rng.uniform(0.13, 0.2) * r                 # bar height
    bw = rng.uniform(0.5, 0.66)                     # bar width
    sw = rng.uniform(0.16, 0.25)                    # stem width
    y1 = rng.uniform(0.66, 0.78) * r                # stem bottom
    flare = rng.uniform(0, 0.05) * (rng.random() < 0.6)
    foot = rng.uniform(0, 0.04) * (rng.random() < 0.5)
    xl, xr, sl, sr = 0.5 - bw / 2, 0.5 + bw / 2, 0.5 - sw / 2, 0.5 + sw / 2
    return np.array([[xl, y0], [xr, y0], [xr, y0 + bh + flare], [xr - flare, y0 + bh],
                     [sr, y0 + bh], [sr + foot, y1], [sl - foot, y1], [sl, y0 + bh],
                     [xl + flare, y0 + bh], [xl, y0 + bh + flare]])


def _jitter(rng, rgb, amount=18):
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in rgb)


def pick_colors(rng, scheme=None):
    """Return ``(scheme, shield_rgb, t_rgb)`` for a colour scheme (random if None)."""
    names, weights = zip(*SCHEMES)
    if scheme is None:
        scheme = names[rng.choice(len(names), p=np.array(weights) / sum(weights))]
    dark = _jitter(rng, (45, 45, 48), 20)
    if scheme == 'yellow':
        shield = (int(rng.integers(235, 256)), int(rng.integers(195, 236)),
                  int(rng.integers(0, 80)))
        return scheme, shield, dark
    if scheme == 'white':
        g = int(rng.integers(228, 256))
        return scheme, (g, g, g), dark
    if scheme == 'black_white':
        return scheme, dark, _jitter(rng, (245, 245, 245), 10)
    if scheme == 'black_yellow':
        return scheme, dark, _jitter(rng, YELLOW, 15)
    if scheme == 'grey':
        g = int(rng.integers(60, 220))
        t = g - 90 if g > 140 else g + 90
        return scheme, (g, g, g), (t, t, t)
    # 'other': any saturated shield colour with a black or white T, whichever contrasts
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(120, 256), rng.integers(90, 256)]]])
    shield = tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
    t = dark if np.dot(shield, (0.3, 0.59, 0.11)) > 140 else (245, 245, 245)
    return scheme, shield, t


def rasterize(polys, width, height, pad=1):
    """Anti-aliased float masks in [0, 1] of unit-coordinate polygons (scaled by ``width``)."""
    s = SS
    out = []
    for poly in polys:
        m = np.zeros(((height + 2 * pad) * s, (width + 2 * pad) * s), np.uint8)
        pts = np.round((np.asarray(poly) * width + pad) * s * 8).astype(np.int32)
        cv2.fillPoly(m, [pts], 255, cv2.LINE_8, shift=3)  # shift=3: 1/8 sub-pixel precision
        out.append(cv2.resize(m, (width + 2 * pad, height + 2 * pad),
                              interpolation=cv2.INTER_AREA).astype(np.float32) / 255)
    return out


def layers_to_rgba(masks_colors, shape):
    """Stack (mask, rgb) layers bottom-up into an RGBA uint8 image (alpha = union)."""
    rgb = np.zeros(shape + (3,), np.float32)
    alpha = np.zeros(shape, np.float32)
    # Colour the transparent area like the first layer so resampling gives no dark fringe.
    rgb[:] = masks_colors[0][1]
    for m, c in masks_colors:
        rgb = rgb * (1 - m[..., None]) + np.float32(c) * m[..., None]
        alpha = np.maximum(alpha, m)
    return np.dstack([np.clip(rgb + 0.5, 0, 255), alpha * 255 + 0.5]).astype(np.uint8)


def render_logo(rng, width=64, scheme=None, outline=None, background=None):
    """Render one T-Bank-style logo as RGBA uint8 (shield ``width`` px wide, 1 px padding).

    ``outline``: None = random (thin, occasional), True/False to force. ``background``: an
    RGB colour the logo will sit on; a shield too close to it gets a contrasting outline
    so the shield stays visible (a bare T would look like a distractor).
    """
    width = max(int(round(width)), 6)
    shield, r = shield_polygon(rng)
    t = t_polygon(rng, r)
    scheme, c_shield, c_t = pick_colors(rng, scheme)
    height = int(round(width * r))
    m_shield, m_t = rasterize([shield, t], width, height)
    layers = [(m_shield, c_shield)]
    if outline is None:
        outline = rng.random() < 0.15
        if background is not None and np.abs(np.subtract(c_shield, background)).max() < 70:
            outline = True
    if outline:
        # Outline = shield minus a slightly shrunk copy of it.
        k = rng.uniform(0.03, 0.06)
        inner = (shield - 0.5 * np.array([1, r])) * (1 - 2 * k) + 0.5 * np.array([1, r])
        m_inner, = rasterize([inner], width, height)
        lum = np.dot(background if background is not None else c_shield, (0.3, 0.59, 0.11))
        c_out = _jitter(rng, (40, 40, 40) if lum > 110 else (235, 235, 235), 15)
        layers = [(m_shield, c_out), (m_inner, c_shield)]
    layers.append((m_t, c_t))
    rgba = layers_to_rgba(layers, m_shield.shape)
    if rng.random() < 0.4:  # mild vertical shading, like a glossy/3D sign
        g = 1 + rng.uniform(-0.15, 0.15) * np.linspace(-1, 1, rgba.shape[0])[:, None, None]
        rgba[..., :3] = np.clip(rgba[..., :3] * g, 0, 255).astype(np.uint8)
    return rgba
