"""Conversion between YOLO txt labels and COCO detection JSON."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from .coco_io import PathLike, list_images, read_image_size


class YoloFormatError(ValueError):
    """A YOLO label file has a malformed line (the message names file and line)."""


def _label_path(labels_dir: Path, rel_image: str) -> Path:
    """Label file of an image: same relative path under ``labels_dir`` with ``.txt``."""
    return (labels_dir / rel_image).with_suffix('.txt')


def _parse_yolo_line(line: str, where: str, num_classes: int):
    """Parse ``cls cx cy w h`` into ``(cls, cx, cy, w, h)``, raising YoloFormatError."""
    parts = line.split()
    if len(parts) != 5:
        raise YoloFormatError(f'{where}: expected 5 values "cls cx cy w h", '
                              f'got {len(parts)}: {line.strip()!r}')
    try:
        cls_f = float(parts[0])
        vals = [float(v) for v in parts[1:]]
    except ValueError:
        raise YoloFormatError(f'{where}: non-numeric value in {line.strip()!r}') from None
    if not cls_f.is_integer() or not 0 <= cls_f < num_classes:
        raise YoloFormatError(f'{where}: class index {parts[0]} not in [0, {num_classes})')
    if not all(math.isfinite(v) for v in vals):
        raise YoloFormatError(f'{where}: non-finite coordinate in {line.strip()!r}')
    if vals[2] <= 0 or vals[3] <= 0:
        raise YoloFormatError(f'{where}: box width/height must be positive: {line.strip()!r}')
    return (int(cls_f), *vals)


def yolo_to_coco(images_dir: PathLike, labels_dir: PathLike,
                 class_names: Sequence[str]) -> dict:
    """Build a COCO dict from a folder of images and a parallel folder of YOLO labels.

    Args:
        images_dir: folder scanned recursively for images; ``file_name`` is the path
            relative to it. Sizes come from the image headers (EXIF rotation applied).
        labels_dir: folder with ``<same relative path>.txt`` per image, each line
            ``cls cx cy w h`` normalised to [0, 1]. Images without a label file or with an
            empty one are kept as negatives (no annotations).
        class_names: names for class indices 0..K-1; COCO category ids are 1..K.

    Raises:
        YoloFormatError: for a malformed line, naming the label file and line number.
        FileNotFoundError: if ``images_dir`` does not exist.
    """
    images_dir, labels_dir = Path(images_dir), Path(labels_dir)
    if not images_dir.is_dir():
        raise FileNotFoundError(f'{images_dir}: images folder not found')
    if not class_names:
        raise ValueError('class_names must not be empty')
    coco = {'images': [], 'annotations': [],
            'categories': [{'id': i + 1, 'name': n} for i, n in enumerate(class_names)]}
    for img_id, rel in enumerate(list_images(images_dir), start=1):
        w, h = read_image_size(images_dir / rel)
        coco['images'].append({'id': img_id, 'file_name': rel, 'width': w, 'height': h})
        label = _label_path(labels_dir, rel)
        if not label.is_file():
            continue  # negative image
        for ln, line in enumerate(label.read_text(encoding='utf-8').splitlines(), start=1):
            if not line.strip():
                continue
            cls, cx, cy, bw, bh = _parse_yolo_line(line, f'{label}:{ln}', len(class_names))
            box = [(cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h]
            coco['annotations'].append({
                'id': len(coco['annotations']) + 1, 'image_id': img_id,
                'category_id': cls + 1, 'bbox': [round(v, 4) for v in box],
                'area': round(box[2] * box[3], 4), 'iscrowd': 0})
    return coco


def coco_to_yolo(coco: dict, labels_dir: PathLike) -> int:
    """Write one YOLO txt per COCO image (empty for negatives).

    Class indices follow the categories sorted by id (index 0 = smallest id), matching
    :func:`yolo_to_coco`. Boxes are normalised by the image ``width``/``height`` fields.

    Args:
        coco: COCO dict with ``width``/``height`` on every image.
        labels_dir: output folder; ``<file_name>`` with a ``.txt`` suffix is written there.

    Returns:
        The number of label files written.
    """
    labels_dir = Path(labels_dir)
    cls_index = {c['id']: i for i, c in enumerate(sorted(coco['categories'],
                                                         key=lambda c: c['id']))}
    lines: dict = {im['id']: [] for im in coco['images']}
    sizes = {im['id']: (im['width'], im['height']) for im in coco['images']}
    for ann in coco['annotations']:
        if ann.get('image_id') not in sizes or ann.get('category_id') not in cls_index:
            raise ValueError(f'annotation {ann.get("id")}: unknown image_id or category_id')
        w, h = sizes[ann['image_id']]
        x, y, bw, bh = ann['bbox']
        lines[ann['image_id']].append(
            f'{cls_index[ann["category_id"]]} {(x + bw / 2) / w:.6f} {(y + bh / 2) / h:.6f} '
            f'{bw / w:.6f} {bh / h:.6f}')
    for im in coco['images']:
        out = _label_path(labels_dir, im['file_name'])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(''.join(line + '\n' for line in lines[im['id']]), encoding='utf-8')
    return len(coco['images'])
