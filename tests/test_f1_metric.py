"""TBankF1Metric: equal to pycocotools' mAP and to the standalone evaluator on the same input."""
import contextlib
import io
import json
import pickle

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import projects.tbank_logo.components  # noqa: F401
from mmyolo.registry import METRICS

from mmdet_ext.evaluation.report import evaluate_detections, results_from_coco


def random_case(seed=0, num_images=12, crowd=False):
    """A COCO ground truth and noisy predictions around it (some misses, some false alarms);
    with ``crowd``, ignore regions (``iscrowd: 1``) around some false alarms and elsewhere."""
    rng = np.random.default_rng(seed)
    images, anns, preds = [], [], []
    for img_id in range(1, num_images + 1):
        images.append(dict(id=img_id, file_name=f'{img_id}.jpg', width=200, height=150,
                           scene=['street', 'screen'][img_id % 2]))
        for _ in range(rng.integers(0, 4)):
            w, h = rng.uniform(4, 80, 2)
            x, y = rng.uniform(0, 200 - w), rng.uniform(0, 150 - h)
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=1,
                             bbox=[x, y, w, h], area=w * h, iscrowd=0))
            if rng.random() < 0.8:
                jitter = rng.normal(0, 0.1 * min(w, h), 4)
                preds.append(dict(image_id=img_id, category_id=1, score=float(rng.random()),
                                  bbox=[x + jitter[0], y + jitter[1], w + jitter[2],
                                        h + jitter[3]]))
        for _ in range(rng.integers(0, 2)):
            preds.append(dict(image_id=img_id, category_id=1, score=float(rng.random() * 0.6),
                              bbox=[*rng.uniform(0, 100, 2), *rng.uniform(5, 40, 2)]))
            if crowd and rng.random() < 0.7:
                x, y, w, h = np.add(preds[-1]['bbox'], rng.normal(0, 4, 4))
                anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=1,
                                 bbox=[x, y, w, h], area=w * h, iscrowd=1))
    gt = dict(images=images, annotations=anns, categories=[dict(id=1, name='tbank_logo')])
    return gt, preds


def data_samples(gt, preds):
    """COCO-format predictions as the data samples a detector's test step produces."""
    samples = []
    for img in gt['images']:
        mine = [p for p in preds if p['image_id'] == img['id']]
        boxes = torch.tensor([[p['bbox'][0], p['bbox'][1], p['bbox'][0] + p['bbox'][2],
                               p['bbox'][1] + p['bbox'][3]] for p in mine]).reshape(-1, 4)
        samples.append(dict(img_id=img['id'], ori_shape=(img['height'], img['width']),
                            pred_instances=dict(bboxes=boxes,
                                                labels=torch.zeros(len(mine), dtype=torch.long),
                                                scores=torch.tensor([p['score'] for p in mine]))))
    return samples


def pycocotools_map(gt, preds):
    """``(mAP@0.5:0.95, mAP@0.5)`` by pycocotools' COCOeval."""
    coco = COCO()
    coco.dataset = gt
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(preds), 'bbox')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats[0], ev.stats[1]


@pytest.mark.parametrize('seed,crowd', [(0, False), (1, False), (2, False), (0, True),
                                        (4, True)])
def test_map_equals_pycocotools(seed, crowd):
    gt, preds = random_case(seed, crowd=crowd)
    ours = evaluate_detections(results_from_coco(gt, preds))['summary']
    assert (ours['mAP'], ours['mAP50']) == pytest.approx(pycocotools_map(gt, preds), abs=1e-12)


def test_map_by_attribute_equals_pycocotools_on_that_attributes_images():
    """Each value of an image attribute (a scene, a source folder) gets the mAP pycocotools
    gives its images alone, not a share of the pooled ranking."""
    gt, preds = random_case(1, num_images=16)
    images = {img['id']: img for img in gt['images']}
    report = evaluate_detections(results_from_coco(gt, preds),
                                 image_attributes={'scene': {i: im['scene']
                                                             for i, im in images.items()}})
    maps = set()
    for scene, row in report['by_attribute']['scene'].items():
        ids = {i for i, im in images.items() if im['scene'] == scene}
        part = dict(gt, images=[images[i] for i in sorted(ids)],
                    annotations=[a for a in gt['annotations'] if a['image_id'] in ids])
        expected = pycocotools_map(part, [p for p in preds if p['image_id'] in ids])
        assert (row['mAP'], row['mAP50']) == pytest.approx(expected, abs=1e-12), scene
        maps.add(round(row['mAP50'], 6))
    assert len(maps) == 2  # the two scenes rank differently: not one pooled number twice


