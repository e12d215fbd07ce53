"""Deterministic, grouped, stratified train/validation split of a COCO dataset."""
from __future__ import annotations

import random
from typing import Dict, List, Optional, Tuple

from .coco_io import bbox_size_bucket, group_key_from_name, subset_coco, valid_bbox

# Order of size buckets from smallest to largest (a group's stratum uses its smallest box).
_BUCKET_ORDER = ('tiny', 'small', 'medium', 'large')


def image_group_key(img: dict, group_key: Optional[str] = 'photo_id') -> str:
    """Return the key that ties images of the same photo together.

    Args:
        img: COCO image entry.
        group_key: image field to use when present and not empty (e.g. ``photo_id`` written
            by :func:`~mmdet_ext.data_tools.merge.merge_coco`); ``None`` skips it.

    Returns:
        That field, else the 32-hex prefix of the file's base name, else the file name.
    """
    if group_key and img.get(group_key) not in (None, ''):
        return f'{group_key}:{img[group_key]}'
    name = str(img.get('file_name', img.get('id')))
    hex_key = group_key_from_name(name)
    # Prefixes keep a hash key from ever equalling an unrelated field value / file name.
    return f'hex:{hex_key}' if hex_key else f'file:{name}'


def image_stratum(anns: List[dict], edges=(16, 32, 96)) -> str:
    """Stratum of an image: ``'negative'`` or ``'<bucket of its smallest box>'``.

    Args:
        anns: the image's annotations (boxes with invalid ``bbox`` are ignored).
        edges: size-bucket edges, see :func:`~mmdet_ext.data_tools.coco_io.bbox_size_bucket`.
    """
    areas = [(a['bbox'][2] * a['bbox'][3], a['bbox']) for a in anns if valid_bbox(a.get('bbox'))]
    if not areas:
        return 'negative'
    _, (_, _, w, h) = min(areas, key=lambda t: t[0])
    return bbox_size_bucket(w, h, edges)


def _quotas(sizes: Dict[str, int], fraction: float) -> Dict[str, int]:
    """Validation image quota per stratum: proportional, rounded by largest remainder so the
    quotas sum to ``round(fraction * total)`` (per-stratum rounding would drift with many
    small strata)."""
    total = sum(sizes.values())
    target = round(fraction * total)
    exact = {k: fraction * n for k, n in sizes.items()}
    quota = {k: int(v) for k, v in exact.items()}
    rest = target - sum(quota.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - quota[k]), k))[:max(rest, 0)]:
        quota[k] += 1
    return quota


def split_coco(coco: dict, val_fraction: float = 0.1, seed: int = 0,
               group_key: Optional[str] = 'photo_id') -> Tuple[dict, dict]:
    """Split a COCO dataset into train and validation sets.

    Args:
        coco: COCO dict (not modified).
        val_fraction: share of images to put in validation, in ``[0, 1]``.
        seed: random seed; the same dataset and seed always give the same split, whatever
            the order of images in the file.
        group_key: image field naming the photo (see :func:`image_group_key`); images of the
            same group always land on the same side.

    Stratification: each group gets the stratum ``negative`` or the size bucket of its
    smallest box; within each stratum groups are shuffled and moved to validation until
    the stratum's quota of images is reached, so each side gets every stratum in about the
    right proportion.

    With at least two groups neither side is empty (one group is moved if needed).

    Returns:
        ``(train_coco, val_coco)``: copies of ``coco`` (other top-level keys kept) with the
        images and their annotations of each side; ids and file names unchanged.
    """
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(f'val_fraction must be in [0, 1], got {val_fraction}')
    anns_by_img: Dict = {}
    for ann in coco.get('annotations', []):
        anns_by_img.setdefault(ann.get('image_id'), []).append(ann)

    groups: Dict[str, List[dict]] = {}
    for img in coco.get('images', []):
        groups.setdefault(image_group_key(img, group_key), []).append(img)

    strata: Dict[str, List[str]] = {}
    for key, imgs in groups.items():
        names = [image_stratum(anns_by_img.get(im['id'], [])) for im in imgs]
        positives = [n for n in names if n != 'negative']
        # A group is as hard as its smallest logo; it is a negative only if all images are.
        stratum = min(positives, key=_BUCKET_ORDER.index) if positives else 'negative'
        strata.setdefault(stratum, []).append(key)

    sizes = {s: sum(len(groups[k]) for k in keys) for s, keys in strata.items()}
    quota = _quotas(sizes, val_fraction)
    rng = random.Random(seed)  # stdlib RNG: same sequence on every platform and version
    val_keys = set()
    for stratum in sorted(strata):
        keys = sorted(strata[stratum])  # sort first: independent of the input order
        rng.shuffle(keys)
        taken = 0
        for key in keys:
            n = len(groups[key])
            # Take the group if that brings the count closer to the quota (ties: take it
            # only while under quota, so an all-singletons stratum hits it exactly).
            if abs(taken + n - quota[stratum]) < abs(taken - quota[stratum]):
                val_keys.add(key)
                taken += n

    # Never leave a side empty when it can be avoided (tiny datasets, rounding to 0).
    order = sorted(groups, key=lambda k: (len(groups[k]), k))
    if len(groups) >= 2 and not val_keys:
        val_keys.add(order[0])
    elif len(groups) >= 2 and len(val_keys) == len(groups):
        val_keys.discard(order[0])

    val_ids = {im['id'] for k in val_keys for im in groups[k]}

    return (subset_coco(coco, lambda im: im['id'] not in val_ids),
            subset_coco(coco, lambda im: im['id'] in val_ids))


def kfold_coco(coco: dict, folds: int = 5, seed: int = 0,
               group_key: Optional[str] = 'photo_id') -> List[Tuple[dict, dict]]:
    """K-fold split of a COCO dataset: ``folds`` disjoint, grouped, stratified parts.

    Fold ``i`` is peeled off what the earlier folds left, as :func:`split_coco`'s validation
    side with fraction ``1 / (folds - i)`` and seed ``seed + i``; the last fold is the rest.
    So fold 0 is exactly ``split_coco(coco, 1 / folds, seed)[1]``: a train/val split made
    before stays one of the folds.

    Returns:
        ``[(train_coco, held_out_coco), ...]``, one pair per fold: the held-out parts hold every
        image once; each train side is all the other images (other top-level keys kept).
    """
    if folds < 2:
        raise ValueError(f'folds must be at least 2, got {folds}')
    parts, rest = [], coco
    for i in range(folds - 1):
        rest, fold = split_coco(rest, 1 / (folds - i), seed + i, group_key)
        parts.append(fold)
    parts.append(rest)
    pairs = []
    for part in parts:
        held_out = {im['id'] for im in part['images']}
        pairs.append((subset_coco(coco, lambda im, ids=held_out: im['id'] not in ids), part))
    return pairs
