"""Hard negatives that must NOT be labelled: a bare T, shields/badges with other symbols,
an old-Tinkoff-style coat of arms and "TINKOFF"/"ТИНЬКОФФ"/"BANK" wordmarks.

None of them combines a shield with a T, so the only cue for "logo" is that combination.
"""
import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .logo import SS, YELLOW, layers_to_rgba, pick_colors, rasterize, shield_polygon, t_polygon

KINDS = (('bare_t', 0.2), ('shield_symbol', 0.25), ('badge', 0.15),
         ('coat_of_arms', 0.2), ('wordmark', 0.2))
WORDS = ('ТИНЬКОФФ', 'TINKOFF', 'BANK', 'TINKOFF BANK', 'ТИНЬКОФФ БАНК', 'Tinkoff')
LETTERS = 'ABKMSPXZ8HEORW$%'  # no T-like glyphs (T, Y, I, J, 1, 7)
# Pillow's built-in font has no Cyrillic: draw each Cyrillic letter as a Latin look-alike
# ('И' = mirrored N, 'Ф' = O crossed by I); good enough for a texture the detector must ignore.
CYR = {'Т': 'T', 'Н': 'H', 'К': 'K', 'О': 'O', 'А': 'A', 'Ь': 'b', 'И': 'N', 'Ф': 'O', 'Б': 'b'}


def _font(px):
    return ImageFont.load_default(size=max(int(px), 4))


def draw_text(draw, xy, text, px, fill):
    """Draw ``text`` (Cyrillic via look-alikes) at ``xy`` with the default font; return width."""
    font, x, y = _font(px), *xy
    for ch in text:
        glyph = CYR.get(ch, ch)
        w = font.getlength(glyph)
        if ch == 'И':  # mirrored N
            tile = Image.new('L', (int(w) + 2, int(px * 1.3) + 2), 0)
            ImageDraw.Draw(tile).text((1, 0), 'N', font=font, fill=255)
            draw.bitmap((int(x), int(y)), tile.transpose(Image.FLIP_LEFT_RIGHT), fill=fill)
        else:
            draw.text((x, y), glyph, font=font, fill=fill)
        if ch == 'Ф':
            draw.text((x + w / 2 - font.getlength('I') / 2, y - px * 0.08), 'I', font=font,
                      fill=fill)
        x += w
    return x - xy[0]


def _glyph_mask(text, width, height, pad=1, frac=0.55, center=(0.5, 0.5)):
    """Anti-aliased mask of a glyph/short text centred in a (width, height) canvas."""
    s = SS
    img = Image.new('L', ((width + 2 * pad) * s, (height + 2 * pad) * s), 0)
    px = frac * height * s
    d = ImageDraw.Draw(img)
    l, t, r, b = _font(px).getbbox(text)
    cx, cy = (center[0] * width + pad) * s, (center[1] * height + pad) * s
    draw_text(d, (cx - (r - l) / 2 - l, cy - (b - t) / 2 - t), text, px, 255)
    m = cv2.resize(np.asarray(img), (width + 2 * pad, height + 2 * pad),
                   interpolation=cv2.INTER_AREA)
    return m.astype(np.float32) / 255


def _symbol_poly(rng, kind, r):
    """A non-T symbol polygon in unit coordinates (centre ~ (0.5, 0.45 r))."""
    cx, cy, s = 0.5, 0.45 * r, rng.uniform(0.22, 0.32)
    if kind == 'circle':
        a = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        return np.c_[cx + s * np.cos(a), cy + s * np.sin(a)]
    if kind == 'star':
        a = np.linspace(0, 2 * np.pi, 10, endpoint=False) - np.pi / 2
        rad = np.where(np.arange(10) % 2, s * 0.45, s)
        return np.c_[cx + rad * np.cos(a), cy + rad * np.sin(a)]
    if kind == 'cross':  # plus sign: arms equal, unlike a T
        w = s * 0.35
        return np.array([[cx - w, cy - s], [cx + w, cy - s], [cx + w, cy - w], [cx + s, cy - w],
                         [cx + s, cy + w], [cx + w, cy + w], [cx + w, cy + s], [cx - w, cy + s],
                         [cx - w, cy + w], [cx - s, cy + w], [cx - s, cy - w], [cx - w, cy - w]])
    # chevron
    return np.array([[cx - s, cy - s * 0.6], [cx, cy + s * 0.2], [cx + s, cy - s * 0.6],
                     [cx + s, cy - s * 0.1], [cx, cy + s * 0.7], [cx - s, cy - s * 0.1]])


