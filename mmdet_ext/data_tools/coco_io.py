"""Reading and writing COCO detection files, plus small shared helpers.

Only the standard library, numpy-free code and Pillow are used here so that the data tools
import in milliseconds and work without the OpenMMLab stack installed.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

PathLike = Union[str, os.PathLike]

#: Top-level keys every COCO detection file must have.
REQUIRED_KEYS = ('images', 'annotations', 'categories')

#: File extensions treated as images when scanning folders (compared lower-case).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')

#: Default regex for a 32-hex-digit photo hash at the start of a file name (Roboflow and
#: many scrapers name files ``<md5>_jpg.rf.<other>.jpg``; the first hash identifies the photo).
HEX32_PREFIX = r'^([0-9a-fA-F]{32})'

# EXIF "Orientation" tag values that swap width and height (90/270 degree rotations).
_EXIF_ORIENTATION_TAG = 274
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)


class CocoFormatError(ValueError):
    """A COCO file is missing, unreadable, not JSON, or lacks the required structure."""


def load_coco(path: PathLike) -> dict:
    """Load a COCO detection file and check its top-level structure.

    Args:
        path: path of the ``.json`` file.

    Returns:
        The parsed dict (with ``images``, ``annotations`` and ``categories`` lists).

    Raises:
        CocoFormatError: naming the file and the problem when the file is missing, is not
            valid JSON, is not a JSON object, or lacks (or has non-list) required keys.
    """
    path = Path(path)
    if not path.is_file():
        raise CocoFormatError(f'{path}: file not found')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise CocoFormatError(f'{path}: invalid JSON at line {e.lineno} column {e.colno}: '
                              f'{e.msg}') from e
    except (OSError, UnicodeDecodeError) as e:
        raise CocoFormatError(f'{path}: cannot read file: {e}') from e
    if not isinstance(data, dict):
        raise CocoFormatError(f'{path}: top level must be a JSON object, '
                              f'got {type(data).__name__}')
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise CocoFormatError(f'{path}: missing top-level key(s): {", ".join(missing)}')
    not_lists = [k for k in REQUIRED_KEYS if not isinstance(data[k], list)]
    if not_lists:
        raise CocoFormatError(f'{path}: top-level key(s) must be lists: {", ".join(not_lists)}')
    return data


def save_coco(data: dict, path: PathLike, indent: Optional[int] = None) -> None:
    """Write ``data`` as JSON to ``path`` atomically.

    The JSON goes to a temporary file in the same folder which then replaces ``path`` with
    ``os.replace`` (atomic on POSIX and Windows when on the same file system), so a crash or
    a serialisation error never leaves a truncated file or loses the previous one.

    Args:
        data: the COCO dict (anything JSON-serialisable).
        path: destination; parent folders are created.
        indent: optional JSON indentation (``None`` writes compactly).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(data, f, ensure_ascii=False, indent=indent)
            f.flush()
            # fsync so the rename cannot be persisted before the data after a power loss.
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def bbox_size_bucket(w: float, h: float, edges: Sequence[float] = (16, 32, 96)) -> str:
    """Name the size class of a box by its area, COCO-style.

    Args:
        w, h: box width and height in pixels.
        edges: three side lengths; the area ``w * h`` is compared to ``edge ** 2``.

    Returns:
        ``'tiny'`` (area < edges[0]²), ``'small'`` (< edges[1]²), ``'medium'`` (< edges[2]²)
        or ``'large'``.
    """
    area = float(w) * float(h)
    for name, edge in zip(('tiny', 'small', 'medium'), edges):
        if area < float(edge) ** 2:
            return name
    return 'large'


def read_image_size(path: PathLike, apply_exif: bool = True) -> Tuple[int, int]:
    """Return ``(width, height)`` of an image file reading only its header.

    Args:
        path: image file.
        apply_exif: if true, swap width and height when the EXIF orientation rotates the
            image by 90/270 degrees, because OpenCV (and so mmcv/mmdet and Ultralytics)
            load images with the EXIF rotation applied, and annotations refer to that.

    Raises:
        OSError: if the file is missing or not an image Pillow can identify.
    """
    from PIL import Image  # local import: keeps ``import mmdet_ext.data_tools`` fast

    with Image.open(path) as im:  # lazy: Pillow parses the header, not the pixels
        w, h = im.size
        if apply_exif:
            try:
                orientation = im.getexif().get(_EXIF_ORIENTATION_TAG)
            except Exception:  # corrupt EXIF must not hide the (valid) size
                orientation = None
            if orientation in _TRANSPOSING_ORIENTATIONS:
                w, h = h, w
    return int(w), int(h)


def is_number(value: Any) -> bool:
    """True for a finite int/float (bools and NaN/inf are rejected)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def valid_bbox(bbox: Any) -> bool:
    """True if ``bbox`` is a list/tuple of 4 finite numbers with positive width and height."""
    return (isinstance(bbox, (list, tuple)) and len(bbox) == 4
            and all(is_number(v) for v in bbox) and bbox[2] > 0 and bbox[3] > 0)


def group_key_from_name(file_name: str, pattern: Optional[str] = HEX32_PREFIX) -> Optional[str]:
    """Return the first regex group matched against the base name of ``file_name``.

    Args:
        file_name: image file name (folders are ignored).
        pattern: regex with one group, searched with ``re.search``; ``None`` disables it.

    Returns:
        The group (lower-cased, so hex hashes compare equal in any case) or ``None``.
    """
    if not pattern:
        return None
    m = re.search(pattern, Path(str(file_name)).name)
    if not m:
        return None
    key = m.group(1) if m.groups() else m.group(0)
    return key.lower() if key else None


def list_images(images_dir: PathLike) -> list:
    """Return the image files under ``images_dir`` (recursive), sorted, as relative posix paths."""
    root = Path(images_dir)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob('*')
                  if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def index_annotations(coco: dict) -> dict:
    """Map image id -> list of its annotations (ids with no annotation are absent)."""
    by_image: dict = {}
    for ann in coco.get('annotations', []):
        by_image.setdefault(ann.get('image_id'), []).append(ann)
    return by_image


def subset_coco(coco: dict, keep) -> dict:
    """``coco`` with only the images ``keep(image entry)`` accepts, and only their boxes."""
    images = [im for im in coco.get('images', []) if keep(im)]
    ids = {im['id'] for im in images}
    return {**coco, 'images': images,
            'annotations': [a for a in coco.get('annotations', []) if a.get('image_id') in ids]}


def count_summary(coco: dict) -> dict:
    """Return ``{'images', 'boxes', 'positives', 'negatives'}`` counts of a COCO dict."""
    ids_with_boxes = {a.get('image_id') for a in coco.get('annotations', [])}
    n_img = len(coco.get('images', []))
    pos = sum(1 for im in coco.get('images', []) if im.get('id') in ids_with_boxes)
    return {'images': n_img, 'boxes': len(coco.get('annotations', [])),
            'positives': pos, 'negatives': n_img - pos}
