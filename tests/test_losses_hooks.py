"""Small-object-weighted box loss and the training hooks (freeze, hard negatives, reproducibility,
early stopping)."""
import hashlib
import json
import os
import os.path as osp
import platform
import re
import shutil
from unittest import mock

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.hooks import Hook
from mmengine.structures import InstanceData
from torch import nn

import mmdet_ext.components  # noqa: F401  (registers the components)
from mmdet_ext.engine.hooks.hard_negative_mining_hook import negative_image_paths
from mmyolo.models.losses import IoULoss
from mmyolo.models.losses.iou_loss import bbox_overlaps
from mmyolo.registry import DATASETS, HOOKS, MODELS
from mmyolo.utils import register_all_modules

from conftest import make_tiny_cfg

register_all_modules(init_default_scope=True)

IOU_ARGS = dict(iou_mode='ciou', bbox_format='xyxy', reduction='sum', loss_weight=7.5,
                return_iou=False)


# ---------------------------------------------------------------------------------------- loss
def _grads(loss_fn, pred, target, **kwargs):
    pred = pred.clone().requires_grad_(True)
    loss_fn(pred, target, weight=torch.ones(len(pred), 1), **kwargs).backward()
    return pred.grad


def test_small_box_gets_larger_gradient_at_equal_iou():
    # Two positives with the same geometry in the head's units (boxes divided by the stride),
    # hence the same IoU; at stride 8 the box is 16 px wide, at stride 32 it is 64 px.
    target = torch.tensor([[1., 1., 3., 3.], [1., 1., 3., 3.]])
    pred = target + torch.tensor([0.3, -0.2, 0.4, 0.1])
    strides = torch.tensor([8., 32.])
    iou = bbox_overlaps(pred, target, bbox_format='xyxy')
    assert torch.allclose(iou[0], iou[1])
    plain = _grads(IoULoss(**IOU_ARGS), pred, target)
    assert torch.allclose(plain[0], plain[1])  # the unweighted loss cannot tell them apart
    loss = MODELS.build(dict(type='SmallObjectWeightedIoULoss', alpha=1.0, ref_area=32**2,
                             max_weight=2.0, **IOU_ARGS))
    ours = _grads(loss, pred, target, strides=strides)
    # 16 px: 1 + (1 - 16 / 32) = 1.5; 64 px is above ref_area: clipped to 1.
    assert torch.allclose(ours[0], 1.5 * plain[0])
    assert torch.allclose(ours[1], plain[1])
    assert ours[0].norm() > ours[1].norm()


def test_alpha_zero_is_the_plain_iou_loss():
    torch.manual_seed(0)
    xy = torch.rand(6, 2) * 50
    target = torch.cat([xy, xy + 5 + torch.rand(6, 2) * 40], 1)
    pred = target + torch.randn(6, 4)
    loss = MODELS.build(dict(type='SmallObjectWeightedIoULoss', alpha=0.0, **IOU_ARGS))
    assert isinstance(loss, IoULoss)
    strides = torch.full((6, ), 8.)
    assert torch.allclose(_grads(loss, pred, target, strides=strides),
                          _grads(IoULoss(**IOU_ARGS), pred, target))


def test_focal_term_leans_on_badly_localised_boxes():
    target = torch.tensor([[0., 0., 100., 100.], [0., 0., 100., 100.]])
    pred = torch.tensor([[2., 2., 101., 99.], [30., 25., 140., 120.]])  # good, bad
    loss = MODELS.build(dict(type='SmallObjectWeightedIoULoss', alpha=0.0, focal_gamma=1.0,
                             fallback_stride=1.0, **IOU_ARGS))
    plain = _grads(IoULoss(**IOU_ARGS), pred, target).norm(dim=1)
    ratio = _grads(loss, pred, target).norm(dim=1) / plain
    assert ratio[1] > 3 * ratio[0]


def test_unknown_or_mismatched_strides_are_errors():
    loss = MODELS.build(dict(type='SmallObjectWeightedIoULoss', **IOU_ARGS))
    boxes = torch.tensor([[0., 0., 2., 2.]])
    with pytest.raises(RuntimeError, match='strides of the positives are unknown'):
        loss(boxes, boxes)
    with pytest.raises(RuntimeError, match='2 strides for 1 positives'):
        loss(boxes, boxes, strides=torch.tensor([8., 16.]))


