"""Checks of a COCO detection file (and optionally its image folder) for broken entries."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

from .coco_io import PathLike, is_number, load_coco, read_image_size

#: Pixels a box may extend past the image border before it counts as outside (rounding
#: in exporters commonly produces x + w = width + 0.5).
BORDER_TOLERANCE = 1.0


@dataclass(frozen=True)
class Problem:
    """One broken entry.

    Attributes:
        kind: machine-readable kind, e.g. ``'bbox_outside_image'``.
        entry: the offending entry, e.g. ``"annotation 7 (image 3 'a.jpg')"``.
        message: human-readable description of the problem.
    """
    kind: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f'{self.entry}: {self.message} [{self.kind}]'


def _check_bbox(bbox, w, h) -> Optional[tuple]:
    """Return ``(kind, message)`` for a bad bbox, or None."""
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        n = len(bbox) if isinstance(bbox, (list, tuple)) else type(bbox).__name__
        return 'bbox_bad_length', f'bbox must be a list of 4 numbers [x, y, w, h], got {n}'
    if not all(is_number(v) for v in bbox):
        return 'bbox_not_numeric', f'bbox has non-numeric or NaN/inf values: {bbox}'
    x, y, bw, bh = bbox
    if bw <= 0 or bh <= 0:
        return 'bbox_nonpositive_size', f'bbox width/height must be > 0: {bbox}'
    t = BORDER_TOLERANCE
    if is_number(w) and is_number(h) and (
            x < -t or y < -t or x + bw > w + t or y + bh > h + t):
        return 'bbox_outside_image', f'bbox {bbox} extends outside the {w}x{h} image'
    return None


def validate_coco(coco_or_path: Union[dict, PathLike],
                  images_dir: Optional[PathLike] = None) -> List[Problem]:
    """Find broken entries in a COCO detection dataset.

    Checks: duplicate image / annotation ids, annotations pointing to a missing image id
    or unknown category id, bbox not of length 4, non-numeric/NaN values, zero/negative
    width or height, box outside the image (more than :data:`BORDER_TOLERANCE` px), and,
    when ``images_dir`` is given, image files missing or unreadable on disk and
    ``width``/``height`` not matching the file header.

    Args:
        coco_or_path: a COCO dict or the path of a COCO JSON file.
        images_dir: folder that ``file_name`` is relative to; ``None`` skips file checks.

    Returns:
        The problems found (empty list if the dataset is clean).

    Raises:
        CocoFormatError: if a path is given and the file cannot be loaded.
    """
    coco = coco_or_path if isinstance(coco_or_path, dict) else load_coco(coco_or_path)
    problems: List[Problem] = []
    add = lambda kind, entry, msg: problems.append(Problem(kind, entry, msg))  # noqa: E731
    cat_ids = {c.get('id') for c in coco['categories']}

    images = {}
    for im in coco['images']:
        iid, fname = im.get('id'), im.get('file_name')
        entry = f"image {iid} '{fname}'"
        if iid in images:
            add('duplicate_image_id', entry, f'image id {iid} is used more than once')
            continue
        images[iid] = im
        if images_dir is None or fname is None:
            continue
        path = Path(images_dir) / fname
        if not path.is_file():
            add('missing_file', entry, f'image file not found: {path}')
            continue
        try:
            size = read_image_size(path)
        except OSError as e:
            add('unreadable_file', entry, f'cannot read image {path}: {e}')
            continue
        if size != (im.get('width'), im.get('height')):
            add('size_mismatch', entry, f'width x height {im.get("width")}x'
                f'{im.get("height")} does not match the file ({size[0]}x{size[1]})')

    ann_counts = Counter(a.get('id') for a in coco['annotations'])
    for aid in sorted((k for k, n in ann_counts.items() if n > 1), key=str):
        add('duplicate_annotation_id', f'annotation {aid}',
            f'annotation id {aid} is used {ann_counts[aid]} times')
    for ann in coco['annotations']:
        aid, iid = ann.get('id'), ann.get('image_id')
        im = images.get(iid)
        entry = f'annotation {aid} (image {iid}' + (f" '{im.get('file_name')}')" if im else ')')
        if im is None:
            add('missing_image_id', entry, f'refers to image id {iid}, which does not exist')
        if ann.get('category_id') not in cat_ids:
            add('unknown_category', entry, f'unknown category id {ann.get("category_id")}')
        size = (im.get('width'), im.get('height')) if im else (None, None)
        bad = _check_bbox(ann.get('bbox'), *size)
        if bad:
            add(bad[0], entry, bad[1])
    return problems


def format_report(problems: List[Problem]) -> str:
    """Render problems as one line each followed by a count per kind."""
    if not problems:
        return 'no problems found'
    counts = Counter(p.kind for p in problems)
    summary = ', '.join(f'{k}: {n}' for k, n in sorted(counts.items()))
    return '\n'.join([str(p) for p in problems]
                     + [f'{len(problems)} problem(s) found ({summary})'])
