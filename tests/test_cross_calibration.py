"""Cross-calibrated F1: each part scored at the threshold the other parts choose."""
import json
import pickle

import numpy as np
import pytest
import torch

from mmdet_ext.evaluation.cross_calibration import cross_calibrated_f1
from tools.cross_calibrate import main

LOGO = [0.0, 0.0, 10.0, 10.0]  # every ground-truth box; a prediction here is a hit
ELSEWHERE = [50.0, 50.0, 60.0, 60.0]  # a false positive

# Part A alone is best at 0.3 (TP 2, FP 1: F1 0.8), part B alone at 0.2 (F1 0.8).
PART_A = [(1, [(LOGO, 0.9)]), (1, [(LOGO, 0.3)]), (0, [(ELSEWHERE, 0.5)])]
PART_B = [(1, [(LOGO, 0.8)]), (0, [(ELSEWHERE, 0.4)]), (1, [(LOGO, 0.2)])]


def _results(part, first_id=1):
    """Per-image results from (number of logos, [(box, score), ...]) per image."""
    return [dict(img_id=first_id + i, width=100, height=100,
                 gt_boxes=np.array([LOGO] * n_gt).reshape(-1, 4),
                 pred_boxes=np.array([b for b, _ in preds]).reshape(-1, 4),
                 pred_scores=np.array([s for _, s in preds]))
            for i, (n_gt, preds) in enumerate(part)]


def test_each_part_is_scored_at_the_other_parts_threshold():
    r = cross_calibrated_f1([_results(PART_A), _results(PART_B)], draws=0)
    a, b = r['parts']
    # A at B's 0.2 keeps everything; B at A's 0.3 loses its 0.2 logo, keeps its 0.4 FP.
    assert (a['threshold'], a['tp'], a['fp'], a['fn']) == (0.2, 2, 1, 0)
    assert (b['threshold'], b['tp'], b['fp'], b['fn']) == (0.3, 1, 1, 1)
    assert (r['tp'], r['fp'], r['fn']) == (3, 2, 1)
    assert r['f1'] == pytest.approx(6 / 9) and r['f1_ci95'] is None
    # With a third part, A's threshold comes from B and C pooled: 0.2 is best there (F1 0.8).
    three = cross_calibrated_f1([_results(PART_A), _results(PART_B), _results(PART_A, 10)],
                                draws=0)
    assert three['parts'][0]['threshold'] == 0.2


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    parts = [_results(PART_A * 5), _results(PART_B * 5)]
    r = cross_calibrated_f1(parts, draws=200, seed=3)
    assert r['f1_ci95'][0] <= r['f1'] <= r['f1_ci95'][1]
    assert r['f1_ci95'][0] < r['f1_ci95'][1]  # resampling does move it
    assert cross_calibrated_f1(parts, draws=200, seed=3)['f1_ci95'] == r['f1_ci95']
    with pytest.raises(ValueError, match='at least two parts'):
        cross_calibrated_f1(parts[:1])


def _write_part(path, part, first_id):
    images = [dict(id=first_id + i, file_name=f'{first_id + i}.jpg', width=100, height=100)
              for i in range(len(part))]
    anns = [dict(id=first_id * 100 + i, image_id=first_id + i, category_id=1, iscrowd=0,
                 bbox=[0, 0, 10, 10], area=100) for i, (n_gt, _) in enumerate(part) if n_gt]
    path.write_text(json.dumps(dict(images=images, annotations=anns,
                                    categories=[dict(id=1, name='tbank_logo')])))


def _dump(path, part, first_id):
    """Predictions as `tools/test.py --out` pickles them (mmdet's DumpDetResults)."""
    samples = [dict(img_id=first_id + i, pred_instances=dict(
        bboxes=torch.tensor([b for b, _ in preds]).reshape(-1, 4),
        scores=torch.tensor([s for _, s in preds]), labels=torch.zeros(len(preds))))
        for i, (_, preds) in enumerate(part)]
    path.write_bytes(pickle.dumps(samples))


