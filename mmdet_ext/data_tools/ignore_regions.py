"""Ignore regions kept apart from a dataset's labels (e.g. the verdicts of a review of false
positives that turned out to be unlabelled objects), added to COCO files as ``iscrowd``
annotations, so that every evaluator that follows pycocotools' crowd rule skips predictions
on them.

A regions file is JSON: ``{"regions": [{"image": {FIELD: VALUE, ...}, "image_size": [W, H],
"bbox": [x, y, w, h], "note": "..."}, ...]}``. ``image`` names the image by fields of its COCO
entry (e.g. ``source`` and ``original_file_name`` after ``merge_coco``), ``bbox`` is in pixels
of an image of ``image_size``, scaled to the size the COCO file records (a downscaled copy).
"""
from __future__ import annotations

import json
from typing import Dict, List, Sequence, Tuple

from .coco_io import CocoFormatError, PathLike


def load_ignore_regions(path: PathLike) -> List[Dict]:
    """The regions of a regions file; CocoFormatError naming the file and the bad field."""
    try:
        with open(path, encoding='utf-8') as f:
            regions = json.load(f)['regions']
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CocoFormatError(f'{path}: not a regions file ({e!r})') from e
    for i, region in enumerate(regions):
        for key, ok in (('image', lambda v: isinstance(v, dict) and v),
                        ('image_size', lambda v: _numbers(v, 2) and min(v) > 0),
                        ('bbox', lambda v: _numbers(v, 4) and min(v[2:]) > 0)):
            if not ok(region.get(key) if isinstance(region, dict) else None):
                raise CocoFormatError(f'{path}: region #{i} has no valid "{key}"')
    return regions


def _numbers(value, length: int) -> bool:
    return (isinstance(value, list) and len(value) == length
            and all(isinstance(v, (int, float)) for v in value))


def add_ignore_regions(coco: Dict, regions: Sequence[Dict]) -> List[int]:
    """Add each region whose image is in ``coco`` as an ``iscrowd: 1`` annotation (of the first
    category), in place. Returns the indices of the regions placed; a region naming several
    images is an error."""
    category = coco['categories'][0]['id'] if coco.get('categories') else 1
    next_id = max((a['id'] for a in coco['annotations']), default=0) + 1
    placed = []
    for i, region in enumerate(regions):
        images = [im for im in coco['images']
                  if all(im.get(k) == v for k, v in region['image'].items())]
        if len(images) > 1:
            raise CocoFormatError(f'region #{i}: {region["image"]} names {len(images)} images')
        if not images:
            continue
        image = images[0]
        sx = image['width'] / region['image_size'][0]
        sy = image['height'] / region['image_size'][1]
        x, y, w, h = region['bbox']
        coco['annotations'].append(dict(
            id=next_id, image_id=image['id'], category_id=category,
            bbox=[x * sx, y * sy, w * sx, h * sy], area=w * sx * h * sy, iscrowd=1))
        next_id += 1
        placed.append(i)
    return placed


def apply_ignore_regions(cocos: Sequence[Dict], path: PathLike,
                         require_all: bool = True) -> Tuple[int, int]:
    """Add the regions of the file at ``path`` to the COCO dicts that hold their images (in
    place). With ``require_all`` every region must land in one of them (they cover the whole
    set); otherwise regions of other photos are skipped. Returns ``(placed, total)``."""
    regions = load_ignore_regions(path)
    placed = {i for coco in cocos for i in add_ignore_regions(coco, regions)}
    missing = [i for i in range(len(regions)) if i not in placed]
    if missing and require_all:
        raise CocoFormatError(f'{path}: region #{missing[0]} ({regions[missing[0]]["image"]}) '
                              f'matches no image of the ground truth ({len(missing)} such)')
    return len(placed), len(regions)
