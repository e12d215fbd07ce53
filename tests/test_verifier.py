"""The Tinkoff verifier: crop geometry, band logic, a stub network, training, effect counts."""
import json

import numpy as np
import pytest

from mmdet_ext.inference.detections import Detections
from projects.tbank_logo.verifier import (LogoVerifier, context_window, crop_batch,
                                          crop_with_context)
from projects.tbank_logo.verifier.effect import PhotoCandidates, keep_mask, verifier_effect


def brightness_onnx(path, size=16, band=None, threshold=None):
    """A stub verifier network: probability = mean pixel / 255 (bright crop = "logo")."""
    import onnx
    from onnx import TensorProto, helper
    nodes = [helper.make_node('ReduceMean', ['crops'], ['mean'], axes=[1, 2, 3], keepdims=0),
             helper.make_node('Div', ['mean', 'k'], ['prob'])]
    graph = helper.make_graph(
        nodes, 'stub', [helper.make_tensor_value_info('crops', TensorProto.FLOAT,
                                                      ['n', 3, size, size])],
        [helper.make_tensor_value_info('prob', TensorProto.FLOAT, ['n'])],
        initializer=[helper.make_tensor('k', TensorProto.FLOAT, [], [255.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    settings = dict(crop_size=size, context=0.0)
    if band is not None:
        settings['band'] = band
    if threshold is not None:
        settings['threshold'] = threshold
    path.with_suffix('.json').write_text(json.dumps(settings))
    return str(path)


def half_bright_image():
    """80x80: left half white (a "logo" to the stub), right half black (a look-alike)."""
    img = np.zeros((80, 80, 3), np.uint8)
    img[:, :40] = 255
    return img


# ----------------------------------------------------------------------------- crop geometry

def test_context_window_is_square_and_centred():
    assert context_window([10, 10, 30, 20], 0.2) == (6, 1, 34, 29)  # side 20 * 1.4 = 28
    assert context_window([5, 5, 5, 5], 0.2) == (4, 4, 6, 6)  # at least 2 px


def test_crop_replicates_the_border_outside_the_image():
    img = np.arange(40 * 40 * 3, dtype=np.uint32).reshape(40, 40, 3).astype(np.uint8)
    # box (0, 0, 10, 10) with 50% context: window (-5, -5, 15, 15), 20 px -> no resize
    crop = crop_with_context(img, [0, 0, 10, 10], context=0.5, size=20)
    assert crop.shape == (20, 20, 3)
    assert np.array_equal(crop[5:, 5:], img[:15, :15])
    assert (crop[:5, :5] == img[0, 0]).all()  # corner: the corner pixel, replicated
    assert np.array_equal(crop[:5, 7], np.repeat(img[0:1, 2], 5, axis=0))  # top: row 0
    # bottom-right corner
    crop = crop_with_context(img, [30, 30, 40, 40], context=0.5, size=20)
    assert np.array_equal(crop[:15, :15], img[25:, 25:]) and (crop[15:, 15:] == img[39, 39]).all()


def test_crop_resizes_and_handles_boxes_outside():
    img = np.full((100, 200, 3), 7, np.uint8)
    assert crop_with_context(img, [10, 10, 150, 40], 0.2, 64).shape == (64, 64, 3)
    assert (crop_with_context(img, [500, 500, 520, 520], 0.2, 16) == 0).all()


# ----------------------------------------------------------------------------- LogoVerifier

def test_boxes_outside_the_band_are_untouched(tmp_path):
    v = LogoVerifier(brightness_onnx(tmp_path / 'v.onnx'), band=(0.3, 0.6), threshold=0.5)
    dark = [50, 10, 70, 30]  # the stub rejects every box on the black half
    dets = Detections(np.array([dark, dark, dark, dark], np.float32),
                      np.array([0.9, 0.6, 0.3, 0.2], np.float32))
    out = v(half_bright_image(), dets)
    assert out.scores.tolist() == pytest.approx([0.9, 0.2])
    assert np.array_equal(out.boxes, dets.boxes[[0, 3]])
    far = Detections(dets.boxes[[0]], np.array([0.95], np.float32))
    assert v(half_bright_image(), far) is far  # nothing in the band: not even cropped


def test_stub_network_drops_exactly_the_in_band_boxes_it_rejects(tmp_path):
    path = brightness_onnx(tmp_path / 'v.onnx', band=[None, 0.8], threshold=0.5)
    v = LogoVerifier(path)  # band and threshold from the JSON beside the model
    assert v.band == (None, 0.8) and v.threshold == 0.5 and v.context == 0.0
    bright, dark = [5, 5, 30, 30], [45, 45, 75, 75]
    boxes = np.array([bright, dark, dark, bright, dark], np.float32)
    scores = np.array([0.95, 0.9, 0.7, 0.6, 0.4], np.float32)
    probs = v.probabilities(half_bright_image(), boxes)
    assert probs == pytest.approx([1, 0, 0, 1, 0])
    out = v(half_bright_image(), Detections(boxes, scores))
    assert out.scores.tolist() == pytest.approx([0.95, 0.9, 0.6])  # 0.9 > band: kept


def test_effect_masks_agree_with_the_service_pipeline(tmp_path):
    from projects.tbank_logo.service.pipeline import apply_verifier
    bright, dark = [5, 5, 30, 30], [45, 45, 75, 75]
    boxes = np.array([bright, dark, bright, dark, bright, dark], np.float32)
    scores = np.array([0.9, 0.8, 0.55, 0.5, 0.3, 0.25], np.float32)
    img = half_bright_image()
    for band in [(None, 1.0), (None, 0.85), (0.2, 0.6)]:
        v = LogoVerifier(brightness_onnx(tmp_path / 'v.onnx'), band=band, threshold=0.5)
        served, _ = apply_verifier(img, Detections(boxes, scores), 0.45, band, v)
        mask = keep_mask(scores, v.probabilities(img, boxes), 0.45, band, 0.5)
        assert sorted(served.scores.tolist()) == sorted(scores[mask].tolist()), band


def test_verifier_effect_counts():
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], np.float32)
    cand = PhotoCandidates(
        'a', 'f', gt, boxes=np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60],
                                      [70, 70, 80, 80], [21, 21, 30, 30]], np.float32),
        scores=np.array([0.9, 0.6, 0.7, 0.5, 0.3], np.float32),
        probs=np.array([0.1, 0.2, 0.1, 0.9, 0.9], np.float32))
    neg = PhotoCandidates('b', 'f', np.zeros((0, 4), np.float32),
                          np.array([[0, 0, 5, 5]], np.float32), np.array([0.6], np.float32),
                          np.array([0.0], np.float32))
    r = verifier_effect([cand, neg], score_thr=0.45, band=(None, 0.8), threshold=0.5)
    assert r['before'] == dict(r['before'], tp=2, fp=3, fn=0)
    # dropped: the TP at 0.6, the FPs at 0.7 and 0.6 (negative photo); 0.9 above the band
    assert (r['fp_removed'], r['tp_lost'], r['added_tp'], r['added_fp']) == (2, 1, 0, 0)
    assert r['after'] == dict(r['after'], tp=1, fp=1, fn=1)
    assert (r['negatives_with_fp_before'], r['negatives_with_fp_after']) == (1, 0)
    r = verifier_effect([cand, neg], score_thr=0.45, band=(0.25, 0.8), threshold=0.5)
    assert (r['added_tp'], r['added_fp']) == (1, 0)  # the 0.3 box on the lost logo returns