def _yolov8_head(loss_bbox):
    return MODELS.build(dict(
        type='YOLOv8Head',
        head_module=dict(type='YOLOv8HeadModule', num_classes=1, in_channels=[16, 32, 64],
                         widen_factor=1.0, reg_max=16, featmap_strides=[8, 16, 32]),
        prior_generator=dict(type='mmdet.MlvlPointGenerator', offset=0.5, strides=[8, 16, 32]),
        bbox_coder=dict(type='DistancePointBBoxCoder'),
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, reduction='none',
                      loss_weight=0.5),
        loss_bbox=loss_bbox,
        loss_dfl=dict(type='mmdet.DistributionFocalLoss', reduction='mean', loss_weight=0.375),
        train_cfg=ConfigDict(assigner=dict(type='BatchTaskAlignedAssigner', num_classes=1,
                                           use_ciou=True, topk=10, alpha=0.5, beta=6.0,
                                           eps=1e-9))))


def test_drop_in_for_yolov8_head_measures_pixels():
    torch.manual_seed(0)
    plain = _yolov8_head(dict(type='IoULoss', **IOU_ARGS))
    heads = {alpha: _yolov8_head(dict(type='SmallObjectWeightedIoULoss', alpha=alpha,
                                      **IOU_ARGS)) for alpha in (0.0, 1.0)}
    feats = [torch.randn(2, c, 128 // s, 128 // s) for c, s in zip((16, 32, 64), (8, 16, 32))]
    gt_boxes = [torch.tensor([[10., 12., 26., 30.], [40., 30., 110., 120.]]),
                torch.tensor([[60., 60., 72., 70.]])]
    gts = [InstanceData(bboxes=b, labels=torch.zeros(len(b), dtype=torch.long))
           for b in gt_boxes]
    metas = [dict(batch_input_shape=(128, 128))] * 2
    loss = heads[1.0].loss_bbox
    with torch.no_grad():
        outs = plain(feats)
        losses = {'plain': plain.loss_by_feat(*outs, gts, metas)}
        for alpha, head in heads.items():
            head.load_state_dict(plain.state_dict())
            with mock.patch.object(head.loss_bbox, 'size_weight',
                                   wraps=head.loss_bbox.size_weight) as spy:
                losses[alpha] = head.loss_by_feat(*outs, gts, metas)
    assert torch.allclose(losses[0.0]['loss_bbox'], losses['plain']['loss_bbox'])
    assert losses[1.0]['loss_bbox'] > losses['plain']['loss_bbox']
    # The strides captured from the assigner turn each target back into its GT box in pixels.
    target, strides = spy.call_args.args
    assert set(strides.tolist()) <= {8., 16., 32.} and len(strides) == len(target) > 0
    all_gt = torch.cat(gt_boxes)
    distance, gt_index = torch.cdist(target * strides[:, None], all_gt).min(dim=1)
    assert distance.max() < 1e-3
    # The two small GT boxes (< 32² px) weigh more than 1, the 70x90 px one exactly 1.
    weight = loss.size_weight(target, strides)
    large = gt_index == 1
    assert large.any() and (~large).any()
    assert (weight[~large] > 1.4).all() and (weight[large] == 1).all()
    assert loss._pending_strides is None  # used once, never reused by a later call


# ---------------------------------------------------------------------------- freeze hook
class _Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 1))
        self.head = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        return self.head(self.backbone(x)).mean()


def _mock_runner(model, epoch=0, **kwargs):
    return mock.MagicMock(model=model, epoch=epoch, logger=mock.MagicMock(), **kwargs)


def test_freeze_backbone_for_the_first_epochs():
    torch.manual_seed(0)
    model = _Net()
    model.backbone[2].bias.requires_grad_(False)  # frozen by the user: must stay frozen
    hook = HOOKS.build(dict(type='FreezeBackboneHook', freeze_epochs=2))
    runner = _mock_runner(model)
    hook.before_train(runner)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.1)
    bn = model.backbone[1]
    for epoch in range(4):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        model.train()  # as EpochBasedTrainLoop.run_epoch does after before_train_epoch
        hook.before_train_iter(runner, 0)
        frozen = epoch < 2
        before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
        optimizer.zero_grad(set_to_none=True)
        model(torch.randn(2, 3, 8, 8)).backward()
        optimizer.step()
        after = model.backbone.state_dict()
        assert bn.training is not frozen
        assert model.backbone[0].weight.requires_grad is not frozen
        assert all(p.requires_grad for p in model.head.parameters())
        assert not model.backbone[2].bias.requires_grad
        unchanged = [torch.equal(before[k], after[k]) for k in ('0.weight', '1.running_mean')]
        assert all(unchanged) if frozen else not any(unchanged)


