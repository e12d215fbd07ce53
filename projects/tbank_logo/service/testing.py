"""Model-free stand-ins and upload corpora for testing the service (tests, load and fuzz tools).

* :class:`BlobDetector` "detects" the dark rectangle of :func:`blob_image` (the bounding box
  of its dark pixels), so a test can tell where a correct service must answer a box: after
  EXIF rotation, tiling, rescaling, in any colour mode;
* :func:`valid_uploads` / :func:`malformed_uploads`: every image kind the decoder must accept,
  and every broken or hostile file it must refuse, with the statuses allowed for each.
"""
import io
import re
import struct
import threading
import time
import zlib
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from mmdet_ext.inference.detections import Detections


class BlobDetector:
    """A detector double: one box around the pixels darker than ``dark`` in every channel.

    Args:
        score: the score of that box.
        score_thr: the threshold of :meth:`predict` (as a real detector's calibrated one).
        input_size: reported network input ``(w, h)``; sets when the service tiles.
        latency_s: sleep per image (a deliberately slow backend).
        dark: the channel value below which a pixel belongs to the blob.
        max_aspect: box the blob only when its long side is at most this many times its short
            side (a detector that knows only undistorted logos); None: any shape.
    """
    backend = 'fake'

    def __init__(self, score: float = 0.9, score_thr: float = 0.5,
                 input_size: Tuple[int, int] = (64, 64), latency_s: float = 0.0,
                 dark: int = 80, max_aspect: Optional[float] = None):
        self.score, self.score_thr, self.input_size = score, score_thr, tuple(input_size)
        self.latency_s, self.dark, self.max_aspect = latency_s, dark, max_aspect
        self.images_seen: List[Tuple[int, int]] = []  # (h, w) of each call's images
        self._lock = threading.Lock()

    def predict_raw(self, image: np.ndarray) -> Detections:
        with self._lock:
            self.images_seen.append(image.shape[:2])
        if self.latency_s:
            time.sleep(self.latency_s)
        ys, xs = np.nonzero((image < self.dark).all(-1))
        if not len(xs):
            return Detections()
        box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        sides = sorted((box[2] - box[0], box[3] - box[1]))
        if self.max_aspect and sides[1] > self.max_aspect * sides[0]:
            return Detections()
        return Detections(np.array([box], np.float32), np.array([self.score], np.float32))

    def predict_batch_raw(self, images: Sequence[np.ndarray]) -> List[Detections]:
        return [self.predict_raw(im) for im in images]

    def predict(self, image: np.ndarray) -> Detections:
        return self.predict_raw(image).above(self.score_thr)

    def predict_batch(self, images: Sequence[np.ndarray]) -> List[Detections]:
        return [d.above(self.score_thr) for d in self.predict_batch_raw(images)]


def blob_image(size=(96, 64), box=(20, 10, 50, 30)) -> Image.Image:
    """White RGB ``size`` image with a black rectangle ``box`` (x1, y1, x2, y2, exclusive)."""
    arr = np.full((size[1], size[0], 3), 255, np.uint8)
    x1, y1, x2, y2 = box
    arr[y1:y2, x1:x2] = 0
    return Image.fromarray(arr)


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def heic(img: Image.Image, **kwargs) -> bytes:
    """``img`` as a lossless HEIC (an iPhone's format), through ``pillow-heif``."""
    import pillow_heif
    pillow_heif.register_heif_opener()
    return encode(img, 'HEIF', quality=-1, **kwargs)


def exif_rotated_jpeg(img: Image.Image, orientation: int = 6) -> bytes:
    """A JPEG storing ``img`` as is, tagged to be shown rotated (6: 90 degrees clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(img, 'JPEG', quality=95, exif=exif.tobytes())


def png_16bit(size=(64, 48), value: int = 32768) -> bytes:
    """A 16-bit grayscale PNG filled with ``value`` (32768 is mid-gray)."""
    return encode(Image.fromarray(np.full((size[1], size[0]), value, np.uint16)), 'PNG')


def png_bomb(side: int = 8000) -> bytes:
    """A real decompression bomb: a ``side``^2 all-black grayscale PNG, a few tens of KB."""
    comp = zlib.compressobj(9)
    row = b'\x00' * (side + 1)  # filter byte + pixels
    idat = b''.join(comp.compress(row) for _ in range(side)) + comp.flush()
    return _png(side, side, idat)


def png_header_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG that declares a huge size but holds almost no data."""
    return _png(width, height, zlib.compress(b'\x00' * 64))