# ----------------------------------------------------------------------------- data and training

def fake_real_root(root, key='ab' * 16):
    """Two folders sharing one photo (same hash prefix), each with one photo of its own."""
    import cv2
    for folder, box in (('a', [2, 2, 10, 10]), ('b', [3, 3, 10, 10])):
        (root / folder / 'images').mkdir(parents=True)
        for name in (f'{key}_x.jpg', f'{folder}_only.jpg'):
            cv2.imwrite(str(root / folder / 'images' / name), np.zeros((32, 48, 3), np.uint8))
        images = [dict(id=1, file_name=f'{key}_x.jpg', width=48, height=32),
                  dict(id=2, file_name=f'{folder}_only.jpg', width=48, height=32)]
        json.dump(dict(images=images, categories=[dict(id=1, name='tbank_logo')],
                       annotations=[dict(id=1, image_id=1, category_id=1, bbox=box)]),
                  open(root / folder / 'annotations.json', 'w'))
    return str(root)


def test_real_photos_dedupe_split_and_predictions_roundtrip(tmp_path):
    from projects.tbank_logo.verifier.real import (is_val_photo, load_predictions,
                                                   load_real_photos, save_predictions)
    key = 'ab' * 16
    fake_real_root(tmp_path, key)
    photos = load_real_photos(str(tmp_path))
    assert [(p.folder, p.file_name) for p in photos] == [
        ('a', f'{key}_x.jpg'), ('a', 'a_only.jpg'), ('b', 'b_only.jpg')]
    assert photos[0].gt_boxes.tolist() == [[2, 2, 12, 12]]
    assert is_val_photo('x', 0.5, 0) == is_val_photo('x', 0.5, 0)
    assert sum(is_val_photo(str(i), 0.25) for i in range(2000)) == pytest.approx(500, abs=60)
    dets = {1: Detections(np.array([[1, 2, 5, 6]], np.float32), np.array([0.5], np.float32))}
    save_predictions(str(tmp_path / 'p.json'), photos, dets)
    back = load_predictions(str(tmp_path / 'p.json'), photos)
    assert list(back) == [1] and back[1].boxes.tolist() == [[1, 2, 5, 6]]


