"""Cut a COCO dataset into overlapping tiles, so small objects in large photos stay large.

A 20 px logo on a 3000 px photo shrinks to 4 px when the whole photo is resized to a 640 px
network input; in a 640 px tile of the photo it keeps its 20 px. Tiles overlap (stride smaller
than the tile) so that an object cut by one tile's border lies whole in its neighbour.

Pure Python + Pillow, like the other data tools.
"""
from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from .coco_io import PathLike, index_annotations, save_coco, valid_bbox


def tile_starts(length: int, tile: int, stride: int) -> List[int]:
    """Start offsets of tiles covering ``[0, length)`` along one axis.

    The tiles are spread evenly, the first at 0 and the last flush with the border, so
    neighbours overlap by at least ``tile - stride`` pixels.

    Args:
        length: image size along the axis.
        tile: tile size along the axis.
        stride: the largest step allowed between two starts, ``1 <= stride <= tile``.

    Returns:
        Sorted, distinct starts; ``[0]`` when the image is not larger than one tile.
    """
    if tile <= 0 or not 1 <= stride <= tile:
        raise ValueError(f'need tile > 0 and 1 <= stride <= tile, got tile={tile}, '
                         f'stride={stride}')
    if length <= tile:
        return [0]
    n = math.ceil((length - tile) / stride) + 1
    # Even spacing (rather than i * stride with a short last step) keeps overlaps alike.
    return sorted({round(i * (length - tile) / (n - 1)) for i in range(n)})


def tile_boxes(width: int, height: int, tile_size: int,
               stride: int) -> List[Tuple[int, int, int, int]]:
    """Tiles ``(x, y, w, h)`` covering a ``width`` x ``height`` image, row by row.

    A tile is ``tile_size`` square, or the image's size along an axis where the image is
    smaller (no padding).
    """
    tw, th = min(tile_size, width), min(tile_size, height)
    return [(x, y, tw, th) for y in tile_starts(height, th, min(stride, th))
            for x in tile_starts(width, tw, min(stride, tw))]


def clip_box_to_tile(bbox, tile) -> Tuple[Optional[List[float]], float]:
    """The part of a COCO ``[x, y, w, h]`` box inside ``tile = (x, y, w, h)``.

    Returns:
        ``(clipped_xywh or None, visible_fraction)`` in the same (global) coordinates;
        ``None`` when nothing of the box is inside.
    """
    bx, by, bw, bh = bbox
    tx, ty, tw, th = tile
    x1, y1 = max(bx, tx), max(by, ty)
    x2, y2 = min(bx + bw, tx + tw), min(by + bh, ty + th)
    if x2 <= x1 or y2 <= y1:
        return None, 0.0
    return [x1, y1, x2 - x1, y2 - y1], (x2 - x1) * (y2 - y1) / (bw * bh)


def _tile_annotations(anns: List[dict], tile, min_visible: float) -> List[dict]:
    """Annotations of one tile: tile-local ``bbox``, global ``global_bbox`` and ``visible``.

    A box cut by the tile border is kept only when at least ``min_visible`` of its area is
    inside; a smaller fragment is not a recognisable object, so it is dropped.
    """
    out = []
    for ann in anns:
        if not valid_bbox(ann.get('bbox')):
            continue
        clipped, visible = clip_box_to_tile(ann['bbox'], tile)
        if clipped is None or visible < min_visible:
            continue
        x, y, w, h = clipped
        new = {k: v for k, v in ann.items() if k not in ('id', 'image_id', 'segmentation')}
        new.update(bbox=[x - tile[0], y - tile[1], w, h], global_bbox=clipped, area=w * h,
                   visible=round(visible, 4), source_ann_id=ann.get('id'))
        out.append(new)
    return out


def _tile_file_name(file_name: str, x: int, y: int) -> str:
    """``dir/photo.jpg`` -> ``dir/photo__x<x>_y<y>.jpg`` (unique per tile, folder kept)."""
    p = Path(file_name)
    return p.with_name(f'{p.stem}__x{x}_y{y}{p.suffix}').as_posix()


def _open_image(path: Path):
    """Open an image with its EXIF rotation applied (as OpenCV and the annotations see it)."""
    from PIL import Image, ImageOps
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).copy()


