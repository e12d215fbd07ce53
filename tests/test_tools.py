"""The train/test command-line tools, run in-process on the tiny dataset (CPU)."""
import itertools
import json
import os
import os.path as osp

import pytest

from conftest import REPO

DEMO_CFG = osp.join(REPO, 'configs', 'yolov8_n_tbank_demo_cpu.py')


def data_options(root):
    root = str(root) + '/'
    opts = [f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
            for key in ('num_workers=0', 'persistent_workers=False', f'dataset.data_root={root}')]
    return opts + [f'val_evaluator.ann_file={root}val.json',
                   f'test_evaluator.ann_file={root}val.json', 'log_level=WARNING']


def test_train_cli_runs_on_cpu(tiny_dataset, tmp_path):
    from tools.train import main
    work = tmp_path / 'train'
    assert main([DEMO_CFG, '--work-dir', str(work), '--amp', '--cfg-options',
                 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                 'default_hooks.checkpoint.interval=1', *data_options(tiny_dataset)]) == 0
    assert (work / 'epoch_1.pth').exists()


def test_test_cli_writes_report_plots_galleries_and_threshold(trained_run, tiny_dataset,
                                                              tmp_path, capsys):
    from tools.test import main
    _, work_dir = trained_run
    ckpt = str(sorted(work_dir.glob('epoch_*.pth'))[-1])
    out = tmp_path / 'eval'
    assert main([DEMO_CFG, ckpt, '--work-dir', str(tmp_path / 'w'), '--out-dir', str(out),
                 '--calibrate', '--out', str(tmp_path / 'preds.pkl'), '--cfg-options',
                 *data_options(tiny_dataset)]) == 0
    report = json.loads((out / 'metrics.json').read_text())
    assert {'summary', 'by_size', 'by_attribute', 'curves'} <= set(report)
    assert set(report['by_attribute']) >= {'scene', 'lighting'}
    threshold = json.loads((out / 'score_threshold.json').read_text())
    assert threshold['score_thr'] == report['summary']['best_thr']
    for png in ('pr_curve.png', 'f1_curve.png'):
        assert (out / png).stat().st_size > 1000
    val_images = len(json.loads((tiny_dataset / 'val.json').read_text())['images'])
    assert len(list((out / 'overlays').iterdir())) == val_images
    assert (tmp_path / 'preds.pkl').stat().st_size > 0
    assert 'calibrated: score >=' in capsys.readouterr().out


def test_test_cli_tiled_scores_what_tiled_predict_returns(trained_run, tiny_dataset, tmp_path):
    """--tile-size runs mmdet_ext.inference.tiled_predict on each unresized photo, with the
    checkpoint's weights: its predictions equal the Python API's on the same files."""
    import pickle

    import cv2
    import numpy as np

    from mmdet_ext.inference import Detector, stretched_predict, tiled_predict
    from tools.test import main
    _, work_dir = trained_run
    ckpt = str(sorted(work_dir.glob('epoch_*.pth'))[-1])
    preds = tmp_path / 'tiled.pkl'
    assert main([DEMO_CFG, ckpt, '--work-dir', str(tmp_path / 'w'), '--out', str(preds),
                 '--tile-size', '32', '--cfg-options', *data_options(tiny_dataset)]) == 0
    samples = pickle.loads(preds.read_bytes())
    assert len(samples) == len(json.loads((tiny_dataset / 'val.json').read_text())['images'])
    detector = Detector(ckpt, config=DEMO_CFG)
    boxes_seen = 0
    for sample in samples:
        image = cv2.imread(sample['img_path'])
        assert tuple(sample['ori_shape']) == image.shape[:2]  # the photo itself, not resized
        expected = tiled_predict(detector.predict_batch_raw, image, tile_size=32, batch_size=8)
        got = sample['pred_instances']
        np.testing.assert_allclose(got['bboxes'].numpy(), expected.boxes, atol=1e-3)
        np.testing.assert_allclose(got['scores'].numpy(), expected.scores, atol=1e-5)
        boxes_seen += len(expected)
    assert boxes_seen > 0
    # --tile-min-side: photos up to it get the one untiled pass the service gives them
    untiled = tmp_path / 'untiled.pkl'
    assert main([DEMO_CFG, ckpt, '--work-dir', str(tmp_path / 'w'), '--out', str(untiled),
                 '--tile-size', '32', '--tile-min-side', '100000',
                 '--cfg-options', *data_options(tiny_dataset)]) == 0
    for sample in pickle.loads(untiled.read_bytes()):
        expected = detector.predict_batch_raw([cv2.imread(sample['img_path'])])[0]
        np.testing.assert_allclose(sample['pred_instances']['scores'].numpy(),
                                   np.sort(expected.scores)[::-1], atol=1e-5)
    # --stretch: those untiled photos are detected as the service's stretch detects them
    stretched = tmp_path / 'stretched.pkl'
    assert main([DEMO_CFG, ckpt, '--work-dir', str(tmp_path / 'w'), '--out', str(stretched),
                 '--tile-size', '32', '--tile-min-side', '100000', '--stretch', '2',
                 '--cfg-options', *data_options(tiny_dataset)]) == 0
    for sample in pickle.loads(stretched.read_bytes()):
        expected = stretched_predict(detector.predict_batch_raw, cv2.imread(sample['img_path']))
        np.testing.assert_allclose(sample['pred_instances']['bboxes'].numpy(), expected.boxes,
                                   atol=1e-3)
    with pytest.raises(SystemExit):  # two test-time paths at once
        main([DEMO_CFG, ckpt, '--tile-size', '32', '--tta'])
    with pytest.raises(SystemExit):  # stretch is for the photos the tiled path leaves untiled
        main([DEMO_CFG, ckpt, '--tile-size', '32', '--stretch', '2'])


