"""The real, hand-labelled photo folders as one deduplicated list, split by photo.

The folders (``<root>/<name>/annotations.json`` + ``images/``) share about a hundred photos
(same 32-hex file-name prefix); a photo is kept once, from the first folder in sorted order,
as ``tools/benchmark_real.py`` does. The split hashes the photo key, so it is the same for
every tool and every run, needs no file, and never puts one photo on both sides.
"""
import hashlib
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np

from mmdet_ext.data_tools.split import image_group_key

VAL_FRACTION = 0.25


@dataclass
class RealPhoto:
    """One photo: where it is, its key, its labelled boxes (xyxy, pixels of the stored file)."""
    index: int  # 1-based position in the deduplicated list: the ``image_id`` of predictions
    folder: str
    file_name: str
    path: str
    key: str
    width: int
    height: int
    gt_boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))


def load_real_photos(root: str) -> List[RealPhoto]:
    """Every photo of every folder under ``root``, deduplicated by photo key."""
    photos, seen = [], set()
    for name in sorted(os.listdir(root)):
        ann = osp.join(root, name, 'annotations.json')
        if not osp.isfile(ann):
            continue
        with open(ann) as f:
            coco = json.load(f)
        boxes: Dict[int, list] = {}
        for a in coco['annotations']:
            x, y, w, h = a['bbox']
            boxes.setdefault(a['image_id'], []).append([x, y, x + w, y + h])
        for img in coco['images']:
            key = image_group_key(img, None)
            if key in seen:
                continue
            seen.add(key)
            photos.append(RealPhoto(
                index=len(photos) + 1, folder=name, file_name=img['file_name'],
                path=osp.join(root, name, 'images', img['file_name']), key=key,
                width=int(img['width']), height=int(img['height']),
                gt_boxes=np.asarray(boxes.get(img['id'], []), np.float32).reshape(-1, 4)))
    return photos


def is_val_photo(key: str, val_fraction: float = VAL_FRACTION, seed: int = 0) -> bool:
    """Whether the photo ``key`` is on the validation side of the split."""
    digest = hashlib.md5(f'{seed}:{key}'.encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF < val_fraction


def split_photos(photos: List[RealPhoto], val_fraction: float = VAL_FRACTION, seed: int = 0):
    """``(train, val)`` photo lists."""
    val = [p for p in photos if is_val_photo(p.key, val_fraction, seed)]
    val_keys = {p.key for p in val}
    return [p for p in photos if p.key not in val_keys], val


def save_predictions(path: str, photos: List[RealPhoto], dets: Dict) -> None:
    """COCO results (``image_id`` = :attr:`RealPhoto.index`, ``bbox`` xywh, ``score``), each
    also naming its ``file_name`` as ``<folder>/<file>`` so a reader can check the pairing."""
    out = []
    for p in photos:
        d = dets.get(p.index)
        if d is None:
            continue
        for (x1, y1, x2, y2), s in zip(d.boxes.tolist(), d.scores.tolist()):
            out.append(dict(image_id=p.index, file_name=f'{p.folder}/{p.file_name}',
                            category_id=1, bbox=[round(x1, 2), round(y1, 2),
                                                 round(x2 - x1, 2), round(y2 - y1, 2)],
                            score=round(s, 5)))
    with open(path, 'w') as f:
        json.dump(out, f)


def load_predictions(path: str, photos: List[RealPhoto]) -> Dict:
    """Read :func:`save_predictions`' file (or any COCO results list whose ``image_id`` is
    the photo index) into ``{photo index: Detections}``. As in COCO results, a photo without
    an entry has no detection (it is absent from the dict)."""
    from mmdet_ext.inference.detections import Detections
    by_name = {f'{p.folder}/{p.file_name}': p.index for p in photos}
    with open(path) as f:
        results = json.load(f)
    boxes: Dict[int, list] = {}
    for r in results:
        index = by_name.get(r['file_name']) if 'file_name' in r else r['image_id']
        if index is None:
            continue
        x, y, w, h = r['bbox']
        boxes.setdefault(index, []).append([x, y, x + w, y + h, r['score']])
    out = {}
    for index, rows in boxes.items():
        a = np.asarray(rows, np.float32)
        order = np.argsort(-a[:, 4], kind='stable')
        out[index] = Detections(a[order, :4], a[order, 4])
    return out
