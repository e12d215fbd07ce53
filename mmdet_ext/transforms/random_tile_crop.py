"""Random tile crop that prefers tiles holding (small) objects."""
import math
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import BaseBoxes
from mmyolo.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomTileCrop(BaseTransform):
    """Crop a fixed-size tile out of a large image, often around a (small) object.

    Resizing a 3000 px photo to the network input shrinks a 20 px logo to a few pixels; a
    tile of the photo keeps it at full resolution, as tiled inference will see it. Tiles are
    drawn at random, but with probability ``object_prob`` the tile is placed at a random
    position that contains a randomly chosen box (small boxes are chosen ``small_weight``
    times as often), so that tiling a large photo does not mostly yield empty tiles.

    A box cut by the tile border is kept (clipped) when at least ``min_visible`` of its area
    remains, else dropped: a sliver of a logo is not a logo. An image smaller than the tile
    along an axis is padded with ``pad_val`` at the bottom / right (boxes do not move).

    Required keys: ``img``, optionally ``gt_bboxes`` (:class:`~mmdet.structures.bbox.
    HorizontalBoxes` or an ``(N, 4)`` array), ``gt_bboxes_labels``, ``gt_ignore_flags``.
    Modified keys: ``img``, ``img_shape``, ``gt_bboxes``, ``gt_bboxes_labels``,
    ``gt_ignore_flags``. Added key: ``tile_offset`` ``(x, y)`` of the tile in the input.

    Args:
        tile_size (int | tuple[int, int]): tile ``(width, height)``; an int for a square.
        object_prob (float): chance to place the tile on a box (when the image has any
            non-ignored box). Defaults to 0.7.
        small_area (float): a box with area (pixels²) below this is small. Defaults to 32².
        small_weight (float): how many times more likely a small box is chosen than another
            box. Defaults to 4.
        min_visible (float): fraction of a cut box's area that must stay inside the tile for
            the box to be kept. Defaults to 0.6.
        pad_val (int): fill value when padding (114, as MMYOLO's letterbox). Defaults to 114.
    """

    def __init__(self, tile_size: Union[int, Tuple[int, int]] = 640, object_prob: float = 0.7,
                 small_area: float = 32**2, small_weight: float = 4.0,
                 min_visible: float = 0.6, pad_val: int = 114):
        self.tile_size = (tile_size, tile_size) if isinstance(tile_size, int) else tuple(
            tile_size)
        if min(self.tile_size) <= 0 or not 0 <= object_prob <= 1 or not 0 <= min_visible <= 1:
            raise ValueError('need tile_size > 0 and object_prob, min_visible in [0, 1]; got '
                             f'{tile_size}, {object_prob}, {min_visible}')
        self.object_prob = object_prob
        self.small_area = small_area
        self.small_weight = small_weight
        self.min_visible = min_visible
        self.pad_val = pad_val

    @staticmethod
    def _start_for_box(lo: float, hi: float, tile: int, length: int) -> int:
        """A random tile start along one axis so the tile holds ``[lo, hi]`` (or its centre,
        when the box is longer than the tile)."""
        first, last = max(0, math.ceil(hi) - tile), min(math.floor(lo), length - tile)
        if first <= last:
            return int(np.random.randint(first, last + 1))
        return int(np.clip(round((lo + hi - tile) / 2), 0, length - tile))

    def _choose_offset(self, boxes: np.ndarray, ignore: np.ndarray, width: int,
                       height: int) -> Tuple[int, int]:
        """Top-left corner of the tile: on a chosen box, or uniform over the image."""
        tw, th = self.tile_size
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        candidates = np.flatnonzero((areas > 0) & ~ignore)
        if len(candidates) and np.random.rand() < self.object_prob:
            weights = np.where(areas[candidates] < self.small_area, self.small_weight, 1.0)
            x1, y1, x2, y2 = boxes[np.random.choice(candidates, p=weights / weights.sum())]
            return (self._start_for_box(x1, x2, tw, width) if width > tw else 0,
                    self._start_for_box(y1, y2, th, height) if height > th else 0)
        return (int(np.random.randint(0, max(width - tw, 0) + 1)),
                int(np.random.randint(0, max(height - th, 0) + 1)))

    def _crop_boxes(self, boxes: np.ndarray,
                    window: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
        """Boxes clipped to ``window`` (x1, y1, x2, y2) in its coordinates, and a keep-mask."""
        x1, y1, x2, y2 = window
        clipped = np.stack([boxes[:, 0].clip(x1, x2), boxes[:, 1].clip(y1, y2),
                            boxes[:, 2].clip(x1, x2), boxes[:, 3].clip(y1, y2)], 1)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        inside = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
        keep = (inside > 0) & (inside >= self.min_visible * area)
        return clipped - np.array([x1, y1, x1, y1], clipped.dtype), keep

    def _crop_image(self, img: np.ndarray, x: int, y: int) -> np.ndarray:
        tw, th = self.tile_size
        crop = img[y:y + th, x:x + tw]
        if crop.shape[:2] == (th, tw):
            return np.ascontiguousarray(crop)
        padded = np.full((th, tw) + img.shape[2:], self.pad_val, img.dtype)
        padded[:crop.shape[0], :crop.shape[1]] = crop
        return padded

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        gt = results.get('gt_bboxes')
        if isinstance(gt, BaseBoxes):
            gt_array = gt.tensor.cpu().numpy()
        else:
            gt_array = np.zeros((0, 4)) if gt is None else gt
        boxes = np.asarray(gt_array, np.float32).reshape(-1, 4)
        ignore = np.asarray(results.get('gt_ignore_flags', np.zeros(len(boxes), bool)), bool)
        x, y = self._choose_offset(boxes, ignore, width, height)
        tw, th = self.tile_size
        results['img'] = self._crop_image(img, x, y)
        results['img_shape'] = (th, tw)
        results['tile_offset'] = (x, y)
        if gt is None:
            return results
        window = (x, y, min(x + tw, width), min(y + th, height))
        cropped, keep = self._crop_boxes(boxes, window)
        results['gt_bboxes'] = (type(gt)(cropped[keep]) if isinstance(gt, BaseBoxes) else
                                cropped[keep])
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if results.get(key) is not None:
                results[key] = results[key][keep]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(tile_size={self.tile_size}, '
                f'object_prob={self.object_prob}, small_area={self.small_area}, '
                f'small_weight={self.small_weight}, min_visible={self.min_visible}, '
                f'pad_val={self.pad_val})')