@pytest.mark.parametrize('start_epoch,frozen', [(1, True), (3, False)])
def test_freeze_state_follows_the_resumed_epoch(start_epoch, frozen):
    model = _Net()
    hook = HOOKS.build(dict(type='FreezeBackboneHook', freeze_epochs=2, modules=['backbone']))
    runner = _mock_runner(model, epoch=start_epoch)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert model.backbone[0].weight.requires_grad is not frozen


# ------------------------------------------------------------------ hard-negative mining
class _FiringModel(nn.Module):
    """Pretends to detect: a fixed score on images whose file name is in ``scores``."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores
        self.modes = []

    def test_step(self, data):
        self.modes.append(self.training)
        samples = []
        for sample in data['data_samples']:
            score = self.scores.get(osp.basename(sample.img_path))
            sample.pred_instances = InstanceData(
                scores=torch.tensor([] if score is None else [0.1, score]))
            samples.append(sample)
        return samples


PIPELINE = [dict(type='LoadImageFromFile'), dict(type='mmdet.LoadAnnotations', with_bbox=True),
            dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path'))]


def _repeat_dataset(root):
    return DATASETS.build(dict(
        type='SmallObjectRepeatDataset', small_area=0, negative_factor=1.0,
        dataset=dict(type='OneClassCocoDataset', data_root=str(root), ann_file='train.json',
                     data_prefix=dict(img='images/'), metainfo=dict(classes=('tbank_logo', )),
                     pipeline=[])))


def _mining_runner(model, dataset, work_dir, epoch, resume=False):
    dataloader = mock.MagicMock(dataset=dataset)
    dataloader._iterator = mock.MagicMock()  # a persistent-workers iterator
    runner = _mock_runner(model, epoch=epoch, work_dir=str(work_dir),
                          train_dataloader=dataloader,
                          cfg=Config(dict(test_dataloader=dict(dataset=dict(pipeline=PIPELINE)))))
    runner._resume = resume
    return runner


def test_channels_last_hook_converts_model_and_ema_and_keeps_the_loss(tiny_cfg):
    """ChannelsLastHook stores 4-d weights channels-last and feeds the backbone channels-last,
    in the model and its EMA copy (once, however often it runs); a training loss and its
    gradients equal the plain model's up to rounding, and the EMA copy keeps averaging."""
    import copy
    from mmengine.hooks import EMAHook
    from mmengine.registry import init_default_scope
    from tools.benchmark_train_step import random_batch
    init_default_scope('mmyolo')
    torch.manual_seed(0)
    plain = MODELS.build(tiny_cfg.model)
    nhwc = copy.deepcopy(plain)
    ema = EMAHook(ema_type='ExpMomentumEMA', momentum=0.0001, update_buffers=True)  # as configured
    runner = _mock_runner(nhwc, hooks=[ema])
    ema.before_run(runner)  # the EMA copy is made before training starts
    hook = HOOKS.build(dict(type='ChannelsLastHook'))
    for _ in range(2):  # e.g. two train() calls on one runner
        hook.before_train(runner)
    for model in (nhwc, ema.ema_model.module):
        weight = model.backbone.stem.conv.weight
        assert weight.is_contiguous(memory_format=torch.channels_last)
        assert not weight.is_contiguous()
        assert len(model.backbone._forward_pre_hooks) == 1
    seen = []
    nhwc.backbone.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].is_contiguous(memory_format=torch.channels_last)))
    batch = random_batch(2, 64)
    losses = [model(**model.data_preprocessor(batch, True), mode='loss') for model in (plain, nhwc)]
    assert seen == [True]
    for key, value in losses[0].items():
        assert torch.allclose(losses[1][key], value, rtol=1e-4, atol=1e-5), key
    for model, loss in zip((plain, nhwc), losses):  # and so are the gradients
        sum(loss.values()).backward()
    grads = [dict((k, p.grad) for k, p in model.named_parameters()) for model in (plain, nhwc)]
    assert all(g is not None for g in grads[0].values())
    for key, grad in grads[0].items():  # rounding, relative to the gradient's size
        assert (grads[1][key] - grad).norm() <= 1e-3 * grad.norm() + 1e-8, key
    # The EMA still averages the model, as it is now, into the copy validation and
    # checkpoints use.
    ema.ema_model.update_parameters(nhwc)  # the first update copies the model
    with torch.no_grad():
        nhwc.backbone.stem.conv.weight.add_(1.0)
    for _ in range(3):
        ema.ema_model.update_parameters(nhwc)
    averaged, now = ema.ema_model.module.backbone.stem.conv.weight, nhwc.backbone.stem.conv.weight
    assert (averaged - now).norm() < 0.5 * (plain.backbone.stem.conv.weight - now).norm()
    with pytest.raises(AttributeError, match="no module 'trunk'"):
        HOOKS.build(dict(type='ChannelsLastHook', input_module='trunk')).before_train(
            _mock_runner(plain, hooks=[]))