def test_benchmark_real_one_pass_and_tiled(trained_run, tiny_dataset, tmp_path):
    """The real-photo benchmark on a folder laid out like ../shared/data/real."""
    from tools.benchmark_real import main
    _, work_dir = trained_run
    ckpt = str(sorted(work_dir.glob('epoch_*.pth'))[-1])
    root = tmp_path / 'real'
    root.mkdir()
    (root / 'folder_a').symlink_to(tiny_dataset, target_is_directory=True)
    for name, extra in (('single', []), ('tiled', ['--tile-size', '32'])):
        out = tmp_path / name
        assert main([DEMO_CFG, ckpt, '--real-root', str(root), '--out', str(out),
                     '--limit', '6', *extra]) == 0
        report = json.loads(out.with_suffix('.json').read_text())
        assert report['sets']['folder_a']['num_images'] == 6
        assert ('tiled' in report['mode']) == bool(extra)

    # --split keeps a split's photos and only their boxes (a merged split names its source).
    coco = json.loads((tiny_dataset / 'val.json').read_text())
    split = tmp_path / 'split.json'
    split.write_text(json.dumps(dict(images=[
        dict(im, source='folder_a', original_file_name=im['file_name']) for im in coco['images']])))
    out = tmp_path / 'split'
    assert main([DEMO_CFG, ckpt, '--real-root', str(root), '--out', str(out),
                 '--split', str(split)]) == 0
    summary = json.loads(out.with_suffix('.json').read_text())['sets']['folder_a']
    assert summary['num_images'] == len(coco['images'])
    assert summary['summary']['tp'] + summary['summary']['fn'] == len(coco['annotations'])


