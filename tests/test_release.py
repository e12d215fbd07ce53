"""The release shipped in weights/: its manifest verifies, a changed file is refused by name,
``tools/predict.py`` finds a drawn logo with it, and the service serves it by default."""
import json
import os.path as osp
import shutil
import time

import cv2
import numpy as np
import pytest

from mmdet_ext.evaluation.matching import box_iou
from mmdet_ext.inference import Detector
from mmdet_ext.inference.release import (ENSEMBLE, MANIFEST, ChecksumMismatch, Release,
                                         find_manifest, verify_file)
from projects.tbank_logo.models import RELEASE_DIR, ModelChoice
from projects.tbank_logo.predict import output_stem, resolve_sources


@pytest.fixture(scope='module')
def release():
    return Release(RELEASE_DIR)


def test_every_release_file_matches_its_manifest(release):
    files = release.manifest['files']
    assert ENSEMBLE in files and all(osp.isfile(osp.join(RELEASE_DIR, m)) for m in
                                     release.model_paths)
    for rel in files:
        verify_file(release.manifest_path, rel)
    assert sum(e['bytes'] for e in files.values()) < 80e6
    for path in release.model_paths:  # each model and its sidecar are listed
        assert find_manifest(path)[1] in files
        assert find_manifest(osp.splitext(path)[0] + '.json')[1] in files
    # the manifest says where the threshold came from and what the k-fold estimated
    assert release.score_thr == pytest.approx(release.manifest['threshold']['score_thr'])
    estimate = release.manifest['threshold']['kfold_estimate']
    assert 0 < estimate['f1_ci95'][0] <= estimate['f1'] <= estimate['f1_ci95'][1] <= 1
    assert release.manifest['training_set']['images'] > 1000


def test_the_shipped_checkpoint_agrees_with_its_onnx(logo_photo, release):
    """The stripped checkpoint and the config shipped beside the ONNX are the same model."""
    from mmdet_ext.deploy.parity import check_parity
    member = release.ensemble['members'][0]
    onnx = Detector(osp.join(RELEASE_DIR, member['model']), score_thr=0.0)
    pytorch = Detector(osp.join(RELEASE_DIR, member['checkpoint']),
                       config=osp.join(RELEASE_DIR, member['config']), score_thr=0.0,
                       spec=onnx.spec)
    report = check_parity('shipped', pytorch.predict_raw, onnx.predict_raw,
                          [('logo', cv2.imread(logo_photo[0]))], score_thr=0.1)
    assert report.ok and report.summary()['matched'] >= 1, report.problems


@pytest.fixture
def release_copy(tmp_path):
    dst = tmp_path / 'weights'
    shutil.copytree(RELEASE_DIR, dst)
    return dst


def test_a_changed_model_file_is_refused_naming_it(release_copy):
    rel = Release(str(release_copy)).ensemble['members'][0]['model']
    model = release_copy / rel
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    model.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch, match=rel.replace('.', r'\.')):
        Detector(str(model))
    with pytest.raises(ChecksumMismatch, match='sha256'):
        ModelChoice([], [], release_dir=str(release_copy)).load()
    model.write_bytes(bytes(data[:-10]))  # truncated: refused on its size alone
    with pytest.raises(ChecksumMismatch, match='bytes'):
        Detector(str(model))


def test_a_changed_ensemble_file_or_missing_manifest_is_refused(release_copy):
    ensemble = release_copy / ENSEMBLE
    body = json.loads(ensemble.read_text())
    body['score_thr'] = 0.01
    ensemble.write_text(json.dumps(body))
    problem = ModelChoice([], [], release_dir=str(release_copy)).problem()
    assert ENSEMBLE in problem and 'damaged or was replaced' in problem
    (release_copy / MANIFEST).unlink()
    problem = ModelChoice([], [], release_dir=str(release_copy)).problem()
    assert 'release manifest not found' in problem