@pytest.mark.parametrize('crowd', [False, True])
def test_metric_equals_standalone_evaluator(tmp_path, crowd):
    gt, preds = random_case(0 if crowd else 3, crowd=crowd)  # seed 0: 5 regions
    gt_path, pred_path, out = tmp_path / 'gt.json', tmp_path / 'pred.json', tmp_path / 'r.json'
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(preds))

    metric = METRICS.build(dict(type='TBankF1Metric', ann_file=str(gt_path), score_thr=0.3))
    metric.dataset_meta = dict(classes=('tbank_logo', ))
    samples = data_samples(gt, preds)
    metric.process({}, samples)
    from_metric = metric.evaluate(len(samples))

    from tools.evaluate import main
    assert main([str(gt_path), str(pred_path), '--score-thr', '0.3', '--out', str(out)]) == 0
    standalone = json.loads(out.read_text())
    for key, value in standalone['summary'].items():
        assert from_metric[f'tbank/{key}'] == pytest.approx(value), key
    assert metric.last_report['by_size'] == standalone['by_size']
    assert metric.last_report['by_aspect'] == standalone['by_aspect']
    # Image attributes of the COCO file give a breakdown.
    assert set(standalone['by_attribute']['scene']) == {'street', 'screen'}


def test_standalone_evaluator_pools_test_py_pickles_with_json(tmp_path):
    """Predictions split over a tools/test.py pickle and a COCO json score as one json does."""
    gt, preds = random_case(5)
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'all.json').write_text(json.dumps(preds))
    first_half = {img['id'] for img in gt['images'][:6]}
    samples = data_samples(dict(images=gt['images'][:6]), preds)
    (tmp_path / 'a.pkl').write_bytes(pickle.dumps(samples))
    (tmp_path / 'b.json').write_text(json.dumps(
        [p for p in preds if p['image_id'] not in first_half]))
    from tools.evaluate import main
    assert main([str(tmp_path / 'gt.json'), str(tmp_path / 'all.json'),
                 '--out', str(tmp_path / 'one.json')]) == 0
    assert main([str(tmp_path / 'gt.json'), str(tmp_path / 'a.pkl'), str(tmp_path / 'b.json'),
                 '--out', str(tmp_path / 'pooled.json')]) == 0
    one, pooled = (json.loads((tmp_path / f).read_text()) for f in ('one.json', 'pooled.json'))
    assert pooled['summary']['tp'] > 0
    for key, value in one['summary'].items():
        assert pooled['summary'][key] == pytest.approx(value), key


def test_saved_predictions_score_as_the_pickle_above_their_floor(tmp_path):
    """tools/save_predictions.py: a tools/test.py pickle kept as a compact json drops only the
    boxes under --min-score, so a threshold above it scores the same."""
    from tools.evaluate import main as evaluate
    from tools.save_predictions import main as save
    gt, preds = random_case(7, num_images=20)
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'a.pkl').write_bytes(pickle.dumps(data_samples(gt, preds)))
    saved = tmp_path / 'kept' / 'a.json'
    assert save([str(tmp_path / 'a.pkl'), '--out', str(saved), '--min-score', '0.2']) == 0
    kept = json.loads(saved.read_text())
    assert len(kept) == sum(p['score'] >= 0.2 for p in preds) < len(preds)
    reports = []
    for path in (tmp_path / 'a.pkl', saved):
        assert evaluate([str(tmp_path / 'gt.json'), str(path), '--score-thr', '0.3',
                         '--out', str(tmp_path / 'r.json')]) == 0
        reports.append(json.loads((tmp_path / 'r.json').read_text())['summary'])
    assert reports[0]['tp'] > 0
    for key in ('precision', 'recall', 'f1', 'tp', 'fp', 'fn'):
        assert reports[1][key] == pytest.approx(reports[0][key], abs=1e-6), key


def test_standalone_evaluator_names_unknown_image(tmp_path, capsys):
    gt, preds = random_case(4)
    preds.append(dict(image_id=999, category_id=1, score=0.5, bbox=[0, 0, 5, 5]))
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'pred.json').write_text(json.dumps(preds))
    from tools.evaluate import main
    assert main([str(tmp_path / 'gt.json'), str(tmp_path / 'pred.json')]) == 1
    assert 'image_id 999' in capsys.readouterr().err


