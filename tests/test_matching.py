"""Greedy matching and P/R/F1 arithmetic, checked on hand-computed cases."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmdet_ext.evaluation.matching import (PRF, best_f1, box_iou, match_image, prf_at,
                                           size_bucket, sweep_thresholds)


def test_box_iou_hand_computed():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]])
    np.testing.assert_allclose(box_iou(a, b), [[50 / 150, 0.0, 1.0]])


def test_one_gt_two_overlapping_predictions():
    # The higher-scored prediction takes the ground truth; the second is a false positive
    # even though it overlaps the same box.
    gt = [[0, 0, 10, 10]]
    m = match_image([[1, 0, 11, 10], [0, 0, 10, 10]], [0.6, 0.9], gt, 0.5)
    np.testing.assert_array_equal(m.scores, [0.9, 0.6])
    np.testing.assert_array_equal(m.pred_is_tp, [True, False])
    assert m.gt_best_score[0] == 0.9


def test_iou_exactly_at_threshold_is_a_match():
    # Prediction [0,0,10,10] vs ground truth [0,0,10,20]: IoU = 100 / 200 = 0.5 exactly.
    m = match_image([[0, 0, 10, 10]], [0.5], [[0, 0, 10, 20]], iou_thr=0.5)
    assert m.pred_is_tp.tolist() == [True]
    m = match_image([[0, 0, 10, 10]], [0.5], [[0, 0, 10, 20]], iou_thr=0.5001)
    assert m.pred_is_tp.tolist() == [False]


def test_negative_image_counts_its_false_positive():
    m = match_image([[0, 0, 5, 5]], [0.8], np.zeros((0, 4)), 0.5)
    prf = prf_at(m.scores, m.pred_is_tp, 0, 0.5)
    assert (prf.tp, prf.fp, prf.fn) == (0, 1, 0)
    assert prf.precision == 0.0 and prf.f1 == 0.0


def test_empty_predictions_and_empty_ground_truth():
    m = match_image(np.zeros((0, 4)), [], [[0, 0, 5, 5]], 0.5)
    prf = prf_at(m.scores, m.pred_is_tp, 1, 0.5)
    assert (prf.tp, prf.fp, prf.fn, prf.recall, prf.f1) == (0, 0, 1, 0.0, 0.0)
    m = match_image(np.zeros((0, 4)), [], np.zeros((0, 4)), 0.5)
    assert len(m.scores) == 0 and len(m.gt_best_score) == 0
    assert best_f1(m.scores, m.pred_is_tp, 0).f1 == 0.0


def test_prefers_unmatched_gt_with_highest_iou():
    gts = [[0, 0, 10, 10], [2, 0, 12, 10]]
    m = match_image([[2, 0, 12, 10], [0, 0, 10, 10]], [0.9, 0.8], gts, 0.5)
    np.testing.assert_array_equal(m.pred_gt, [1, 0])


def test_ignore_region_drops_unmatched_predictions_inside_it_only():
    gt = [[0, 0, 10, 10]]
    ignore = [[50, 50, 100, 100]]
    preds = [[0, 0, 10, 10],  # matches the label: a hit even though ...
             [60, 60, 70, 70],  # ... this one, wholly inside the region, counts for nothing
             [90, 90, 110, 110],  # a quarter inside (IoA 0.25): still a false alarm
             [1, 0, 11, 10]]  # duplicate of the label, outside the region: a false alarm
    m = match_image(preds, [0.9, 0.8, 0.7, 0.6], gt, 0.5, ignore_boxes=ignore)
    np.testing.assert_array_equal(m.pred_index, [0, 2, 3])
    np.testing.assert_array_equal(m.scores, [0.9, 0.7, 0.6])
    np.testing.assert_array_equal(m.pred_is_tp, [True, False, False])
    prf = prf_at(m.scores, m.pred_is_tp, len(gt), 0.5)
    assert (prf.tp, prf.fp, prf.fn) == (1, 2, 0)
    # A prediction inside a region that also overlaps a label takes the label first.
    m = match_image([[50, 50, 60, 60]], [0.9], [[50, 50, 60, 61]], 0.5, ignore_boxes=ignore)
    assert m.pred_is_tp.tolist() == [True]
    assert len(match_image(preds, [0.9, 0.8, 0.7, 0.6], gt, 0.5).scores) == 4  # no regions


def test_sweep_and_best_threshold():
    scores = np.array([0.9, 0.8, 0.7, 0.3])
    is_tp = np.array([True, False, True, False])
    curve = sweep_thresholds(scores, is_tp, num_gt=3)
    np.testing.assert_allclose(curve['threshold'], [0.9, 0.8, 0.7, 0.3])
    np.testing.assert_allclose(curve['recall'], [1 / 3, 1 / 3, 2 / 3, 2 / 3])
    best = best_f1(scores, is_tp, 3)
    # At 0.7: TP=2, FP=1, FN=1 -> F1 = 4/6; at 0.9: 2/4.
    assert best.threshold == 0.7 and best.f1 == pytest.approx(4 / 6)


def test_aspect_bucket_edges_either_orientation():
    from mmdet_ext.evaluation.matching import aspect_bucket
    w = np.array([10, 10, 14.9, 15, 24.9, 25, 10, 0])
    h = np.array([10, 6.6, 10, 10, 10, 10, 40, 10])
    boxes = np.stack([np.zeros(8), np.zeros(8), w, h], axis=1)
    assert aspect_bucket(boxes).tolist() == [0, 1, 0, 1, 1, 2, 2, 2]  # 10x0: most elongated


def test_size_bucket_edges():
    side = np.array([15.9, 16, 31.9, 32, 95, 96])
    boxes = np.stack([np.zeros(6), np.zeros(6), side, side], axis=1)
    assert size_bucket(boxes).tolist() == [0, 1, 1, 2, 2, 3]


boxes_strategy = st.lists(
    st.tuples(st.floats(0, 50), st.floats(0, 50), st.floats(1, 30), st.floats(1, 30)),
    min_size=0, max_size=6).map(
        lambda xs: np.array([[x, y, x + w, y + h] for x, y, w, h in xs]).reshape(-1, 4))


@settings(max_examples=60, deadline=None)
@given(gt=boxes_strategy, pred=boxes_strategy, data=st.data())
def test_rates_in_unit_interval_and_perfect_prediction_never_lowers_recall(gt, pred, data):
    scores = np.array(data.draw(st.lists(st.floats(0.01, 0.99), min_size=len(pred),
                                         max_size=len(pred))))
    thr = data.draw(st.floats(0, 1))
    m = match_image(pred, scores, gt, 0.5)
    prf = prf_at(m.scores, m.pred_is_tp, len(gt), thr)
    for rate in (prf.precision, prf.recall, prf.f1):
        assert 0.0 <= rate <= 1.0
    if len(gt):
        # A perfect, most confident prediction of one ground-truth box.
        k = data.draw(st.integers(0, len(gt) - 1))
        m2 = match_image(np.vstack([pred, gt[k:k + 1]]), np.r_[scores, 1.0], gt, 0.5)
        prf2 = prf_at(m2.scores, m2.pred_is_tp, len(gt), min(thr, 1.0))
        assert prf2.recall >= prf.recall


def test_prf_zero_division():
    assert PRF(0, 0, 0).as_dict()['f1'] == 0.0
