"""Model ensembles: fuse_models and tools/ensemble_predictions.py."""
import json

import numpy as np
import pytest

from mmdet_ext.inference import Detections
from mmdet_ext.inference.ensemble import MEMBER_SCORE_FLOOR, fuse_models


def dets(boxes, scores):
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32))


def test_fuse_models_averages_agreement_and_halves_a_lone_box():
    a = dets([[0, 0, 10, 10], [50, 50, 60, 60]], [0.8, 0.6])
    b = dets([[2, 0, 12, 10]], [0.4])
    fused = fuse_models([a, b], iou_thr=0.5)
    assert fused.scores.tolist() == pytest.approx([0.6, 0.3])  # (0.8 + 0.4) / 2, 0.6 / 2
    # the agreed box is the score-weighted mean: x1 = (0.8 * 0 + 0.4 * 2) / 1.2
    assert fused.boxes[0].tolist() == pytest.approx([2 / 3, 0, 10 + 2 / 3, 10], abs=1e-5)
    assert fused.boxes[1].tolist() == [50, 50, 60, 60]


def test_fuse_models_counts_a_model_once_per_object():
    """Two boxes of one model on one object add that model's best score, not both."""
    a = dets([[0, 0, 10, 10], [1, 0, 11, 10]], [0.9, 0.7])
    fused = fuse_models([a, dets([], [])], iou_thr=0.5)
    assert fused.scores.tolist() == pytest.approx([0.45])


def test_fuse_models_of_one_model_is_that_model():
    a = dets([[0, 0, 10, 10], [40, 40, 45, 45]], [0.9, 0.2])
    fused = fuse_models([a])
    assert fused.boxes.tolist() == a.boxes.tolist()
    assert fused.scores.tolist() == pytest.approx(a.scores.tolist())
    assert len(fuse_models([dets([], []), dets([], [])])) == 0
    # under MEMBER_SCORE_FLOOR a box is not fused (the service and the saved folds alike)
    assert len(fuse_models([dets([[0, 0, 5, 5]], [MEMBER_SCORE_FLOOR / 2])])) == 0
    with pytest.raises(ValueError, match='at least one model'):
        fuse_models([])


def test_ensemble_tool_drops_what_only_one_model_sees(tmp_path):
    """Two models that each add a different false alarm to the same true box: at a threshold
    above half their scores the ensemble keeps the true box only (F1 1.0, each model 0.67)."""
    from tools.ensemble_predictions import main as ensemble
    from tools.evaluate import main as evaluate
    gt = dict(images=[dict(id=1, file_name='a.jpg', width=100, height=100)],
              annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 20, 20],
                                area=400, iscrowd=0)],
              categories=[dict(id=1, name='logo')])
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    true = dict(image_id=1, category_id=1, bbox=[10, 10, 20, 20], score=0.8)
    for name, alarm in (('a', [60, 60, 10, 10]), ('b', [5, 70, 10, 10])):
        (tmp_path / f'{name}.json').write_text(json.dumps(
            [true, dict(image_id=1, category_id=1, bbox=alarm, score=0.7)]))
    out = tmp_path / 'ens' / 'fused.json'
    assert ensemble([str(tmp_path / 'a.json'), str(tmp_path / 'b.json'), '--out', str(out)]) == 0
    f1 = {}
    for name, path in (('a', tmp_path / 'a.json'), ('fused', out)):
        assert evaluate([str(tmp_path / 'gt.json'), str(path), '--score-thr', '0.5',
                         '--out', str(tmp_path / 'r.json')]) == 0
        f1[name] = json.loads((tmp_path / 'r.json').read_text())['summary']['f1']
    assert f1['a'] == pytest.approx(2 / 3)
    assert f1['fused'] == pytest.approx(1.0)


def test_ensemble_tool_names_bad_input(tmp_path, capsys):
    from tools.ensemble_predictions import main as ensemble
    (tmp_path / 'a.json').write_text(json.dumps([dict(image_id=1, score=0.5)]))
    (tmp_path / 'b.json').write_text('[]')
    out = tmp_path / 'out.json'
    assert ensemble([str(tmp_path / 'a.json'), str(tmp_path / 'b.json'), '--out', str(out)]) == 1
    assert "'bbox'" in capsys.readouterr().err
    assert ensemble([str(tmp_path / 'a.json'), '--out', str(out)]) == 1
    assert 'at least two models' in capsys.readouterr().err
    assert not out.exists()


def test_ensemble_kfold_scores_the_fused_folds_once_all_are_saved(tmp_path, capsys):
    """tools/ensemble_kfold.py: with a fold of one recipe missing it names that file and scores
    nothing; once saved, it fuses every fold and scores them cross-calibrated. An ensemble of a
    recipe with an identical copy of itself scores as that recipe alone."""
    from tests.test_f1_metric import random_case
    from tools.cross_calibrate import main as cross_calibrate
    from tools.ensemble_kfold import main as ensemble_kfold
    parts, preds = tmp_path / 'parts', tmp_path / 'preds'
    saved = {name: preds / f'real_model_kfold_{name}_predictions' for name in ('a', 'b')}
    for folder in (parts, *saved.values()):
        folder.mkdir(parents=True)
    for fold in range(5):
        gt, pred = random_case(fold, num_images=8)
        pred = [p for p in pred if p['score'] >= 0.01]  # kept as tools/save_predictions.py keeps
        for entry in gt['images']:
            entry['id'] += 100 * fold
        for entry in gt['annotations'] + pred:
            entry['image_id'] += 100 * fold
        (parts / f'fold{fold}_val.json').write_text(json.dumps(gt))
        for name in ('a', 'b')[:1 if fold == 4 else 2]:
            (saved[name] / f'fold{fold}_preds_service.json').write_text(json.dumps(pred))
    (tmp_path / 'regions.json').write_text('{"regions": []}')
    argv = ['a', 'b', '--predictions', str(preds), '--parts-dir', str(parts),
            '--regions', str(tmp_path / 'regions.json'), '--draws', '0']
    result = preds / 'real_model_kfold_a+b_service.json'

    assert ensemble_kfold(argv) == 0
    assert f'fold 4: no {saved["b"]}/fold4_preds_service.json' in capsys.readouterr().out
    assert not result.exists()
    (saved['b'] / 'fold4_preds_service.json').write_bytes(
        (saved['a'] / 'fold4_preds_service.json').read_bytes())
    assert ensemble_kfold(argv) == 0
    alone = tmp_path / 'alone.json'
    assert cross_calibrate(['--parts', *[str(parts / f'fold{k}_val.json') for k in range(5)],
                            '--pred', *[str(saved['a'] / f'fold{k}_preds_service.json')
                                        for k in range(5)], '--draws', '0',
                            '--out', str(alone)]) == 0
    fused, single = (json.loads(p.read_text()) for p in (result, alone))
    assert single['tp'] > 0
    for key in ('tp', 'fp', 'fn', 'f1'):
        assert fused[key] == pytest.approx(single[key]), key
    assert (preds / 'real_model_kfold_a+b_service_reviewed.json').exists()