def test_standalone_evaluators_name_a_missing_field(tmp_path, capsys):
    """A prediction without its box is a one-line error naming the field, in both tools."""
    from tools.cross_calibrate import main as cross_calibrate
    from tools.evaluate import main as evaluate
    gt, preds = random_case(4)
    del preds[0]['bbox']
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'pred.json').write_text(json.dumps(preds))
    gt_path, pred_path = str(tmp_path / 'gt.json'), str(tmp_path / 'pred.json')
    for run in (lambda: evaluate([gt_path, pred_path]),
                lambda: cross_calibrate(['--parts', gt_path, gt_path, '--pred', pred_path])):
        assert run() == 1
        assert "lacks the field 'bbox'" in capsys.readouterr().err


def test_standalone_evaluator_ignore_regions_skip_other_images(tmp_path, capsys):
    """A region on a false alarm removes it; a region of a photo outside GT is skipped and
    the count says so."""
    gt = dict(images=[dict(id=1, file_name='a.jpg', width=100, height=100)], annotations=[
        dict(id=1, image_id=1, category_id=1, bbox=[0, 0, 10, 10], area=100, iscrowd=0)],
        categories=[dict(id=1, name='tbank_logo')])
    preds = [dict(image_id=1, category_id=1, score=0.9, bbox=[0, 0, 10, 10]),
             dict(image_id=1, category_id=1, score=0.8, bbox=[50, 50, 10, 10])]
    regions = [dict(image={'file_name': 'a.jpg'}, image_size=[100, 100], bbox=[48, 48, 14, 14]),
               dict(image={'file_name': 'b.jpg'}, image_size=[100, 100], bbox=[0, 0, 5, 5])]
    for name, data in (('gt', gt), ('pred', preds), ('regions', dict(regions=regions))):
        (tmp_path / f'{name}.json').write_text(json.dumps(data))
    from tools.evaluate import main
    args = [str(tmp_path / 'gt.json'), str(tmp_path / 'pred.json'), '--out', str(tmp_path / 'r')]
    assert main(args) == 0
    assert json.loads((tmp_path / 'r').read_text())['summary']['fp'] == 1
    assert main([*args, '--ignore-regions', str(tmp_path / 'regions.json')]) == 0
    summary = json.loads((tmp_path / 'r').read_text())['summary']
    assert (summary['tp'], summary['fp'], summary['fn']) == (1, 0, 0)
    assert 'ignore regions: 1 of 2 are in these images' in capsys.readouterr().out


def test_negative_images_count_false_positives():
    results = [dict(img_id=1, width=50, height=50, gt_boxes=np.zeros((0, 4)),
                    pred_boxes=np.array([[0, 0, 10, 10], [20, 20, 30, 30]]),
                    pred_scores=np.array([0.9, 0.1])),
               dict(img_id=2, width=50, height=50, gt_boxes=np.array([[0, 0, 10, 10]]),
                    pred_boxes=np.array([[0, 0, 10, 10]]), pred_scores=np.array([0.8]))]
    report = evaluate_detections(results, score_thr=0.5)
    s = report['summary']
    assert (s['tp'], s['fp'], s['fn']) == (1, 1, 0)
    assert report['negatives'] == dict(num_images=1, fp=1)
    assert s['fp_per_neg_image'] == 1.0
    assert report['by_size']['tiny']['tp'] == 1  # the 10x10 box is tiny (< 16²)


def test_aspect_table_counts_hits_by_their_label_and_false_alarms_by_their_own_shape():
    """A squashed logo (30x10 label) found by a squarer box counts as a hit of the elongated
    row; a square false alarm counts in the square row; a missed 1:3 label is an elongated
    miss."""
    results = [dict(img_id=1, width=100, height=100,
                    gt_boxes=np.array([[0, 0, 30, 10], [50, 50, 60, 80]]),
                    pred_boxes=np.array([[0, 0, 24, 10], [70, 0, 90, 20]]),
                    pred_scores=np.array([0.9, 0.8]))]
    table = evaluate_detections(results, score_thr=0.5, compute_map=False)['by_aspect']
    assert [(r['tp'], r['fp'], r['fn'], r['num_gt']) for r in table.values()] == [
        (0, 1, 0, 0), (0, 0, 0, 0), (1, 0, 1, 2)]
    assert list(table) == ['< 1.5:1', '1.5-2.5:1', '>= 2.5:1']


