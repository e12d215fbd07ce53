"""Shared fixtures: a tiny synthetic T-Bank dataset made once per test session."""
import json
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def tiny_dataset(tmp_path_factory):
    """A 24-image, 64x64 synthetic dataset with train.json/val.json beside images/."""
    from mmdet_ext.data_tools.coco_io import subset_coco
    from projects.tbank_logo.synthetic import generate_dataset
    root = tmp_path_factory.mktemp('tiny_tbank')
    generate_dataset(str(root), num_images=24, img_size=64, seed=0, min_box=12,
                     max_box_frac=0.6, negative_fraction=0.2)
    coco = json.load(open(root / 'annotations.json'))
    train_ids = {img['id'] for img in coco['images'][:16]}
    for name, keep in (('train.json', lambda im: im['id'] in train_ids),
                       ('val.json', lambda im: im['id'] not in train_ids)):
        json.dump(subset_coco(coco, keep), open(root / name, 'w'))
    return root


@pytest.fixture(scope='session')
def logo_photo(tmp_path_factory):
    """A 480x360 JPEG with one yellow T-Bank logo 110 px wide at a known place, and its box."""
    import cv2
    import numpy as np

    from projects.tbank_logo.synthetic.compose import alpha_box, paste
    from projects.tbank_logo.synthetic.logo import render_logo
    rng = np.random.default_rng(3)
    img = np.full((360, 480, 3), (205, 210, 215), np.uint8)
    rgba = render_logo(rng, 110, scheme='yellow', outline=False)
    x, y = 200, 90
    paste(img, rgba, x, y)
    x0, y0, x1, y1 = alpha_box(rgba[..., 3])
    path = str(tmp_path_factory.mktemp('photos') / 'logo.jpg')
    cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    return path, (x + x0, y + y0, x + x1, y + y1)


def _rescale_pipeline(pipeline, size):
    """Set every image-size argument of a pipeline (and nested pre_transforms) to ``size``."""
    for t in pipeline:
        for key in ('img_scale', 'scale'):
            if key in t:
                t[key] = (size, size)
        if 'border' in t and t.get('type') == 'YOLOv5RandomAffine':
            t['border'] = (-size // 2, -size // 2)
        if 'pre_transform' in t:
            _rescale_pipeline(t['pre_transform'], size)


def make_tiny_cfg(data_root, work_dir, img_size=64, max_epochs=1,
                  config='yolov8_n_tbank_demo_cpu.py'):
    """The demo config shrunk to run in seconds: tiny images, no workers, no visualisation."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    cfg.work_dir = str(work_dir)
    root = str(data_root) + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[loader]
        dl.num_workers, dl.persistent_workers = 0, False
        dl.dataset.data_root = root
        _rescale_pipeline(dl.dataset.pipeline, img_size)
    cfg.train_dataloader.batch_size = 4
    cfg.val_evaluator.ann_file = root + 'val.json'
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = max_epochs
    cfg.default_hooks.param_scheduler.max_epochs = max_epochs
    cfg.default_hooks.checkpoint.interval = max_epochs
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.visualization.draw = False
    # MMYOLO names its visualizer 'visualizer', and MMEngine hands a second runner in the same
    # process the first one's instance, logging into the first work dir: one name per run.
    cfg.visualizer.name = f'visualizer_{work_dir}'
    cfg.log_level = 'WARNING'
    return cfg


@pytest.fixture
def tiny_cfg(tiny_dataset, tmp_path):
    return make_tiny_cfg(tiny_dataset, tmp_path / 'work')


@pytest.fixture(scope='session')
def trained_run(tiny_dataset, tmp_path_factory):
    """Train the tiny demo model for a few epochs once; returns (runner, work_dir).

    Warm-up is short so that the few iterations see a learning rate that moves the loss, and
    the 64 px images are trained at 160 px: at 64 px YOLOv8 has so few anchor points that its
    task-aligned loss stays flat for the first tens of iterations.
    """
    from mmengine.runner import Runner
    work_dir = tmp_path_factory.mktemp('tiny_run')
    cfg = make_tiny_cfg(tiny_dataset, work_dir, max_epochs=12, img_size=160)
    cfg.default_hooks.param_scheduler.warmup_mim_iter = 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner, work_dir