def test_autocast_hook_runs_the_convolutions_in_bfloat16_and_the_loss_in_float32(tiny_cfg):
    """AutocastHook: in training the hooked modules' convolutions compute in bfloat16 while
    what they return, the box decoding and the loss are float32; the loss and gradients stay
    near the float32 model's; eval mode (validation, test) stays float32; a deep copy (the EMA
    model) autocasts itself; a failing forward leaves autocast off; bad names are errors."""
    import copy
    from mmengine.registry import init_default_scope
    from mmdet_ext.engine.hooks.autocast_hook import YOLOV8_CONV_MODULES
    from tools.benchmark_train_step import random_batch
    init_default_scope('mmyolo')
    torch.manual_seed(0)
    plain = MODELS.build(tiny_cfg.model)
    mixed = copy.deepcopy(plain)
    hook = HOOKS.build(dict(type='AutocastHook'))
    for _ in range(2):  # idempotent
        hook.before_train(_mock_runner(mixed))
    assert len(mixed.backbone._forward_pre_hooks) == 1
    dtypes = {}

    def first_tensor(out):
        return first_tensor(out[0]) if isinstance(out, (tuple, list)) else out

    def record(name):
        return lambda module, args, out: dtypes.setdefault(name, []).append(
            first_tensor(out).dtype)

    head = mixed.bbox_head.head_module
    mixed.backbone.stem.conv.register_forward_hook(record('stem conv'))
    mixed.neck.register_forward_hook(record('neck'))
    head.reg_preds[0].register_forward_hook(record('reg_pred'))
    mixed.bbox_head.register_forward_hook(record('head'))
    batch = random_batch(2, 160)  # at 64 px the random model's gradient is mostly rounding
    losses = [model(**model.data_preprocessor(batch, True), mode='loss')
              for model in (plain, mixed)]
    assert dtypes == {'stem conv': [torch.bfloat16], 'neck': [torch.float32],
                      'reg_pred': [torch.float32], 'head': [torch.float32]}
    for key, value in losses[0].items():
        assert losses[1][key].dtype == torch.float32
        assert torch.allclose(losses[1][key], value, rtol=0.05), key
    for model, loss in zip((plain, mixed), losses):
        sum(loss.values()).backward()
    grads = [torch.cat([p.grad.flatten() for p in model.parameters()])
             for model in (plain, mixed)]
    assert grads[1].dtype == torch.float32
    # bfloat16 rounding: 0.96 at 160 px from random weights (0.996 from the demo model's).
    assert torch.nn.functional.cosine_similarity(*grads, dim=0) > 0.9
    dtypes.clear()
    mixed.eval()
    with torch.no_grad():
        mixed.backbone(torch.zeros(1, 3, 64, 64))
    assert dtypes['stem conv'] == [torch.float32]
    ema = copy.deepcopy(mixed).train()  # hooks and their state travel with the modules
    seen = []
    ema.backbone.stem.conv.register_forward_hook(lambda m, a, out: seen.append(out.dtype))
    ema.backbone(torch.zeros(2, 3, 64, 64))
    assert seen == [torch.bfloat16] and not ema.backbone._autocast_contexts
    with pytest.raises(RuntimeError):
        ema.backbone(torch.zeros(2, 5, 64, 64))  # wrong channel count
    assert not torch.is_autocast_enabled('cpu')
    with pytest.raises(AttributeError, match="no module 'trunk'"):
        HOOKS.build(dict(type='AutocastHook', modules=['trunk'])).before_train(
            _mock_runner(plain))
    with pytest.raises(ValueError, match="dtype must be"):
        HOOKS.build(dict(type='AutocastHook', dtype='int8'))
    assert set(YOLOV8_CONV_MODULES) <= {n for n, _ in plain.named_modules()}


def test_mining_schedule():
    hook = HOOKS.build(dict(type='HardNegativeMiningHook', interval=3, start_epoch=2))
    assert [e for e in range(1, 10) if hook.should_mine(e)] == [2, 5, 8]
    once = HOOKS.build(dict(type='HardNegativeMiningHook', interval=0, start_epoch=2))
    assert [e for e in range(1, 10) if once.should_mine(e)] == [2]