def _png(width: int, height: int, idat: bytes, bit_depth: int = 8, color: int = 0) -> bytes:
    def chunk(tag, data):
        return (struct.pack('>I', len(data)) + tag + data
                + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff))
    ihdr = struct.pack('>IIBBBBB', width, height, bit_depth, color, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', idat)
            + chunk(b'IEND', b''))


def jpeg_header_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A small valid JPEG whose frame header is patched to declare ``width`` x ``height``."""
    data = bytearray(encode(blob_image(), 'JPEG'))
    i = 2
    while i < len(data) - 9:
        marker, length = data[i + 1], struct.unpack('>H', data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 9] = struct.pack('>HH', height, width)
            return bytes(data)
        i += 2 + length
    raise AssertionError('no SOF marker')


def many_scans_jpeg(size=(800, 600), scans: int = 1000) -> bytes:
    """A valid progressive JPEG whose smallest scan is repeated until it has ``scans`` scans:
    a few kB that take a decoder one pass over the image per scan (libjpeg warns of the
    bogus progression and goes on)."""
    rng = np.random.default_rng(0)
    small = Image.fromarray(rng.integers(0, 256, (size[1] // 32 + 1, size[0] // 32 + 1, 3),
                                         dtype=np.uint8))
    data = encode(small.resize(size), 'JPEG', progressive=True, quality=30)
    segments, pos = [], 2
    while data[pos + 1] != 0xD9:  # up to EOI
        end = pos + 2 + struct.unpack('>H', data[pos + 2:pos + 4])[0]
        if data[pos + 1] == 0xDA:  # a scan runs to the next marker
            end = re.compile(rb'\xff[^\x00\xd0-\xd7]').search(data, end).start()
        segments.append(data[pos:end])
        pos = end
    found = [seg for seg in segments if seg[1] == 0xDA]
    smallest = min(found[1:], key=len)  # an AC scan: the DC one sets up the others
    extra = smallest * (scans - len(found) + 1)
    return data[:2] + b''.join(extra if seg is smallest else seg for seg in segments) + data[pos:]


def bmp_header_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    data = bytearray(encode(blob_image(), 'BMP'))
    data[18:26] = struct.pack('<ii', width, height)
    return bytes(data)


def valid_uploads(box=(20, 10, 50, 30), size=(96, 64)) -> Dict[str, bytes]:
    """Each image kind the service must read, all showing :func:`blob_image`'s rectangle
    at ``box``."""
    img = blob_image(size, box)
    rgba = img.convert('RGBA')
    alpha = np.array(rgba)
    alpha[..., 3] = 255
    alpha[:4, :4, 3] = 0  # a transparent corner, composited over white
    animated = [img, Image.new('RGB', size, (0, 0, 0))]  # a black 2nd frame must be ignored
    return {
        'jpeg': encode(img, 'JPEG', quality=95),
        'jpeg_progressive': encode(img, 'JPEG', quality=95, progressive=True),
        'jpeg_gray': encode(img.convert('L'), 'JPEG', quality=95),
        'jpeg_cmyk': encode(img.convert('CMYK'), 'JPEG', quality=95),
        'png': encode(img, 'PNG'),
        'png_gray': encode(img.convert('L'), 'PNG'),
        'png_16bit': encode(Image.fromarray(np.array(img.convert('L'), np.uint16) * 257),
                            'PNG'),
        'png_palette': encode(img.convert('P'), 'PNG'),
        'png_palette_transparency': encode(img.convert('P'), 'PNG', transparency=255),
        'png_rgba': encode(Image.fromarray(alpha), 'PNG'),
        'png_la': encode(img.convert('LA'), 'PNG'),
        'png_1bit': encode(img.convert('1'), 'PNG'),
        'png_animated': encode(animated[0], 'PNG', save_all=True,
                               append_images=animated[1:], duration=100),
        'bmp': encode(img, 'BMP'),
        'heic': heic(img),
        'bmp_1bit': encode(img.convert('1'), 'BMP'),
        'bmp_palette': encode(img.convert('P'), 'BMP'),
        'webp': encode(img, 'WEBP', lossless=True),
        'webp_lossy': encode(img, 'WEBP', quality=95),
        'webp_rgba': encode(Image.fromarray(alpha), 'WEBP', lossless=True),
        'webp_animated': encode(animated[0], 'WEBP', save_all=True,
                                append_images=animated[1:], duration=100, lossless=True),
    }


def other_formats() -> Dict[str, bytes]:
    """Real files of types the service refuses (415)."""
    img = blob_image()
    return {
        'gif': encode(img, 'GIF'),
        'tiff': encode(img, 'TIFF'),
        'pdf': encode(img, 'PDF'),
        'ico': encode(img, 'ICO'),
        'svg': b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        'avif': b'\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif' + b'\x00' * 64,
        'text': b'this is not an image\n' * 4,
        'zip': b'PK\x03\x04' + b'\x00' * 60,
    }


class Case(NamedTuple):
    """One upload of a fuzz pass and the statuses a correct service may answer."""
    kind: str
    data: bytes
    expect: frozenset


def _truncate(rng, data: bytes) -> bytes:
    # Keep the signature (else it is simply an unknown type) and lose some pixel data.
    return data[:int(rng.integers(16, max(17, len(data) - 40)))]


def _bitflip(rng, data: bytes) -> bytes:
    arr = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        pos = int(rng.integers(0, len(arr)))
        arr[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(arr)


_MAGIC = {'jpeg': b'\xff\xd8\xff', 'png': b'\x89PNG\r\n\x1a\n', 'bmp': b'BM',
          'webp': b'RIFF\x00\x00\x00\x00WEBP'}
_REFUSED = frozenset({400, 413, 415})
#: ``(width, height)`` of valid images that once got a 500 (a side resized to 0 px).
EXTREME_SHAPES = ((1, 20000), (20000, 1), (2, 20000), (20000, 2), (20000, 16), (16, 20000),
                  (1601, 3), (3, 1601), (161, 1), (321, 2), (640, 1), (1, 640), (1, 1))


def malformed_uploads(n: int = 500, seed: int = 0,
                      valid: Optional[Dict[str, bytes]] = None) -> Iterator[Case]:
    """``n`` hostile or broken uploads (cycling through the kinds, randomised by ``seed``).

    Kinds: empty file, truncated and bit-flipped files of each accepted type, random bytes
    with and without an accepted signature, refused formats, header bombs (PNG, JPEG, BMP),
    a real PNG bomb, a JPEG of a thousand scans (422), tiny valid files and odd valid ones
    (EXIF with a wrong orientation, :data:`EXTREME_SHAPES`).
    A bit-flipped file may still be a valid image (200) or declare a huge size (413).
    """
    rng = np.random.default_rng(seed)
    valid = valid or valid_uploads()
    originals = {k: v for k, v in valid.items() if k in ('jpeg', 'png', 'bmp', 'webp',
                                                         'webp_lossy', 'jpeg_progressive')}
    refused = other_formats()
    bombs = {'bomb_png_header': (png_header_bomb(), 413),
             'bomb_jpeg_header': (jpeg_header_bomb(), 413),
             'bomb_bmp_header': (bmp_header_bomb(), 413), 'bomb_png_real': (png_bomb(7000), 413),
             'bomb_jpeg_scans': (many_scans_jpeg(), 422)}
    exif_odd = exif_rotated_jpeg(blob_image(), orientation=9)

    def make(i: int) -> Case:
        k = i % 10
        if k == 9:  # a valid image of an extreme shape: every side rounds to 0 px somewhere
            w, h = EXTREME_SHAPES[int(rng.integers(len(EXTREME_SHAPES)))]
            fmt = ('PNG', 'JPEG')[int(rng.integers(2))]  # compressed: under any upload limit
            image = Image.fromarray(np.full((h, w, 3), int(rng.integers(0, 256)), np.uint8))
            return Case(f'shape_{w}x{h}_{fmt.lower()}', encode(image, fmt), frozenset({200}))
        name = sorted(originals)[int(rng.integers(len(originals)))]
        if k == 0:
            return Case('empty', b'', frozenset({400}))
        if k == 1:
            return Case(f'truncated_{name}', _truncate(rng, originals[name]),
                        frozenset({400}))
        if k == 2:
            return Case(f'bitflip_{name}', _bitflip(rng, originals[name]),
                        _REFUSED | {200})
        if k == 3:
            return Case('random_bytes', rng.bytes(int(rng.integers(1, 4096))), _REFUSED)
        if k == 4:
            magic = _MAGIC[sorted(_MAGIC)[int(rng.integers(len(_MAGIC)))]]
            return Case('random_with_magic', magic + rng.bytes(int(rng.integers(0, 2048))),
                        frozenset({400, 413}))
        if k == 5:
            kind = sorted(refused)[int(rng.integers(len(refused)))]
            return Case(f'refused_{kind}', refused[kind], frozenset({415}))
        if k == 6:
            kind = sorted(bombs)[int(rng.integers(len(bombs)))]
            data, status = bombs[kind]
            return Case(kind, data, frozenset({status}))
        if k == 7:
            return Case('exif_bad_orientation', exif_odd, frozenset({200}))
        kind = sorted(valid)[int(rng.integers(len(valid)))]
        return Case(f'valid_{kind}', valid[kind], frozenset({200}))

    for i in range(n):
        yield make(i)