def test_plots_and_galleries_are_written(tmp_path):
    import cv2
    from mmdet_ext.evaluation.visualize import plot_curves, save_galleries
    img_path = str(tmp_path / 'a.jpg')
    cv2.imwrite(img_path, np.full((60, 80, 3), 127, np.uint8))
    results = [dict(img_id=1, width=80, height=60, img_path=img_path,
                    gt_boxes=np.array([[5., 5., 20., 20.], [40., 30., 60., 50.]]),
                    pred_boxes=np.array([[5., 5., 20., 20.], [60., 0., 75., 10.]]),
                    pred_scores=np.array([0.9, 0.7]))]
    report = evaluate_detections(results)
    for path in plot_curves(report, str(tmp_path / 'out')):
        assert cv2.imread(path) is not None and cv2.imread(path).size > 0
    counts = save_galleries(results, str(tmp_path / 'out'), score_thr=0.5)
    # One match, one false alarm (the box at x=60), one miss (the box at x=40).
    assert counts == dict(overlays=1, fp=1, fn=1)
    for folder in ('overlays', 'fp', 'fn'):
        files = list((tmp_path / 'out' / folder).iterdir())
        assert len(files) == 1 and cv2.imread(str(files[0])) is not None
    # A rerun into the same folder after the model improved: no stale crop of the old errors.
    results[0]['pred_boxes'][1] = [40., 30., 60., 50.]
    assert save_galleries(results, str(tmp_path / 'out'), score_thr=0.5) == dict(
        overlays=1, fp=0, fn=0)
    assert not list((tmp_path / 'out' / 'fp').iterdir())
    assert not list((tmp_path / 'out' / 'fn').iterdir())


def test_combines_with_mmdet_coco_metric_and_agrees_on_map(tmp_path):
    from mmengine.evaluator import Evaluator
    gt, preds = random_case(5)
    gt_path = tmp_path / 'gt.json'
    gt_path.write_text(json.dumps(gt))
    evaluator = Evaluator([dict(type='mmdet.CocoMetric', ann_file=str(gt_path), metric='bbox'),
                           dict(type='mmyolo.TBankF1Metric', ann_file=str(gt_path))])
    evaluator.dataset_meta = dict(classes=('tbank_logo', ))
    samples = data_samples(gt, preds)
    evaluator.process(samples, {})
    metrics = evaluator.evaluate(len(samples))
    # CocoMetric rounds to 3 decimals.
    assert metrics['coco/bbox_mAP_50'] == pytest.approx(metrics['tbank/mAP50'], abs=6e-4)
    assert metrics['coco/bbox_mAP'] == pytest.approx(metrics['tbank/mAP'], abs=6e-4)


def test_image_attributes_break_down_by_source_folder_not_bookkeeping():
    from mmdet_ext.evaluation import collect_image_attributes
    infos = {i: {'id': i, 'file_name': f'{i}.jpg', 'width': 640, 'height': 480,
                 'source': 'folder_a' if i < 3 else 'folder_b', 'scene': 'street',
                 'source_repo': 'someone/photos', 'original_width': 1000 + i,
                 'original_file_name': f'orig{i}.jpg'} for i in range(1, 6)}
    attrs = collect_image_attributes(infos, infos)
    assert set(attrs) == {'source', 'scene'}
    assert attrs['source'] == {1: 'folder_a', 2: 'folder_a', 3: 'folder_b', 4: 'folder_b',
                               5: 'folder_b'}


def test_standalone_evaluator_writes_fp_and_fn_galleries(tmp_path):
    """--galleries: one crop per false alarm and per missed box, at --score-thr."""
    import cv2
    (tmp_path / 'images').mkdir()
    cv2.imwrite(str(tmp_path / 'images' / 'a.jpg'), np.full((120, 160, 3), 90, np.uint8))
    gt = dict(images=[dict(id=1, file_name='a.jpg', width=160, height=120)],
              annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 30, 30],
                                area=900, iscrowd=0),
                           dict(id=2, image_id=1, category_id=1, bbox=[100, 60, 20, 20],
                                area=400, iscrowd=0)],
              categories=[dict(id=1, name='tbank_logo')])
    preds = [dict(image_id=1, category_id=1, bbox=[10, 10, 30, 30], score=0.9),  # hit
             dict(image_id=1, category_id=1, bbox=[60, 80, 20, 20], score=0.8),  # false alarm
             dict(image_id=1, category_id=1, bbox=[100, 60, 20, 20], score=0.2)]  # under thr
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'pred.json').write_text(json.dumps(preds))
    from tools.evaluate import main
    assert main([str(tmp_path / 'gt.json'), str(tmp_path / 'pred.json'), '--score-thr', '0.5',
                 '--galleries', str(tmp_path / 'gal')]) == 0
    assert len(list((tmp_path / 'gal' / 'fp').iterdir())) == 1
    assert len(list((tmp_path / 'gal' / 'fn').iterdir())) == 1