def test_mining_lists_the_fired_negatives_and_survives_resume(tiny_dataset, tmp_path):
    negatives = negative_image_paths(_repeat_dataset(tiny_dataset))
    assert len(negatives) >= 2, 'the fixture should contain negatives'
    fired = {osp.basename(negatives[0]): 0.9, osp.basename(negatives[-1]): 0.6}
    weak = {osp.basename(negatives[1]): 0.2} if len(negatives) > 2 else {}
    model = _FiringModel({**fired, **weak})
    dataset = _repeat_dataset(tiny_dataset)
    base_len = len(dataset)
    runner = _mining_runner(model, dataset, tmp_path, epoch=1)
    iterator = runner.train_dataloader._iterator
    hook = HOOKS.build(dict(type='HardNegativeMiningHook', pool='train_negatives', interval=2,
                            score_thr=0.5, weight=3.0))
    runner.epoch = 0
    hook.after_train_epoch(runner)  # epoch 1 of 2: no round
    assert model.modes == [] and not (tmp_path / 'hard_negatives.json').exists()
    runner.epoch = 1
    model.train()
    hook.after_train_epoch(runner)
    assert model.modes and not any(model.modes) and model.training  # eval, then back to train
    mined = json.load(open(tmp_path / 'hard_negatives.json'))
    assert [r['img_path'] for r in mined] == [negatives[0], negatives[-1]]  # highest first
    assert [r['max_score'] for r in mined] == [0.9, 0.6] and {r['epoch'] for r in mined} == {2}
    assert len(dataset) == base_len + 2 * 2  # each mined negative now appears 3 times
    iterator._shutdown_workers.assert_called_once()
    assert runner.train_dataloader._iterator is None

    checkpoint = dict(meta=dict(epoch=2))
    hook.before_save_checkpoint(runner, checkpoint)
    checkpoint = json.loads(json.dumps(checkpoint))  # nothing but plain data in the meta

    for resume, expected_len in ((True, base_len + 4), (False, base_len)):
        fresh = _repeat_dataset(tiny_dataset)
        runner2 = _mining_runner(_FiringModel({}), fresh, tmp_path / str(resume), epoch=2,
                                 resume=resume)
        hook2 = HOOKS.build(dict(type='HardNegativeMiningHook', interval=2, weight=3.0))
        hook2.after_load_checkpoint(runner2, checkpoint)
        hook2.before_train(runner2)
        assert len(fresh) == expected_len
        assert list(hook2.mined) == ([negatives[0], negatives[-1]] if resume else [])


def test_mining_a_folder_warns_without_a_reweighting_wrapper(tmp_path):
    pool = tmp_path / 'pool'
    pool.mkdir()
    for name in ('a.png', 'b.jpg', 'c.png'):
        cv2.imwrite(str(pool / name), np.full((16, 16, 3), 127, np.uint8))
    (pool / 'notes.txt').write_text('not an image')
    dataset = mock.MagicMock(spec=['metainfo'])  # no add_images
    runner = _mining_runner(_FiringModel({'b.jpg': 0.8, 'c.png': 0.7}), dataset, tmp_path,
                            epoch=0)
    hook = HOOKS.build(dict(type='HardNegativeMiningHook', pool=str(pool), interval=1,
                            score_thr=0.5, max_images=1, batch_size=2))
    hook.after_train_epoch(runner)
    mined = json.load(open(tmp_path / 'hard_negatives.json'))
    assert [osp.basename(r['img_path']) for r in mined] == ['b.jpg']  # max_images=1
    warning = runner.logger.warning.call_args.args[0]
    assert 'SmallObjectRepeatDataset' in warning