def tile_coco(coco: dict, images_dir: PathLike, out_dir: PathLike, tile_size: int = 640,
              stride: Optional[int] = None, min_visible: float = 0.6,
              keep_empty: Union[bool, float] = True, seed: int = 0,
              ann_name: str = 'annotations.json', progress: bool = False) -> dict:
    """Cut every image of a COCO dataset into overlapping tiles.

    Writes the tiles to ``out_dir/images/`` (same sub-folders and format as the sources) and
    the tiled COCO file to ``out_dir/<ann_name>`` (atomically).

    Each tile image entry carries ``tile_offset`` ``[x, y]`` (its top-left corner in the
    source), ``source_image_id``, ``source_file_name`` and ``photo_id`` (the source's
    ``photo_id`` or file name, so :func:`~mmdet_ext.data_tools.split.split_coco` keeps all
    tiles of one photo on one side). Each annotation has the tile-local ``bbox``, the same box
    in source coordinates as ``global_bbox`` (``bbox + offset``), the ``visible`` fraction of
    the original box, and ``source_ann_id``.

    Args:
        coco: the source COCO dict (not modified).
        images_dir: folder the ``file_name`` entries are relative to.
        out_dir: output folder.
        tile_size: side of the square tiles, in source pixels.
        stride: the largest step between tiles; defaults to ``3/4 * tile_size`` (25% overlap).
            Every box not larger than ``tile_size - stride`` lies whole in some tile.
        min_visible: the fraction of a cut box's area that must be inside a tile for it to
            be kept there.
        keep_empty: which tiles without boxes to keep (they are the negatives): ``True``
            all, ``False`` none, a float in ``[0, 1]`` that fraction, chosen with ``seed``.
        seed: random seed for ``keep_empty`` fractions.
        ann_name: file name of the written COCO file.
        progress: show a progress bar.

    Returns:
        The tiled COCO dict (other top-level keys of ``coco`` are kept).

    Raises:
        ValueError: on bad arguments. OSError: an image cannot be read or written.
    """
    stride = stride or round(tile_size * 3 / 4)
    keep_fraction = float(keep_empty)
    if not 0.0 <= keep_fraction <= 1.0 or not 0.0 <= min_visible <= 1.0:
        raise ValueError(f'keep_empty and min_visible must be in [0, 1], got {keep_empty}, '
                         f'{min_visible}')
    rng = random.Random(seed)
    images_dir, out_dir = Path(images_dir), Path(out_dir)
    by_image = index_annotations(coco)
    images, annotations = [], []
    iterator = coco['images']
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc='tiling', unit='img')
    for img in iterator:
        pixels = _open_image(images_dir / img['file_name'])
        for tile in tile_boxes(pixels.width, pixels.height, tile_size, stride):
            anns = _tile_annotations(by_image.get(img['id'], []), tile, min_visible)
            # Draw for every empty tile, so which tiles are kept does not depend on the others.
            if not anns and not rng.random() < keep_fraction:
                continue
            x, y, w, h = tile
            name = _tile_file_name(img['file_name'], x, y)
            dst = out_dir / 'images' / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            crop = pixels.crop((x, y, x + w, y + h))
            if dst.suffix.lower() in ('.jpg', '.jpeg') and crop.mode not in ('RGB', 'L'):
                crop = crop.convert('RGB')  # JPEG stores neither alpha nor palettes
            crop.save(dst, quality=95)
            image_id = len(images) + 1
            images.append(dict(id=image_id, file_name=name, width=w, height=h,
                               tile_offset=[x, y], source_image_id=img['id'],
                               source_file_name=img['file_name'],
                               photo_id=img.get('photo_id') or img['file_name']))
            for ann in anns:
                annotations.append(dict(ann, id=len(annotations) + 1, image_id=image_id))
    tiled = dict(coco, images=images, annotations=annotations)
    save_coco(tiled, out_dir / ann_name)
    return tiled


def tile_summary(tiled: dict) -> Dict[str, int]:
    """``{'tiles', 'sources', 'boxes', 'empty_tiles'}`` counts of a tiled COCO dict."""
    with_boxes = {a['image_id'] for a in tiled['annotations']}
    return {'tiles': len(tiled['images']),
            'sources': len({im['source_image_id'] for im in tiled['images']}),
            'boxes': len(tiled['annotations']),
            'empty_tiles': sum(im['id'] not in with_boxes for im in tiled['images'])}