def _wordmark(rng, height):
    text = WORDS[rng.integers(len(WORDS))]
    px = height * 4
    font = _font(px)
    w = int(sum(font.getlength(CYR.get(c, c)) for c in text)) + 8
    img = Image.new('L', (w, int(px * 1.4)), 0)
    draw_text(ImageDraw.Draw(img), (4, 0), text, px, 255)
    m = np.asarray(img)
    ys, xs = np.nonzero(m)
    m = m[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h = max(int(height), 4)
    m = cv2.resize(m, (max(int(m.shape[1] * h / m.shape[0]), 4), h), interpolation=cv2.INTER_AREA)
    m = np.pad(m, 1).astype(np.float32) / 255
    color = YELLOW if rng.random() < 0.2 else tuple(int(c) for c in rng.integers(0, 256, 3))
    if rng.random() < 0.3:
        color = (40, 40, 40)
    return layers_to_rgba([(m, color)], m.shape)


def _coat_of_arms(rng, width):
    """Old-Tinkoff-like crest: shield split by a horizontal band, crown on top, side arcs."""
    r = rng.uniform(1.0, 1.2)
    shield, _ = shield_polygon(rng, r)
    top = rng.uniform(0.25, 0.35)                  # room for the crown above the shield
    sx = 0.7                                       # shield occupies the middle 70%
    off = np.array([(1 - sx) / 2, top])
    shield = shield * sx + off
    band_y, band_h = off[1] + rng.uniform(0.3, 0.45) * r * sx, rng.uniform(0.1, 0.16) * r * sx
    band = np.array([[0.1, band_y], [0.9, band_y], [0.9, band_y + band_h], [0.1, band_y + band_h]])
    n = int(rng.integers(3, 6))
    xs = np.linspace(0.25, 0.75, 2 * n + 1)
    crown = np.array([[0.25, top - 0.02]] + [[x, top * (0.3 if i % 2 else 0.6)]
                                             for i, x in enumerate(xs[1:-1], 1)]
                     + [[0.75, top - 0.02]])
    a = np.linspace(0.2 * np.pi, 0.8 * np.pi, 16)

    def arc(cx, sgn):  # a crescent "laurel" beside the shield
        return np.r_[np.c_[cx - sgn * 0.1 * np.cos(a), 0.55 * r + 0.35 * np.sin(a)],
                     np.c_[cx - sgn * 0.05 * np.cos(a[::-1]), 0.55 * r + 0.3 * np.sin(a[::-1])]]
    height = int(round(width * (top + r * sx + 0.15)))
    polys = [shield, band, crown, arc(0.12, 1), arc(0.88, -1)]
    m_shield, m_band, m_crown, m_l, m_r = rasterize(polys, width, height)
    c_main = YELLOW if rng.random() < 0.6 else pick_colors(rng)[1]
    c_dark = (40, 40, 40) if rng.random() < 0.8 else (230, 230, 230)
    layers = [(m_shield, c_main), (m_band, c_dark), (m_crown, c_dark),
              (np.maximum(m_l, m_r), c_dark)]
    # a few dots on the band, like a motto/ornament
    dots = np.zeros_like(m_shield)
    for x in np.linspace(0.2, 0.8, int(rng.integers(3, 7))):
        cv2.circle(dots, (int(x * width) + 1, int((band_y + band_h / 2) * width) + 1),
                   max(int(band_h * width * 0.25), 1), 1.0, -1, cv2.LINE_AA)
    layers.append((dots, c_main))
    return layers_to_rgba(layers, m_shield.shape)


def render_distractor(rng, width=64, kind=None):
    """Render a negative object as RGBA uint8 about ``width`` px wide; returns (rgba, kind)."""
    names, weights = zip(*KINDS)
    if kind is None:
        kind = names[rng.choice(len(names), p=np.array(weights) / sum(weights))]
    width = max(int(round(width)), 6)
    if kind == 'wordmark':
        return _wordmark(rng, max(width / rng.uniform(3, 7), 5)), kind
    if kind == 'coat_of_arms':
        return _coat_of_arms(rng, width), kind
    _, c_bg, c_fg = pick_colors(rng)
    if kind == 'bare_t':
        # No dark T: a dark T on a yellow/white backdrop would look like a real logo whose
        # shield blends into the background.
        hsv = np.uint8([[[rng.integers(0, 180), rng.integers(0, 256), rng.integers(140, 256)]]])
        color = tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
        r = rng.uniform(0.8, 1.2)
        t = t_polygon(rng, r) - [0, 0.1 * r]
        m, = rasterize([t], width, int(round(width * r * 0.75)))
        return layers_to_rgba([(m, color)], m.shape), kind
    if kind == 'shield_symbol':
        outline, r = shield_polygon(rng)
    else:  # badge: circle or rounded square
        r = 1.0
        a = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        outline = np.c_[0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)]
        if rng.random() < 0.4:
            outline = np.clip(outline * 1.25 - 0.125, 0, 1)  # squircle-ish
    height = int(round(width * r))
    m_bg, = rasterize([outline], width, height)
    if rng.random() < 0.5:
        m_fg = _glyph_mask(LETTERS[rng.integers(len(LETTERS))], width, height,
                           frac=rng.uniform(0.45, 0.6), center=(0.5, 0.45 if r > 1 else 0.5))
    else:
        sym = ('circle', 'star', 'cross', 'chevron')[rng.integers(4)]
        m_fg, = rasterize([_symbol_poly(rng, sym, r)], width, height)
    return layers_to_rgba([(m_bg, c_bg), (m_fg * m_bg, c_fg)], m_bg.shape), kind
