"""Every registered component builds from a config dict; configs parse and build models."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import projects.tbank_logo.components  # noqa: F401  (registers the T-Bank components)
from mmyolo.registry import DATASETS, METRICS, MODELS
from mmyolo.utils import register_all_modules

from conftest import REPO

register_all_modules(init_default_scope=True)


@pytest.mark.parametrize('dataset_type', ['OneClassCocoDataset', 'TBankLogoDataset'])
def test_dataset_keeps_negatives(tiny_dataset, dataset_type):
    coco = json.load(open(tiny_dataset / 'train.json'))
    num_negatives = len({im['id'] for im in coco['images']} -
                        {a['image_id'] for a in coco['annotations']})
    assert num_negatives > 0, 'the fixture should contain negatives'
    dataset = DATASETS.build(dict(
        type=dataset_type, data_root=str(tiny_dataset), ann_file='train.json',
        data_prefix=dict(img='images/'), metainfo=dict(classes=('tbank_logo', )),
        filter_cfg=dict(filter_empty_gt=True), pipeline=[]))
    # filter_empty_gt=True is overridden: the negatives stay.
    assert len(dataset) == len(coco['images'])
    assert sum(len(dataset[i]['instances']) == 0 for i in range(len(dataset))) == num_negatives


def test_dataset_names_mismatched_category(tiny_dataset):
    with pytest.raises(ValueError, match=r"no category named \['logo'\].*tbank_logo"):
        DATASETS.build(dict(type='OneClassCocoDataset', data_root=str(tiny_dataset),
                            ann_file='train.json', data_prefix=dict(img='images/'),
                            metainfo=dict(classes=('logo', )), pipeline=[]))


@pytest.mark.parametrize('metric_type,prefix',
                         [('DetectionF1Metric', 'det'), ('TBankF1Metric', 'tbank')])
def test_metric_builds_with_prefix(metric_type, prefix):
    metric = METRICS.build(dict(type=metric_type, iou_thr=0.5, score_thr=0.3))
    assert metric.prefix == prefix and metric.iou_thr == 0.5


@pytest.mark.parametrize('config', sorted(glob.glob(osp.join(REPO, 'configs', '*.py'))),
                         ids=osp.basename)
def test_config_builds_one_class_model(config):
    cfg = Config.fromfile(config)
    dataset = cfg.train_dataloader.dataset
    if dataset.type == 'SmallObjectRepeatDataset':  # the recipes oversample small logos
        dataset = dataset.dataset
    assert dataset.type == 'TBankLogoDataset'
    assert cfg.default_hooks.checkpoint.save_best == 'tbank/best_f1'
    model = MODELS.build(cfg.model)
    size = 64  # a tiny input (a multiple of the largest stride, 32) keeps this fast
    with torch.no_grad():
        cls_scores, _, _ = model._forward(torch.zeros(1, 3, size, size))
    assert all(s.shape[1] == 1 for s in cls_scores), 'one class'