# --------------------------------------------------------------------- reproducibility
def test_reproducibility_record_in_env_json_and_checkpoint(tmp_path):
    (tmp_path / 'data').mkdir()
    ann = tmp_path / 'data' / 'train.json'
    ann.write_text('{"images": []}')
    cfg = Config(dict(randomness=dict(seed=42, deterministic=False),
                      train_dataloader=dict(dataset=dict(
                          type='SmallObjectRepeatDataset',
                          dataset=dict(type='OneClassCocoDataset', data_root=str(tmp_path / 'data'),
                                       ann_file='train.json')))))
    runner = mock.MagicMock(cfg=cfg, seed=42, work_dir=str(tmp_path / 'work'))
    hook = HOOKS.build(dict(type='ReproducibilityHook'))
    hook.before_train(runner)
    env = json.load(open(tmp_path / 'work' / 'env.json'))
    assert env['seed'] == 42 and env['randomness']['seed'] == 42
    assert env['packages']['torch'] in (torch.__version__, torch.__version__.split('+')[0])
    assert env['packages']['mmyolo'] and env['packages']['mmdet'] and env['packages']['mmcv']
    assert set(env['cuda']) >= {'cuda', 'cudnn'}
    model, cores = env['machine'].rsplit(', ', 1)  # e.g. 'AMD EPYC', '2 cores (x86_64)'
    assert model and cores == f'{os.cpu_count()} cores ({platform.machine()})'
    if not torch.cuda.is_available():
        assert env['cuda']['cuda'] is None and env['cuda']['cudnn'] is None
    if shutil.which('git'):  # this repository is a git checkout
        assert re.fullmatch(r'[0-9a-f]{40}', env['git']['commit'])
        assert isinstance(env['git']['dirty'], bool)
    assert env['annotations'] == {str(ann): hashlib.sha256(ann.read_bytes()).hexdigest()}

    checkpoint = dict(meta=dict(epoch=1))
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['meta']['reproducibility'] == env

    ann.write_text('{"images": [{"id": 1}]}')
    assert hook.collect(runner)['annotations'][str(ann)] != env['annotations'][str(ann)]


# --------------------------------------------------------------------------- early stop
def test_early_stopping_on_tbank_f1():
    hook = HOOKS.build(dict(type='EarlyStoppingHook', monitor='tbank/f1', rule='greater',
                            min_delta=0.005, patience=2))
    runner = mock.MagicMock()
    runner.train_loop.stop_training = False
    for f1 in (0.50, 0.60, 0.602):
        hook.after_val_epoch(runner, {'tbank/f1': f1})
    assert runner.train_loop.stop_training is False  # one record without improvement
    hook.after_val_epoch(runner, {'tbank/f1': 0.59})
    assert runner.train_loop.stop_training is True


# ------------------------------------------------------------------- one real training run
class _RecordBackbone(Hook):
    """Keeps a copy of the backbone's weights at the start and after each epoch."""

    def __init__(self):
        self.states = []

    def _record(self, runner):
        self.states.append({k: v.clone() for k, v in runner.model.backbone.state_dict().items()})

    before_train = _record

    def after_train_epoch(self, runner):
        self._record(runner)


def test_hooks_and_loss_in_a_real_run(tiny_dataset, tmp_path):
    from mmengine.runner import Runner
    work_dir = tmp_path / 'work'
    cfg = make_tiny_cfg(tiny_dataset, work_dir, img_size=64, max_epochs=2)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.train_cfg.val_interval = 3  # no validation: not what is tested here
    cfg.model.bbox_head.loss_bbox = dict(type='SmallObjectWeightedIoULoss', alpha=1.0,
                                         **IOU_ARGS)
    cfg.train_dataloader.batch_size = 8  # 2 iterations an epoch
    cfg.train_dataloader.dataset = dict(type='SmallObjectRepeatDataset', small_factor=1.0,
                                        dataset=cfg.train_dataloader.dataset)
    cfg.custom_hooks += [
        dict(type='FreezeBackboneHook', freeze_epochs=1),
        dict(type='HardNegativeMiningHook', pool='train_negatives', interval=0, start_epoch=1,
             score_thr=0.0, weight=2.0),
        dict(type='ReproducibilityHook'),
    ]
    runner = Runner.from_cfg(cfg)
    recorder = _RecordBackbone()
    runner.register_hook(recorder)
    runner.train()

    initial, epoch1, epoch2 = recorder.states
    assert all(torch.equal(initial[k], epoch1[k]) for k in initial)  # frozen in epoch 1
    assert not all(torch.equal(epoch1[k], epoch2[k]) for k in initial)  # trained in epoch 2
    negatives = negative_image_paths(runner.train_dataloader.dataset)
    mined = json.load(open(work_dir / 'hard_negatives.json'))
    assert sorted(r['img_path'] for r in mined) == sorted(negatives)  # score_thr=0: all
    checkpoint = torch.load(work_dir / 'epoch_2.pth', map_location='cpu')
    meta = checkpoint['meta']
    assert meta['hard_negatives'] == mined
    assert meta['reproducibility'] == json.load(open(work_dir / 'env.json'))
    assert meta['reproducibility']['seed'] == runner.seed