def test_predict_finds_the_drawn_logo_and_reports_bad_inputs(logo_photo, tmp_path, capsys):
    from tools import predict
    photo, box = logo_photo
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'\xff\xd8\xff\xe0 not really a jpeg')
    text = tmp_path / 'notes.jpg'
    text.write_text('hello')
    out = tmp_path / 'out'
    rc = predict.main([photo, str(broken), str(tmp_path / 'missing.png'), str(text),
                       '--out', str(out), '--json'])
    captured = capsys.readouterr()
    assert rc == 1  # some inputs were skipped; the rest were answered
    for bad in (broken, text, tmp_path / 'missing.png'):
        assert f'skipped {bad}' in captured.err
    answer = json.loads((out / 'logo.json').read_text())
    assert json.loads(captured.out.strip().splitlines()[0]) == answer
    assert (answer['width'], answer['height']) == (480, 360)
    boxes = [tuple(d['bbox'][k] for k in ('x_min', 'y_min', 'x_max', 'y_max'))
             for d in answer['detections']]
    assert boxes and box_iou(np.array(boxes), np.array([box])).max() > 0.5, (boxes, box)
    drawn = cv2.imread(str(out / 'logo.jpg'))
    assert drawn.shape == (360, 480, 3)
    assert '1 image(s) predicted' in captured.err and '3 input(s) skipped' in captured.err


def test_predict_refuses_a_changed_release(logo_photo, release_copy, tmp_path, capsys):
    from tools import predict
    model = release_copy / Release(str(release_copy)).ensemble['members'][0]['model']
    model.write_bytes(model.read_bytes() + b'\0')
    assert predict.main([logo_photo[0], '--release', str(release_copy),
                         '--out', str(tmp_path)]) == 2
    assert str(model) in capsys.readouterr().err


def test_the_service_serves_the_release_by_default(logo_photo, release):
    from test_service import LiveServer

    from projects.tbank_logo.service import create_app
    from tools.serve import build_settings, detector_factory, parse_args
    args = parse_args([])
    assert args.model == [] and args.release == RELEASE_DIR
    settings = build_settings(args)
    assert settings.stretch == release.stretch  # the path its threshold was chosen on
    with LiveServer(create_app(detector_factory=detector_factory(args),
                               settings=settings)) as server:
        deadline = time.monotonic() + 60
        while (health := server.client.get('/health')).status_code == 503:
            assert time.monotonic() < deadline, health.text
            time.sleep(0.1)
        body = health.json()
        assert (body['model'], body['release']) == (release.name, release.version)
        assert body['score_thr'] == pytest.approx(release.score_thr)
        with open(logo_photo[0], 'rb') as f:
            r = server.detect(f.read())
    assert r.status_code == 200, r.text
    boxes = [tuple(d['bbox'].values()) for d in r.json()['detections']]
    assert boxes and box_iou(np.array(boxes), np.array([logo_photo[1]])).max() > 0.5


def test_sources_are_files_folders_and_globs(tmp_path):
    for name in ('b.jpg', 'a.PNG', 'c.txt'):
        (tmp_path / name).write_bytes(b'x')
    (tmp_path / 'sub').mkdir()
    files, problems = resolve_sources([str(tmp_path), str(tmp_path / '*.jpg'),
                                       str(tmp_path / 'nothing*.png'), str(tmp_path / 'gone')])
    assert files == [str(tmp_path / 'a.PNG'), str(tmp_path / 'b.jpg')]  # once each
    assert [p for p, _ in problems] == [str(tmp_path / 'nothing*.png'), str(tmp_path / 'gone')]
    taken = set()
    assert [output_stem(p, taken) for p in ('x/a.jpg', 'y/a.png', 'a.jpg')] == ['a', 'a_2', 'a_3']