def test_real_crops_from_labels_windows_and_detector_boxes(tmp_path):
    from projects.tbank_logo.verifier.data import real_crops
    from projects.tbank_logo.verifier.real import load_real_photos
    photos = load_real_photos(fake_real_root(tmp_path))
    preds = {1: Detections(np.array([[2, 2, 12, 12], [30, 5, 40, 15], [5, 5, 13, 13]],
                                    np.float32), np.array([0.9, 0.5, 0.01], np.float32))}
    crops = real_crops(photos, per_box=2, negatives_per_photo=1, predictions=preds, size=16)
    counts = crops.counts()
    # the 0.01 box is under min_pred_score; the 30..40 box misses the label: a det:fp
    assert counts['real:logo'] == 2 and counts['det:tp'] == 1 and counts['det:fp'] == 1
    assert crops.images.shape[1:] == (16, 16, 3)
    assert crops.labels[crops.sources == 'det:fp'].tolist() == [0.0]


def test_one_training_epoch_writes_a_loadable_onnx(tmp_path):
    from projects.tbank_logo.verifier.data import CropSet, synthetic_crops
    from projects.tbank_logo.verifier.train import (predict_probs, score_crops,
                                                    train_verifier, write_verifier)
    crops = synthetic_crops(12, seed=0, size=32, max_side=40)
    assert set(crops.labels.tolist()) == {0.0, 1.0} and crops.images.shape == (12, 32, 32, 3)
    crops = CropSet.concat([crops, crops])
    net, history = train_verifier(crops, crops, epochs=1, batch_size=8, widths=(4, 8, 8, 8),
                                  log=lambda s: None)
    assert len(history) == 1 and np.isfinite(history[0]['loss'])
    path = write_verifier(str(tmp_path), net, dict(crop_size=32, context=0.2, threshold=0.5,
                                                   band=[None, 0.9]))
    v = LogoVerifier(path)
    assert v.size == 32 and v.band == (None, 0.9)
    img = np.random.default_rng(0).integers(0, 255, (60, 60, 3), np.uint8)
    boxes = np.array([[5, 5, 30, 30], [20, 10, 50, 55]], np.float32)
    probs = v.probabilities(img, boxes)
    expected = predict_probs(net, crop_batch(img, boxes, 0.2, 32))  # torch == ONNX
    assert probs.shape == (2,) and np.allclose(probs, expected, atol=1e-4)
    s = score_crops(predict_probs(net, crops.images), crops)
    assert 0 <= s['all']['accuracy'] <= 1 and s['real']['n'] == 0


def test_serve_cli_takes_a_verifier(tmp_path):
    import os.path as osp
    import sys
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    from tools import serve
    path = brightness_onnx(tmp_path / 'v.onnx', band=[0.3, 0.8])
    args = serve.parse_args(['--model', 'fake', '--verifier', path])
    verifier = serve.load_verifier(args)
    assert isinstance(verifier, LogoVerifier)
    assert serve.build_settings(args, verifier).verifier_band == (0.3, 0.8)
    args = serve.parse_args(['--model', 'fake', '--verifier', path, '--verifier-band', 'thr',
                             '0.7', '--verifier-threshold', '0.6'])
    verifier = serve.load_verifier(args)
    assert verifier.threshold == 0.6
    assert serve.build_settings(args, verifier).verifier_band == (None, 0.7)
    assert serve.build_settings(serve.parse_args(['--model', 'fake'])).verifier_band == \
        (None, 1.0)
