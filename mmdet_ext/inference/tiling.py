"""Tiled inference: find small objects in large images with any batch detector.

A network that sees a 3000 px photo resized to 640 px sees a 20 px logo as 4 px. Here the
image is also cut into overlapping tiles that the network sees at (nearly) full resolution;
a downscaled full-image pass keeps the objects larger than a tile. Boxes are mapped back to
image coordinates and merged (NMS or weighted box fusion). An image too small to tile can
instead be seen in stretched views (:func:`stretched_predict`), for objects squashed with it.
"""
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..data_tools.tile import tile_starts
from ..evaluation.matching import box_iou
from .detections import Detections

#: ``(x, y, w, h)`` of a tile in image pixels.
Tile = Tuple[int, int, int, int]
#: Any detector's batch call: BGR images in, one :class:`Detections` per image out (boxes in
#: that image's pixels).
PredictBatch = Callable[[List[np.ndarray]], Sequence[Detections]]


def tile_grid(width: int, height: int, tile_size: int, overlap: float = 0.25) -> List[Tile]:
    """Overlapping square tiles ``(x, y, w, h)`` covering a ``width`` x ``height`` image.

    Tiles are spread evenly with the last one flush with the border, so neighbours overlap by
    at least ``overlap * tile_size`` pixels; along an axis where the image is smaller than a
    tile, the tile is the image's size.

    Args:
        width, height: image size in pixels.
        tile_size: tile side in pixels.
        overlap: the least overlap of neighbours as a fraction of the tile, in ``[0, 1)``.
    """
    if not 0 <= overlap < 1:
        raise ValueError(f'overlap must be in [0, 1), got {overlap}')
    stride = max(1, round(tile_size * (1 - overlap)))
    tw, th = min(tile_size, width), min(tile_size, height)
    return [(x, y, tw, th) for y in tile_starts(height, th, min(stride, th))
            for x in tile_starts(width, tw, min(stride, tw))]


def _nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float):
    """Greedy NMS; boxes and scores must be sorted by score, high first."""
    keep = []
    alive = np.ones(len(boxes), bool)
    for i in range(len(boxes)):
        if alive[i]:
            keep.append(i)
            alive[i + 1:] &= box_iou(boxes[i], boxes[i + 1:])[0] < iou_thr
    return boxes[keep], scores[keep]


def cluster_boxes(boxes: np.ndarray, scores: np.ndarray, iou_thr: float):
    """Greedy box clustering, the step weighted box fusion and model ensembles share; boxes
    and scores must be sorted by score, high first.

    Each box joins the cluster whose fused box it overlaps most (IoU >= ``iou_thr``), else it
    starts one. A cluster's box is the score-weighted mean of its members.

    Returns:
        ``(fused boxes (K, 4) float64, members)``: ``members[k]`` the indices in cluster k.
    """
    fused, members = [], []
    for i, box in enumerate(boxes):
        if fused:
            ious = box_iou(box, np.array(fused))[0]
            best = int(np.argmax(ious))
            if ious[best] >= iou_thr:
                members[best].append(i)
                weights = scores[members[best]]
                fused[best] = (boxes[members[best]] * weights[:, None]).sum(0) / max(
                    weights.sum(), 1e-9)
                continue
        fused.append(np.asarray(box, np.float64))
        members.append([i])
    return np.array(fused, np.float64).reshape(-1, 4), members


def _wbf(boxes: np.ndarray, scores: np.ndarray, iou_thr: float):
    """Weighted box fusion (:func:`cluster_boxes`); boxes and scores must be sorted by score,
    high first. A cluster's score is the highest member score: an object seen by one tile only
    must not lose confidence for that, or a threshold calibrated on single-pass scores would no
    longer fit.
    """
    fused, members = cluster_boxes(boxes.astype(np.float64), scores, iou_thr)
    out_scores = np.array([scores[m].max() for m in members], np.float32)
    return fused.astype(np.float32), out_scores