def test_cli_reads_test_py_dumps_and_names_a_part_without_predictions(tmp_path, capsys):
    _write_part(tmp_path / 'a.json', PART_A, 1)
    _write_part(tmp_path / 'b.json', PART_B, 20)
    _dump(tmp_path / 'a.pkl', PART_A, 1)
    _dump(tmp_path / 'b.pkl', PART_B, 20)
    parts = ['--parts', str(tmp_path / 'a.json'), str(tmp_path / 'b.json')]
    assert main([*parts, '--pred', str(tmp_path / 'a.pkl'), str(tmp_path / 'b.pkl'),
                 '--out', str(tmp_path / 'r.json'), '--draws', '10']) == 0
    report = json.loads((tmp_path / 'r.json').read_text())
    assert (report['tp'], report['fp'], report['fn']) == (3, 2, 1)
    assert 'pooled: TP 3 FP 2 FN 1' in capsys.readouterr().out
    assert main([*parts, '--pred', str(tmp_path / 'a.pkl')]) == 1
    assert 'b.json: no prediction is for any of its 3 images' in capsys.readouterr().err
    # The same file twice would double every box (each copy a false alarm): refused.
    assert main([*parts, '--pred', str(tmp_path / 'a.pkl'), str(tmp_path / 'a.pkl')]) == 1
    assert 'a.pkl: has predictions for image 1, as' in capsys.readouterr().err


def test_cli_ignore_regions_drop_the_false_alarms_on_them(tmp_path, capsys):
    """A reviewed region (given at twice the stored size) on each part's false alarm: both
    stop counting, the hits stay; a region whose photo is in no part is an error naming it,
    unless the parts are said to be some of the folds (then it is skipped)."""
    _write_part(tmp_path / 'a.json', PART_A, 1)
    _write_part(tmp_path / 'b.json', PART_B, 20)
    _dump(tmp_path / 'a.pkl', PART_A, 1)
    _dump(tmp_path / 'b.pkl', PART_B, 20)
    region = dict(image_size=[200, 200], bbox=[98, 98, 24, 24], note='unlabelled logo')
    regions = tmp_path / 'regions.json'
    regions.write_text(json.dumps(dict(regions=[dict(region, image={'file_name': '3.jpg'}),
                                                dict(region, image={'file_name': '21.jpg'})])))
    args = ['--parts', str(tmp_path / 'a.json'), str(tmp_path / 'b.json'), '--pred',
            str(tmp_path / 'a.pkl'), str(tmp_path / 'b.pkl'), '--draws', '0']
    assert main([*args, '--ignore-regions', str(regions), '--out', str(tmp_path / 'r.json')]) == 0
    report = json.loads((tmp_path / 'r.json').read_text())
    assert (report['tp'], report['fp'], report['fn']) == (3, 0, 1)
    regions.write_text(json.dumps(dict(regions=[dict(region, image={'file_name': '99.jpg'})])))
    assert main([*args, '--ignore-regions', str(regions)]) == 1
    assert "region #0 ({'file_name': '99.jpg'}) matches no image" in capsys.readouterr().err
    regions.write_text(json.dumps(dict(regions=[dict(region, image={'file_name': '99.jpg'}),
                                                dict(region, image={'file_name': '3.jpg'})])))
    out = str(tmp_path / 'some.json')  # some of the folds: the other photo's region skipped
    assert main([*args, '--ignore-regions', str(regions), '--regions-of-some-parts',
                 '--out', out]) == 0
    assert [json.loads(open(out).read())[k] for k in ('tp', 'fp', 'fn')] == [3, 1, 1]
    regions.write_text(json.dumps(dict(regions=[dict(region, image={'id': 3}, bbox=[1, 2, 3])])))
    assert main([*args, '--ignore-regions', str(regions)]) == 1
    assert 'region #0 has no valid "bbox"' in capsys.readouterr().err
