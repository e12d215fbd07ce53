"""Untrusted upload bytes -> a BGR ``uint8`` image, or a typed error that names the problem.

The type is told by the file's magic bytes, never by the client's content type; the
dimensions are read from the header and checked before a pixel is decoded, so a small file
that claims a huge image (a decompression bomb) costs nothing.
"""
import io
import re
from typing import Optional

import numpy as np
from PIL import Image, ImageOps

ACCEPTED = ('JPEG', 'PNG', 'BMP', 'WEBP', 'HEIC')
# Formats Pillow may report for an accepted signature (MPO: a JPEG with several pictures).
_PIL_FORMATS = {'JPEG': {'JPEG', 'MPO'}, 'PNG': {'PNG'}, 'BMP': {'BMP', 'DIB'}, 'WEBP': {'WEBP'},
                'HEIC': {'HEIF'}}
# ISO-BMFF major brands of HEIF stills and sequences (iPhone photos are 'heic'); AVIF ('avif')
# is another codec in the same box format and stays refused.
_HEIF_BRANDS = (b'heic', b'heix', b'heim', b'heis', b'hevc', b'hevx', b'mif1', b'msf1')
# Recognised but refused types, so that the error can name them.
_OTHER_SIGNATURES = (
    (b'GIF87a', 'GIF'), (b'GIF89a', 'GIF'), (b'II*\x00', 'TIFF'), (b'MM\x00*', 'TIFF'),
    (b'%PDF', 'PDF'), (b'\x00\x00\x01\x00', 'ICO'), (b'8BPS', 'PSD'), (b'PK\x03\x04', 'ZIP'),
    (b'\xff\x0a', 'JPEG XL'), (b'\x00\x00\x00\x0cJXL ', 'JPEG XL'), (b'<svg', 'SVG'),
    (b'<?xml', 'XML/SVG'),
)


class ImageError(Exception):
    """An upload the service refuses; ``status`` is the HTTP status that answers it."""
    status = 400
    error = 'invalid image'

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class CorruptImage(ImageError):
    status, error = 400, 'unreadable image'


class UnsupportedImageType(ImageError):
    status, error = 415, 'unsupported image type'


class ImageTooLarge(ImageError):
    status, error = 413, 'image too large'


class ImageTooCostly(ImageError):
    """Decodable, but its decoding would take too long (a progressive JPEG of many scans)."""
    status, error = 422, 'image too costly to decode'


def sniff_type(data: bytes) -> Optional[str]:
    """One of :data:`ACCEPTED` by the magic bytes, else None."""
    if data[:3] == b'\xff\xd8\xff':
        return 'JPEG'
    if data[:8] == b'\x89PNG\r\n\x1a\n':
        return 'PNG'
    if data[:2] == b'BM':
        return 'BMP'
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return 'WEBP'
    if data[4:8] == b'ftyp' and data[8:12] in _HEIF_BRANDS:
        return 'HEIC'
    return None


# A marker that ends a JPEG scan's entropy-coded data: 0xFF followed by anything but a stuffed
# 0x00, a restart marker (RST0-7, part of the scan) or a fill byte.
_MARKER_AFTER_SCAN = re.compile(rb'\xff[^\x00\xd0-\xd7\xff]')


def count_jpeg_scans(data: bytes) -> int:
    """Scans (SOS segments) of the first picture of a JPEG, read from its markers alone.

    Each scan of a progressive JPEG is a pass over the whole coefficient buffer, so a file of
    thousands of near-empty scans decodes for seconds from a few hundred kB: this is what
    :func:`decode_image` bounds before decoding. Stops at the first EOI or at data it cannot
    walk (then the decoder tells what is wrong).
    """
    pos, scans = 2, 0
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length field
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], 'big')
        if marker == 0xDA:  # SOS: the header, then entropy-coded data up to the next marker
            scans += 1
            end = _MARKER_AFTER_SCAN.search(data, pos)
            if end is None:
                break
            pos = end.start()
    return scans


def _register_heif() -> None:
    """Teach Pillow HEIF (``pillow-heif``), on the first HEIC upload only: the import loads
    libheif. Its decoder applies the file's rotation and mirroring itself, and clears the EXIF
    orientation it turned into them, so the upright image comes out as for a JPEG."""
    try:
        import pillow_heif
    except ImportError:
        raise UnsupportedImageType('HEIC needs the pillow-heif package on the server '
                                   '(pip install pillow-heif)') from None
    pillow_heif.register_heif_opener()


