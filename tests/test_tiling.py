"""Tests of tiling: the tile crop transform, the offline tiler, tiled inference, and the
small-object repeat wrapper."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.dataset import BaseDataset
from PIL import Image

from mmdet_ext.data_tools.tile import tile_coco, tile_starts
from mmdet_ext.datasets import SmallObjectRepeatDataset
from mmdet_ext.inference import Detections, merge_detections, tile_grid, tiled_predict
from mmyolo.registry import DATASETS, TRANSFORMS

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- RandomTileCrop
def _results(img, boxes, labels, ignore=None):
    return dict(img=img, img_shape=img.shape[:2],
                gt_bboxes=HorizontalBoxes(np.array(boxes, np.float32)),
                gt_bboxes_labels=np.array(labels, np.int64),
                gt_ignore_flags=np.array(ignore or [False] * len(labels), bool))


def _ramp(h, w):
    """An image whose pixel (y, x) holds (x, y, 0): shows where a crop came from."""
    ys, xs = np.mgrid[:h, :w]
    return np.stack([xs, ys, np.zeros_like(xs)], -1).astype(np.uint8)


def test_tile_crop_keeps_small_box_shifted_and_drops_mostly_cut_box():
    # 96x64 image, 64 px tile. A is the only box the tile may be placed on (B and C are
    # ignored) and spans x 32..96, so the only tile containing it starts at x=32. B keeps 40%
    # (< 0.6) of its area in that tile, C keeps 70%.
    t = TRANSFORMS.build(dict(type='RandomTileCrop', tile_size=64, object_prob=1.0,
                              min_visible=0.6))
    img = _ramp(64, 96)
    a, b, c = [32, 10, 96, 20], [20, 30, 40, 40], [26, 44, 46, 54]
    out = t(_results(img, [a, b, c], [0, 1, 2], ignore=[False, True, True]))
    assert out['tile_offset'] == (32, 0) and out['img_shape'] == (64, 64)
    np.testing.assert_array_equal(out['img'], img[:, 32:96])
    assert isinstance(out['gt_bboxes'], HorizontalBoxes)
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[0, 10, 64, 20], [0, 44, 14, 54]])
    np.testing.assert_array_equal(out['gt_bboxes_labels'], [0, 2])
    np.testing.assert_array_equal(out['gt_ignore_flags'], [False, True])


@pytest.mark.parametrize('seed', range(8))
def test_tile_crop_centres_on_small_box(seed):
    # A 6 px box on a 300x200 image: with object_prob=1 every tile must contain it whole, at
    # the box's position minus the tile offset.
    np.random.seed(seed)
    t = TRANSFORMS.build(dict(type='RandomTileCrop', tile_size=(48, 40), object_prob=1.0))
    box = np.array([211., 150., 217., 156.])
    big = [10, 10, 110, 110]  # large: chosen too sometimes, but never with the small one
    out = t(_results(_ramp(200, 300), [big, box], [1, 0]))
    x, y = out['tile_offset']
    assert out['img'].shape == (40, 48, 3)
    labels = list(out['gt_bboxes_labels'])
    if 0 in labels:
        np.testing.assert_allclose(out['gt_bboxes'].numpy()[labels.index(0)],
                                   box - [x, y, x, y])
    else:  # the tile went to the big box instead
        assert x < 110 and y < 110


def test_tile_crop_prefers_small_boxes():
    np.random.seed(0)
    t = TRANSFORMS.build(dict(type='RandomTileCrop', tile_size=32, object_prob=1.0,
                              small_weight=9.0, small_area=16**2))
    small_hits = 0
    for _ in range(200):
        out = t(_results(_ramp(200, 300), [[0, 0, 40, 40], [250, 150, 258, 158]], [1, 0]))
        small_hits += 0 in list(out['gt_bboxes_labels'])
    assert 160 <= small_hits <= 200  # 90% expected; uniform choice would give ~50%


def test_tile_crop_pads_small_image():
    t = TRANSFORMS.build(dict(type='RandomTileCrop', tile_size=64, pad_val=114))
    img = _ramp(30, 40)
    out = t(_results(img, [[5, 5, 15, 15]], [0]))
    assert out['img'].shape == (64, 64, 3) and out['tile_offset'] == (0, 0)
    np.testing.assert_array_equal(out['img'][:30, :40], img)
    assert (out['img'][30:] == 114).all() and (out['img'][:, 40:] == 114).all()
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[5, 5, 15, 15]])


# ---------------------------------------------------------------- offline tiler
def _cli(name):
    spec = importlib.util.spec_from_file_location(name, REPO / 'tools' / 'data' / f'{name}.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def big_coco(tmp_path):
    """One 300x200 PNG with five boxes (one across the middle), one negative 100x80 PNG."""
    rng = np.random.default_rng(0)
    src = tmp_path / 'src'
    (src / 'sub').mkdir(parents=True)
    Image.fromarray(rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)).save(src / 'sub/a.png')
    Image.fromarray(rng.integers(0, 255, (80, 100, 3), dtype=np.uint8)).save(src / 'neg.png')
    boxes = [[5, 5, 20, 20], [140, 90, 30, 25], [270, 170, 29, 29], [100, 150, 12, 30],
             [60, 60, 31, 31]]
    coco = {'images': [{'id': 7, 'file_name': 'sub/a.png', 'width': 300, 'height': 200},
                       {'id': 8, 'file_name': 'neg.png', 'width': 100, 'height': 80}],
            'annotations': [{'id': i + 1, 'image_id': 7, 'category_id': 1, 'bbox': b,
                             'area': b[2] * b[3], 'iscrowd': 0} for i, b in enumerate(boxes)],
            'categories': [{'id': 1, 'name': 'logo'}]}
    return coco, src


def test_tile_coco_global_boxes_and_full_containment(big_coco, tmp_path):
    coco, src = big_coco
    out = tmp_path / 'tiles'
    tiled = tile_coco(coco, src, out, tile_size=128, stride=96, min_visible=0.5)
    assert json.loads((out / 'annotations.json').read_text()) == tiled
    images = {im['id']: im for im in tiled['images']}
    source = np.asarray(Image.open(src / 'sub/a.png'))
    for im in images.values():
        x, y = im['tile_offset']
        tile_px = np.asarray(Image.open(out / 'images' / im['file_name']))
        if im['source_image_id'] == 7:
            np.testing.assert_array_equal(tile_px, source[y:y + im['height'], x:x + im['width']])
    for ann in tiled['annotations']:
        x, y = images[ann['image_id']]['tile_offset']
        bx, by, bw, bh = ann['bbox']
        assert ann['global_bbox'] == [bx + x, by + y, bw, bh]
        assert 0 <= bx and bx + bw <= 128 and 0 <= by and by + bh <= 128
    # stride 96 leaves 32 px of overlap: every box (<= 31 px) is whole in some tile
    for gt in coco['annotations']:
        assert any(a['global_bbox'] == gt['bbox'] and a['visible'] == 1.0
                   and a['source_ann_id'] == gt['id'] for a in tiled['annotations'])
    # a box is kept wherever >= half of it is visible, and nowhere else
    box = coco['annotations'][1]['bbox']  # across the middle of the image
    for im in images.values():
        tx, ty = im['tile_offset']
        iw = max(0, min(box[0] + box[2], tx + 128) - max(box[0], tx))
        ih = max(0, min(box[1] + box[3], ty + 128) - max(box[1], ty))
        kept = any(a['source_ann_id'] == 2 and a['image_id'] == im['id']
                   for a in tiled['annotations'])
        assert kept == (iw * ih >= 0.5 * box[2] * box[3])
    # the tiles of the 300x200 image: x in {0, 86, 172}, y in {0, 72}, last flush with border
    offsets = sorted(tuple(im['tile_offset']) for im in images.values()
                     if im['source_image_id'] == 7)
    assert offsets == sorted((x, y) for x in (0, 86, 172) for y in (0, 72))
    neg = [im for im in images.values() if im['source_image_id'] == 8]
    assert len(neg) == 1 and (neg[0]['width'], neg[0]['height']) == (100, 80)
    assert all(im['photo_id'] == im['source_file_name'] for im in images.values())


def test_tile_coco_drops_empty_tiles_and_cli(big_coco, tmp_path):
    coco, src = big_coco
    tiled = tile_coco(coco, src, tmp_path / 'a', tile_size=128, stride=96, keep_empty=False)
    with_boxes = {a['image_id'] for a in tiled['annotations']}
    assert {im['id'] for im in tiled['images']} == with_boxes
    (tmp_path / 'ann.json').write_text(json.dumps(coco))
    rc = _cli('tile_coco').main([str(tmp_path / 'ann.json'), '--images-dir', str(src),
                                 '--out-dir', str(tmp_path / 'b'), '--tile-size', '128',
                                 '--stride', '96', '--keep-empty', 'none'])
    assert rc == 0
    assert json.loads((tmp_path / 'b/annotations.json').read_text())['images'] == \
        tiled['images']


def test_tile_starts_and_grid_cover_the_image():
    assert tile_starts(100, 128, 96) == [0]
    assert tile_starts(300, 128, 96) == [0, 86, 172]
    for w, h, tile, overlap in [(640, 480, 64, 0.25), (1000, 333, 128, 0.5), (50, 700, 64, 0.1)]:
        tiles = tile_grid(w, h, tile, overlap)
        covered = np.zeros((h, w), bool)
        for x, y, tw, th in tiles:
            assert 0 <= x and x + tw <= w and 0 <= y and y + th <= h
            assert (tw, th) == (min(tile, w), min(tile, h))
            covered[y:y + th, x:x + tw] = True
        assert covered.all()
        xs = sorted({t[0] for t in tiles})
        assert xs[-1] + min(tile, w) == w
        assert all(b - a <= tile * (1 - overlap) + 1 for a, b in zip(xs, xs[1:]))


# ---------------------------------------------------------------- tiled inference
def _blob_detector(input_size=64, min_area=4):
    """A fake detector with a ``input_size`` px input: it shrinks each image to that size and
    reports bright blobs of at least ``min_area`` pixels there, so a tiny square is seen
    in a tile but lost in a downscaled whole image. Records the crop sizes it was given."""
    calls = []

    def predict_batch(images):
        out = []
        for img in images:
            calls.append(img.shape[:2])
            s = input_size / max(img.shape[:2])
            small = cv2.resize(img, (max(1, round(img.shape[1] * s)),
                                     max(1, round(img.shape[0] * s))),
                               interpolation=cv2.INTER_AREA)
            mask = (small[..., 0] > 127).astype(np.uint8)
            n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [[x / s, y / s, (x + w) / s, (y + h) / s]
                     for x, y, w, h, area in stats[1:n] if area >= min_area]
            out.append(Detections(np.array(boxes, np.float32).reshape(-1, 4),
                                  np.full(len(boxes), 0.9, np.float32)))
        return out
    predict_batch.calls = calls
    return predict_batch


def _squares(w, h, squares):
    img = np.zeros((h, w, 3), np.uint8)
    for x, y, s in squares:
        img[y:y + s, x:x + s] = 255
    return img


def test_tiled_predict_finds_small_object_a_single_pass_misses():
    img = _squares(640, 480, [(523, 377, 6)])
    detect = _blob_detector()
    assert len(detect([img])[0]) == 0  # 6 px at 1/10 scale: invisible in one pass
    detect.calls.clear()
    dets = tiled_predict(detect, img, tile_size=64, overlap=0.25)
    assert len(dets) == 1
    np.testing.assert_allclose(dets.boxes[0], [523, 377, 529, 383], atol=1)
    assert detect.calls[-1] == (480, 640)  # the full-image pass came last
    assert len(detect.calls) == len(tile_grid(640, 480, 64, 0.25)) + 1


@pytest.mark.parametrize('merge', ['nms', 'wbf'])
@pytest.mark.parametrize('full_image_pass', [True, False])
def test_tiled_predict_does_not_duplicate_objects_cut_by_tiles(merge, full_image_pass):
    # 64 px tiles with 16 px overlap on 256 px: starts 0, 48, 96, 144, 192. The first square
    # is cut by x=112 (right edge of the tile at 48) and whole in the tile at 96; the second
    # is cut by y=112 and whole in the tile at y=96. Their fragments overlap the whole boxes
    # with IoU < 0.5, so NMS alone would keep them. The 60 px square is cut by every tile
    # that sees it: only the full-image pass sees it whole.
    img = _squares(256, 256, [(108, 20, 14), (20, 108, 12), (100, 150, 60)])
    dets = tiled_predict(_blob_detector(min_area=1), img, tile_size=64, overlap=0.25,
                         merge=merge, full_image_pass=full_image_pass)
    for box in ([108, 20, 122, 34], [20, 108, 32, 120]):
        overlapping = (dets.boxes[:, :2] < box[2:]).all(1) & (dets.boxes[:, 2:] > box[:2]).all(1)
        assert overlapping.sum() == 1, dets.boxes  # one detection of it, no fragment
        assert np.abs(dets.boxes[overlapping] - box).max() <= 4
    if full_image_pass:
        assert len(dets) == 3
        assert np.abs(dets.boxes - [100, 150, 160, 210]).max(1).min() <= 4


def test_tiled_predict_max_side_returns_original_pixels():
    img = _squares(1280, 960, [(1000, 700, 12)])
    dets = tiled_predict(_blob_detector(), img, tile_size=64, max_side=640)
    assert len(dets) == 1
    np.testing.assert_allclose(dets.boxes[0], [1000, 700, 1012, 712], atol=2)


def test_tiled_predict_small_image_is_one_pass():
    detect = _blob_detector()
    dets = tiled_predict(detect, _squares(60, 50, [(10, 10, 8)]), tile_size=64)
    assert detect.calls == [(50, 60)] and len(dets) == 1


def test_tiled_predict_min_side_keeps_photos_up_to_it_whole():
    img = _squares(640, 480, [(523, 377, 6), (100, 100, 40)])
    detect = _blob_detector()
    dets = tiled_predict(detect, img, tile_size=64, min_side=640)
    assert detect.calls == [(480, 640)]  # one pass: the 6 px square stays invisible
    np.testing.assert_allclose(dets.boxes, [[100, 100, 140, 140]], atol=1)
    detect.calls.clear()
    assert len(tiled_predict(detect, img, tile_size=64, min_side=639)) == 2  # tiled above it
    assert len(detect.calls) == len(tile_grid(640, 480, 64, 0.25)) + 1


def test_merge_detections_nms_and_wbf():
    boxes = [[1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]]
    scores = [0.6, 0.9, 0.7]
    b, s = merge_detections(boxes, scores, 'nms', 0.5)
    np.testing.assert_allclose(b, [[0, 0, 10, 10], [50, 50, 60, 60]])
    np.testing.assert_allclose(s, [0.9, 0.7])
    b, s = merge_detections(boxes, scores, 'wbf', 0.5)
    np.testing.assert_allclose(b[0], [0.4, 0.4, 10.4, 10.4], atol=1e-5)  # (0.9*0 + 0.6*1)/1.5
    np.testing.assert_allclose(s, [0.9, 0.7])
    b, s = merge_detections(np.zeros((0, 4)), np.zeros(0), 'wbf')
    assert b.shape == (0, 4) and s.shape == (0,)
    with pytest.raises(ValueError):
        merge_detections(boxes, scores, 'soft')


# ---------------------------------------------------------------- SmallObjectRepeatDataset
class _ListDataset(BaseDataset):
    """A dataset whose data list is given directly (no annotation file)."""

    def __init__(self, data_list):
        self._given = data_list
        super().__init__(serialize_data=False, lazy_init=True)

    def load_data_list(self):
        return self._given


def _info(path, boxes, ignore=0):
    return dict(img_path=path, instances=[dict(bbox=b, bbox_label=0, ignore_flag=ignore)
                                          for b in boxes])


def test_small_object_repeat_counts(tmp_path):
    data = [_info('/d/images/small.jpg', [[0, 0, 10, 10], [0, 0, 100, 100]]),
            _info('/d/images/large.jpg', [[0, 0, 100, 100]]),
            _info('/d/images/neg.jpg', []),
            _info('/d/images/ignored.jpg', [[0, 0, 5, 5]], ignore=1),
            _info('/d/b/hard.jpg', [[0, 0, 100, 100]])]
    weights = tmp_path / 'w.json'
    weights.write_text(json.dumps({'b/hard.jpg': 5}))
    ds = SmallObjectRepeatDataset(_ListDataset(data), small_area=32**2, small_factor=3,
                                  negative_factor=2, extra_weights=str(weights))
    assert ds.repeat_factors() == [3, 1, 2, 2, 5]
    assert ds.repeat_indices == [0] * 3 + [1] + [2] * 2 + [3] * 2 + [4] * 5
    assert len(ds) == 13 and ds.get_data_info(12)['img_path'] == '/d/b/hard.jpg'
    # the mining hook: the large image becomes a hard example, matched by its file name
    assert ds.add_images(['large.jpg'], 4) == 1
    assert ds.repeat_factors() == [3, 4, 2, 2, 5] and len(ds) == 16


def test_small_object_repeat_fractional_is_seeded():
    data = [_info(f'/d/{i}.jpg', [[0, 0, 8, 8]]) for i in range(200)]

    def build(seed):
        return SmallObjectRepeatDataset(_ListDataset(data), small_factor=1.5, seed=seed)
    a, b, c = build(0), build(0), build(1)
    assert a.repeat_indices == b.repeat_indices != c.repeat_indices
    counts = np.bincount(a.repeat_indices)
    assert set(counts) == {1, 2} and 250 <= len(a) <= 350


def test_small_object_repeat_wraps_coco_dataset_from_config(tiny_dataset):
    coco = json.loads((tiny_dataset / 'train.json').read_text())
    small = {a['image_id'] for a in coco['annotations'] if a['bbox'][2] * a['bbox'][3] < 20**2}
    ds = DATASETS.build(dict(
        type='SmallObjectRepeatDataset', small_area=20**2, small_factor=3, seed=0,
        dataset=dict(type='OneClassCocoDataset', data_root=str(tiny_dataset) + '/',
                     ann_file='train.json', data_prefix=dict(img='images/'),
                     metainfo=dict(classes=('tbank_logo', )), pipeline=[])))
    assert 0 < len(small) < len(coco['images'])
    assert len(ds) == len(coco['images']) + 2 * len(small)
    assert ds.metainfo['classes'] == ('tbank_logo', )
    ids = [ds.get_data_info(i)['img_id'] for i in range(len(ds))]
    assert all(ids.count(i) == (3 if i in small else 1) for i in set(ids))
    assert ds[0]['img_id'] == ids[0]


def test_stretched_views_find_a_squashed_object_where_it_is():
    """A 40x20 blob (a logo squashed 2:1) that a detector of undistorted shapes misses is found
    in the view stretched twice as tall, and its box comes back in the image's pixels."""
    from mmdet_ext.inference import stretched_predict
    from projects.tbank_logo.service.testing import BlobDetector, blob_image
    det = BlobDetector(max_aspect=1.3)
    image = np.ascontiguousarray(np.asarray(blob_image(size=(120, 80), box=(30, 20, 70, 40))))
    assert len(det.predict_raw(image)) == 0
    det.images_seen.clear()
    dets = stretched_predict(det.predict_batch_raw, image, stretch=2.0)
    assert dets.boxes.tolist() == [[30, 20, 70, 40]] and dets.scores == pytest.approx([det.score])
    assert det.images_seen == [(80, 120), (80, 240), (160, 120)]  # as is, wide, tall
    square = np.ascontiguousarray(np.asarray(blob_image(size=(120, 80), box=(30, 20, 50, 40))))
    assert stretched_predict(det.predict_batch_raw, square).boxes.tolist() == [[30, 20, 50, 40]]
    with pytest.raises(ValueError, match='stretch must be above 1'):
        stretched_predict(det.predict_batch_raw, image, stretch=1.0)


def test_tiled_inference_model_refuses_a_stretch_of_one_when_built():
    """A config with ``stretch=1`` fails when the model is built, not at its first photo."""
    from mmdet_ext.models.tiled_inference_model import TiledInferenceModel
    with pytest.raises(ValueError, match='stretch must be above 1, got 1'):
        TiledInferenceModel(module=dict(type='not built'), spec={}, stretch=1)