def merge_detections(boxes: np.ndarray, scores: np.ndarray, method: str = 'nms',
                     iou_thr: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Merge duplicate detections of one image.

    Args:
        boxes: ``(N, 4)`` ``x1, y1, x2, y2``.
        scores: ``(N,)`` confidences.
        method: ``'nms'`` keeps the best box of each overlapping group; ``'wbf'`` (weighted
            box fusion) averages the group's boxes, weighted by score, which gives tighter
            boxes when the tiles and the full pass each see the object slightly differently.
        iou_thr: boxes overlapping at least this much are duplicates.

    Returns:
        ``(boxes, scores)`` as float32, sorted by score, high first.
    """
    if method not in ('nms', 'wbf'):
        raise ValueError(f"method must be 'nms' or 'wbf', got {method!r}")
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.asarray(scores, np.float32).reshape(-1)
    order = np.argsort(-scores, kind='stable')
    merged = (_nms if method == 'nms' else _wbf)(boxes[order], scores[order], iou_thr)
    order = np.argsort(-merged[1], kind='stable')
    return merged[0][order].astype(np.float32), merged[1][order].astype(np.float32)


def _interior_edges(tile: Tile, width: int, height: int) -> np.ndarray:
    """Which of the tile's left, top, right, bottom edges lie inside the image."""
    x, y, w, h = tile
    return np.array([x > 0, y > 0, x + w < width, y + h < height])


def _touches_interior_edge(boxes: np.ndarray, tile: Tile, edges: np.ndarray,
                           margin: float) -> np.ndarray:
    """Per global box: does it reach within ``margin`` of one of the tile's interior edges?"""
    x, y, w, h = tile
    near = np.stack([boxes[:, 0] <= x + margin, boxes[:, 1] <= y + margin,
                     boxes[:, 2] >= x + w - margin, boxes[:, 3] >= y + h - margin], 1)
    return (near & edges).any(1)


def _inside_tile(boxes: np.ndarray, tile: Tile, edges: np.ndarray,
                 margin: float) -> np.ndarray:
    """Per global box: is it inside the tile, clear of its interior edges by ``margin``?"""
    x, y, w, h = tile
    m = edges * margin  # the image border cuts nothing, so no margin is needed there
    return ((boxes[:, 0] >= x + m[0]) & (boxes[:, 1] >= y + m[1])
            & (boxes[:, 2] <= x + w - m[2]) & (boxes[:, 3] <= y + h - m[3]))


def _drop_cut_boxes(boxes: np.ndarray, tile: Tile, tiles: List[Tile], width: int, height: int,
                    margin: float, full_image_pass: bool) -> np.ndarray:
    """Keep-mask of one tile's global boxes: drop those cut by an interior tile edge.

    A box touching an interior edge is probably a fragment of an object that goes on in the
    neighbouring tile. If another tile holds the whole box clear of its own cut edges, that
    tile sees the object whole (its detection wins); if none does, the object is larger than
    the overlap and the full-image pass sees it whole. Keeping the fragment would leave a
    duplicate that NMS may not remove (a half box has IoU <= 0.5 with the whole one).
    """
    edges = _interior_edges(tile, width, height)
    cut = _touches_interior_edge(boxes, tile, edges, margin)
    if full_image_pass or not cut.any():
        return ~cut
    covered = np.zeros(len(boxes), bool)
    for other in tiles:
        if other != tile:
            covered |= _inside_tile(boxes, other, _interior_edges(other, width, height), margin)
    return ~(cut & covered)


def _run_batches(predict_batch: PredictBatch, crops: List[np.ndarray],
                 batch_size: Optional[int]) -> List[Detections]:
    size = batch_size or len(crops)
    dets: List[Detections] = []
    for i in range(0, len(crops), size):
        out = list(predict_batch(crops[i:i + size]))
        if len(out) != len(crops[i:i + size]):
            raise ValueError(f'predict_batch returned {len(out)} results for '
                             f'{len(crops[i:i + size])} images')
        dets.extend(out)
    return dets


def tiled_predict(predict_batch: PredictBatch, image: np.ndarray, tile_size: int = 640,
                  overlap: float = 0.25, full_image_pass: bool = True, merge: str = 'nms',
                  iou_thr: float = 0.5, max_side: Optional[int] = None,
                  edge_margin: float = 2.0, batch_size: Optional[int] = None,
                  min_side: int = 0, stretch: Optional[float] = None) -> Detections:
    """Detect objects in a large image tile by tile, plus (optionally) one full-image pass.

    Example::

        dets = tiled_predict(detector.predict_batch, cv2.imread('street.jpg'), tile_size=640)
        dets = dets.above(threshold)

    Args:
        predict_batch: any detector's batch call, ``list of HxWx3 BGR uint8 -> list of
            Detections`` with boxes in each crop's pixels (thresholded or not; merging keeps
            the scores). The detector resizes each crop to its input size itself.
        image: ``HxWx3`` BGR image.
        tile_size: tile side in pixels of the (possibly downscaled) image; use the model's
            input size so tiles reach the network without being shrunk.
        overlap: least overlap of neighbouring tiles as a fraction of ``tile_size``; objects
            up to ``overlap * tile_size`` pixels always lie whole in some tile.
        full_image_pass: also predict the whole image (the detector downscales it), for
            objects too large for a tile.
        merge: ``'nms'`` or ``'wbf'``, see :func:`merge_detections`.
        iou_thr: IoU above which two boxes are the same object when merging.
        max_side: first downscale the image so its longer side is at most this (bounds the
            number of tiles on huge photos); boxes are still returned in ``image`` pixels.
        edge_margin: a tile box this close (pixels) to an interior tile edge counts as cut
            by it and is dropped (see :func:`_drop_cut_boxes`).
        batch_size: crops per ``predict_batch`` call (default: all in one call).
        min_side: an image whose longer side is at most this gets one full-image pass only,
            untiled and unmerged, as the detection service does with photos up to twice the
            network input size.
        stretch: such an untiled image is detected by :func:`stretched_predict` with this
            stretch instead (three views); None: the one pass.

    Returns:
        :class:`Detections` in ``image`` pixels, clipped to it, sorted by score.
    """
    height, width = image.shape[:2]
    if max(height, width) <= min_side:
        if stretch:
            return stretched_predict(predict_batch, image, stretch)
        det = predict_batch([image])[0]
        return clip_sorted(np.asarray(det.boxes, np.float32).reshape(-1, 4),
                           np.asarray(det.scores, np.float32).reshape(-1), width, height)
    scale = 1.0
    if max_side and max(height, width) > max_side:
        scale = max_side / max(height, width)
        image = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
    h, w = image.shape[:2]
    tiles = tile_grid(w, h, tile_size, overlap)
    single = tiles == [(0, 0, w, h)]  # the one tile is the whole image: one pass is enough
    crops = [image[y:y + th, x:x + tw] for x, y, tw, th in tiles]
    if full_image_pass and not single:
        crops.append(image)
    dets = _run_batches(predict_batch, crops, batch_size)

    all_boxes, all_scores = [], []
    for tile, det in zip(tiles, dets):
        offset = np.array(tile[:2] * 2, np.float32)  # (x, y, x, y)
        boxes = np.asarray(det.boxes, np.float32).reshape(-1, 4) + offset
        keep = np.ones(len(boxes), bool) if single else _drop_cut_boxes(
            boxes, tile, tiles, w, h, edge_margin, full_image_pass)
        all_boxes.append(boxes[keep])
        all_scores.append(np.asarray(det.scores, np.float32).reshape(-1)[keep])
    if len(dets) > len(tiles):  # the full-image pass, already in image pixels
        all_boxes.append(np.asarray(dets[-1].boxes, np.float32).reshape(-1, 4))
        all_scores.append(np.asarray(dets[-1].scores, np.float32).reshape(-1))
    boxes, scores = merge_detections(np.concatenate(all_boxes), np.concatenate(all_scores),
                                     merge, iou_thr)
    return clip_sorted(boxes / np.float32(scale), scores, width, height)


def clip_sorted(boxes: np.ndarray, scores: np.ndarray, width: int, height: int) -> Detections:
    """Boxes clipped to a ``width`` x ``height`` image, sorted by score (high first)."""
    order = np.argsort(-scores, kind='stable')
    boxes = boxes[order]
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
    return Detections(boxes.astype(np.float32), scores[order])


def check_stretch(stretch: Optional[float]) -> None:
    """Raise ``ValueError`` unless ``stretch`` is ``None`` (no stretched views) or above 1
    (a stretch of 1 or less would only repeat or squash the plain view)."""
    if stretch is not None and not stretch > 1:
        raise ValueError(f'stretch must be above 1, got {stretch}')


def stretched_predict(predict_batch: PredictBatch, image: np.ndarray, stretch: float = 2.0,
                      iou_thr: float = 0.5) -> Detections:
    """Detect objects in ``image`` as it is, stretched ``stretch`` times wide and stretched
    as many times tall (one batch of three views), boxes mapped back to ``image`` and merged
    by NMS.

    Some photos reach a detector squashed: a dataset that stores every photo as a 640x640
    square, a thumbnail, a screenshot of a stretched picture. An object of fixed shape (a logo)
    is then elongated, and a detector trained on undistorted objects misses it; in one of the
    stretched views it has about its own shape again. The detector letterboxes each view to
    its input, so a view keeps the object's short side at the plain view's scale.

    Args:
        predict_batch: the detector's batch call, ``list of HxWx3 BGR images -> list of
            Detections`` in each image's pixels (as for :func:`tiled_predict`).
        image: ``HxWx3`` BGR image.
        stretch: how many times each stretched view is wider (or taller) than the image;
            must be above 1.
        iou_thr: boxes of different views overlapping this much are one object.

    Returns:
        :class:`Detections` in ``image`` pixels, clipped to it, sorted by score.
    """
    check_stretch(stretch)
    height, width = image.shape[:2]
    views = [image] + [cv2.resize(image, (max(1, round(width * fx)), max(1, round(height * fy))),
                                  interpolation=cv2.INTER_LINEAR)
                       for fx, fy in ((stretch, 1.0), (1.0, stretch))]
    boxes, scores = [], []
    for view, det in zip(views, predict_batch(views)):
        # a view is (fx, fy) times the image, rounded: its boxes shrink back by as much
        scale = np.array([width / view.shape[1], height / view.shape[0]] * 2, np.float32)
        boxes.append(np.asarray(det.boxes, np.float32).reshape(-1, 4) * scale)
        scores.append(np.asarray(det.scores, np.float32).reshape(-1))
    merged_boxes, merged_scores = merge_detections(np.concatenate(boxes), np.concatenate(scores),
                                                   'nms', iou_thr)
    return clip_sorted(merged_boxes, merged_scores, width, height)