def _describe_other(data: bytes) -> str:
    if data[4:8] == b'ftyp':
        return 'AVIF' if data[8:12] == b'avif' else f'ISO-BMFF ({data[8:12]!r})'
    head = data[:16].lstrip()
    for magic, name in _OTHER_SIGNATURES:
        if head.startswith(magic):
            return name
    return 'unknown'


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB; transparency composited over white."""
    if img.mode in ('I;16', 'I;16L', 'I;16B', 'I;16N', 'I'):
        # Pillow's own I -> L conversion clips at 255: rescale the 16-bit range instead.
        arr = np.asarray(img, dtype=np.float32)
        scale = 257.0 if img.mode.startswith('I;16') or arr.max(initial=0) > 255 else 1.0
        img = Image.fromarray(np.clip(arr / scale + 0.5, 0, 255).astype(np.uint8), 'L')
    if img.mode == 'F':
        img = Image.fromarray(np.clip(np.asarray(img), 0, 255).astype(np.uint8), 'L')
    if img.mode in ('RGBA', 'LA', 'PA', 'RGBa', 'La') or 'transparency' in img.info:
        rgba = img.convert('RGBA')
        white = Image.new('RGBA', rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert('RGB')
    return img.convert('RGB')


def decode_image(data: bytes, max_pixels: int = 40_000_000, max_side: int = 20_000,
                 max_jpeg_scans: int = 100) -> np.ndarray:
    """Decode an upload as the camera meant it to be seen.

    EXIF orientation is applied (boxes are then in the upright frame a viewer shows);
    grayscale, CMYK, 16-bit, palette and alpha images become 8-bit colour; of an animated
    image the first frame is used.

    Raises:
        CorruptImage: empty, truncated or otherwise undecodable data.
        UnsupportedImageType: not JPEG, PNG, BMP, WEBP or HEIC by its magic bytes.
        ImageTooLarge: the header's size is above ``max_pixels`` or ``max_side``.
        ImageTooCostly: a JPEG of more than ``max_jpeg_scans`` scans (a baseline JPEG has
            one scan a colour plane or one for all, a progressive one about 10; libjpeg's
            default is 10 for colour, and encoders that optimise scans use a few more).
    Returns ``(H, W, 3)`` BGR ``uint8``, C-contiguous.
    """
    if not data:
        raise CorruptImage('the file is empty')
    kind = sniff_type(data)
    if kind is None:
        raise UnsupportedImageType(f'detected type: {_describe_other(data)}; accepted: '
                                   f'{", ".join(ACCEPTED)}')
    if kind == 'HEIC':
        _register_heif()
    try:
        img = Image.open(io.BytesIO(data), formats=sorted(_PIL_FORMATS[kind]))
    except Image.DecompressionBombError as e:
        raise ImageTooLarge(str(e)) from None
    except Exception as e:  # Pillow signals a bad header with many exception types
        raise CorruptImage(f'{kind} header unreadable: {e}') from None
    width, height = img.size
    if width < 1 or height < 1:
        raise CorruptImage(f'{kind} declares an empty image ({width}x{height})')
    if width * height > max_pixels or max(width, height) > max_side:
        raise ImageTooLarge(f'{width}x{height} px; the limits are {max_pixels} px and '
                            f'{max_side} px a side')
    if kind == 'JPEG':
        scans = count_jpeg_scans(data)
        if scans > max_jpeg_scans:
            raise ImageTooCostly(f'a JPEG of {scans} scans; the limit is {max_jpeg_scans}')
    try:
        img.seek(0)  # animated: the first frame
        img.load()
        try:
            img = ImageOps.exif_transpose(img)
        except Exception:  # a malformed EXIF block: keep the stored orientation
            pass
        rgb = np.asarray(_to_rgb(img))
    except Image.DecompressionBombError as e:
        raise ImageTooLarge(str(e)) from None
    except MemoryError:
        raise ImageTooLarge(f'{width}x{height} px do not fit in memory') from None
    except Exception as e:  # truncated data, bad chunks, unsupported sub-formats...
        raise CorruptImage(f'{kind} data unreadable: {e}') from None
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise CorruptImage(f'{kind} decoded to an unexpected array {rgb.shape} {rgb.dtype}')
    return np.ascontiguousarray(rgb[:, :, ::-1])