def test_release_threshold_is_the_pooled_best_and_its_estimate_cross_calibrated(tmp_path, capsys):
    """tools/release.py's threshold: F1-best over the folds pooled (part A alone prefers 0.3,
    B 0.2; pooled, 0.2 keeps 4 of 4 logos for 2 FP); its estimate: tools/cross_calibrate.py's."""
    import argparse

    from test_cross_calibration import PART_A, PART_B, _dump, _write_part

    from tools.cross_calibrate import main as cross_calibrate
    from tools.release import threshold_and_estimate
    parts, preds = [tmp_path / 'a.json', tmp_path / 'b.json'], []
    for i, (path, part) in enumerate(zip(parts, (PART_A, PART_B))):
        _write_part(path, part, 1 + 10 * i)
        preds.append(tmp_path / f'p{i}.pkl')
        _dump(preds[-1], part, 1 + 10 * i)
    args = argparse.Namespace(kfold_pred=[str(p) for p in preds],
                              kfold_parts=[str(p) for p in parts], ignore_regions='')
    chosen = threshold_and_estimate(args)
    assert chosen['score_thr'] == pytest.approx(0.2)
    assert (chosen['pooled_best']['tp'], chosen['pooled_best']['fp']) == (4, 2)
    cross_calibrate(['--parts', *args.kfold_parts, '--pred', *args.kfold_pred,
                     '--out', str(tmp_path / 'cross.json')])
    cross = json.loads((tmp_path / 'cross.json').read_text())
    assert chosen['kfold_estimate']['f1'] == cross['f1']
    assert chosen['kfold_estimate']['f1_ci95'] == cross['f1_ci95']


def test_stripped_checkpoint_keeps_the_weights_only(tmp_path):
    import torch

    from tools.release import strip_checkpoint, training_set_hash
    weights = {'backbone.w': torch.arange(4.0)}
    torch.save({'state_dict': weights, 'ema_state_dict': {'x': torch.zeros(9)},
                'optimizer': {'state': {0: torch.zeros(9)}}, 'message_hub': {},
                'meta': {'epoch': 6, 'iter': 99, 'dataset_meta': {'classes': ('tbank_logo',)},
                         'hard_negatives': ['a.jpg']}}, tmp_path / 'full.pth')
    strip_checkpoint(str(tmp_path / 'full.pth'), str(tmp_path / 'model.pth'))
    stripped = torch.load(tmp_path / 'model.pth')  # PyTorch's safe default loads it
    assert set(stripped) == {'state_dict', 'meta'}
    assert torch.equal(stripped['state_dict']['backbone.w'], weights['backbone.w'])
    assert stripped['meta'] == {'epoch': 6, 'iter': 99,
                                'dataset_meta': {'classes': ('tbank_logo',)}}
    # the training set's hash depends on the photos' bytes, not on their order
    (tmp_path / 'images').mkdir()
    for name, data in (('a.jpg', b'1'), ('b.jpg', b'2')):
        (tmp_path / 'images' / name).write_bytes(data)
    digests = []
    for order in (('a.jpg', 'b.jpg'), ('b.jpg', 'a.jpg')):
        (tmp_path / 'annotations.json').write_text(json.dumps(dict(
            images=[dict(id=i, file_name=n, width=1, height=1) for i, n in enumerate(order)],
            annotations=[], categories=[dict(id=1, name='tbank_logo')])))
        digests.append(training_set_hash(str(tmp_path / 'annotations.json')))
    assert digests[0] == digests[1] and digests[0]['images'] == 2
    (tmp_path / 'images' / 'a.jpg').write_bytes(b'3')
    changed = training_set_hash(str(tmp_path / 'annotations.json'))
    assert changed['sha256_of_sorted_image_sha256s'] != digests[0]['sha256_of_sorted_image_sha256s']


def test_serve_without_a_release_says_so_before_starting(tmp_path, capsys):
    from tools.serve import main
    assert main(['--release', str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f'release in {tmp_path}' in err and 'release manifest not found' in err