def test_real_stages_skip_finished_resume_interrupted_and_train_fresh(tmp_path):
    """tools/real_stages.sh (make real, make real-kfold): a stage runs at most to its end, and
    a training set is merged once."""
    import subprocess
    import sys
    fake = tmp_path / 'fake_python'  # records how the Python tools would have been called
    fake.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/calls\n')
    fake.chmod(0o755)
    work = tmp_path / 'work'
    work.mkdir()

    def calls(command):
        subprocess.run(['bash', '-c', f'py={fake}; source tools/real_stages.sh; {command}'],
                       cwd=REPO, check=True)
        return (tmp_path / 'calls').read_text().splitlines()

    stage = f'train_stage CFG {work} {work}/epoch_3.pth --cfg-options a=1'
    assert calls(stage) == [f'tools/train.py CFG --work-dir {work} --cfg-options a=1']
    (work / 'last_checkpoint').write_text('epoch_2.pth')
    assert calls(stage)[-1] == f'tools/train.py CFG --work-dir {work} --resume --cfg-options a=1'
    (work / 'epoch_3.pth').write_bytes(b'')
    assert len(calls(stage)) == 2  # finished: not called again
    # training_set merges the real split with the synthetic third, unless that is done,
    # leaving out degenerate images (a 1x1 real photo crashed a training run)
    out_dir = tmp_path / 'train_set'
    merge = f'training_set R.json IMG {out_dir}'
    assert calls(merge)[-1] == ('tools/data/merge_coco.py --src R.json:IMG --min-side 8 --src '
                                'data/synthetic_subset/val.json:data/synthetic_demo/images '
                                f'--out-dir {out_dir}')
    before = len(calls(stage))
    out_dir.mkdir()
    (out_dir / 'annotations.json').write_text('{}')
    assert len(calls(merge)) == before
    # final_checkpoint reads the config's max_epochs.
    out = subprocess.run(['bash', '-c', f'py={sys.executable}; source tools/real_stages.sh; '
                          'final_checkpoint configs/yolov8_n_tbank_real_cpu_stage2.py W'],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout
    assert out.strip() == 'W/epoch_6.pth'


def test_service_tiling_options_are_the_services_own_path():
    """make real / make real-kfold score models on the service's path: the tools/test.py
    options real_stages.sh gives are what the service's settings resolve for that tile size."""
    import subprocess
    import sys
    from projects.tbank_logo.service.settings import ServiceSettings
    out = subprocess.run(['bash', '-c', f'py={sys.executable}; source tools/real_stages.sh; '
                          'service_tiling 960'], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout
    low, high = ServiceSettings().tiling_sides(960)
    assert (low, high) == (1920, 3840)  # tiled above 2x the tile, after shrinking to 4x
    assert ServiceSettings().stretch == 2  # stretched views, adopted 2026-12-04
    assert out.split() == ['--tile-size', '960', '--tile-min-side', str(low),
                           '--tile-max-side', str(high), '--stretch', '2']
    assert ServiceSettings(tile_min_side=0, tile_max_side=1000).tiling_sides(960) == (0, 1000)


def test_real_split_merges_once_and_splits_by_photo(tiny_dataset, tmp_path):
    """real_split (make real, make real-kfold): two folders holding the same photos merge into
    one copy of each, split into train / val with val halved into calib / test; a second call
    leaves the finished split alone."""
    import subprocess
    import sys
    root = tmp_path / 'real'
    root.mkdir()
    for folder in ('folder_a', 'folder_b'):  # the same photos published twice
        (root / folder).symlink_to(tiny_dataset, target_is_directory=True)
    out = tmp_path / 'real_1280'
    command = ['bash', '-c', f'py={sys.executable}; source tools/real_stages.sh; '
               f'real_split {root} {out}']
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)

    def ids(name):
        return {im['id'] for im in json.loads((out / name).read_text())['images']}
    num_photos = len(json.loads((tiny_dataset / 'annotations.json').read_text())['images'])
    assert len(ids('annotations.json')) == num_photos
    assert ids('train.json') | ids('val.json') == ids('annotations.json')
    assert not ids('train.json') & ids('val.json')
    assert ids('calib.json') | ids('test.json') == ids('val.json')
    assert not ids('calib.json') & ids('test.json') and ids('calib.json') and ids('test.json')
    before = (out / 'test.json').stat().st_mtime_ns
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    assert (out / 'test.json').stat().st_mtime_ns == before
    # full_size_parts: the same photos and halves at their own size, for the service's path.
    full = tmp_path / 'real_full'
    subprocess.run(['bash', '-c', f'py={sys.executable}; source tools/real_stages.sh; '
                    f'full_size_parts {root} {out} {full} calib test'], cwd=REPO, check=True,
                   capture_output=True)
    own_size = {im['file_name']: (im['width'], im['height']) for im in json.loads(
        (tiny_dataset / 'annotations.json').read_text())['images']}
    for name in ('calib', 'test'):
        part = json.loads((full / f'{name}.json').read_text())
        assert {im['id'] for im in part['images']} == ids(f'{name}.json')
        assert all((im['width'], im['height']) == own_size[im['original_file_name']]
                   for im in part['images'])


@pytest.mark.parametrize('script', ['tools/kfold_real.sh', 'tools/train_real.sh'])
def test_real_recipe_names_its_configs_and_a_missing_one_is_an_error(script):
    """make real-kfold and make real with RECIPE=NAME train
    configs/yolov8_n_tbank_real_cpu_NAME{,_stage2}.py (both exist for the tile-crop and 960 px
    recipes); an unknown NAME stops before anything runs, naming the config it looked for."""
    import subprocess
    for name, stage in itertools.product(('tilecrop', 'hires'), ('', '_stage2')):
        assert osp.isfile(osp.join(REPO, f'configs/yolov8_n_tbank_real_cpu_{name}{stage}.py'))
    run = subprocess.run(['bash', script], cwd=REPO, capture_output=True,
                         text=True, env=dict(os.environ, RECIPE='no_such_recipe'))
    assert run.returncode == 1
    assert 'no configs/yolov8_n_tbank_real_cpu_no_such_recipe.py' in run.stdout


def test_kfold_tile_size_is_the_configs_inference_tile_size_else_its_input_size():
    """kfold_real.sh tiles with `inference_tile_size` where a config sets it (the 960 px
    recipe's final stage: 640 px tiles), else with the network input size."""
    import subprocess
    import sys
    sizes = {}
    for name in ('real_cpu', 'real_cpu_hires', 'real_cpu_hires_stage2'):
        run = subprocess.run(
            ['bash', '-c', f'source tools/real_stages.sh && tile_size '
             f'configs/yolov8_n_tbank_{name}.py'], cwd=REPO, capture_output=True, text=True,
            env=dict(os.environ, py=sys.executable), check=True)
        sizes[name] = int(run.stdout.strip().splitlines()[-1])
    assert sizes == {'real_cpu': 640, 'real_cpu_hires': 960, 'real_cpu_hires_stage2': 640}
