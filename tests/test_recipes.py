"""Training recipe configs (configs/yolov8_*_tbank_{adamw_cosine,onecycle,recipe*}.py), the
logging fragments and distributed training through tools/train.py --launcher pytorch."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from conftest import REPO

RECIPES = ['yolov8_s_tbank_adamw_cosine.py', 'yolov8_s_tbank_onecycle.py',
           'yolov8_s_tbank_recipe.py', 'yolov8_s_tbank_recipe_960.py',
           'yolov8_s_tbank_recipe_1280.py', 'yolov8_s_tbank_recipe_tiled.py',
           'yolov8_m_tbank_recipe.py']
SIZES = {'yolov8_s_tbank_recipe.py': 640, 'yolov8_s_tbank_recipe_960.py': 960,
         'yolov8_s_tbank_recipe_1280.py': 1280, 'yolov8_s_tbank_recipe_tiled.py': 640,
         'yolov8_m_tbank_recipe.py': 640}


def load(name):
    return Config.fromfile(osp.join(REPO, 'configs', name))


def inner_dataset(dataset_cfg):
    """The dataset config inside repeat wrappers."""
    while 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def iter_transforms(pipeline):
    """Every transform of a pipeline, including those nested in Mosaic / RandomApply /
    RandomChoice (whose alternatives are lists)."""
    for t in pipeline:
        if isinstance(t, list):
            yield from iter_transforms(t)
            continue
        yield t
        for key in ('pre_transform', 'transforms'):
            if isinstance(t.get(key), list):
                yield from iter_transforms(t[key])


def first_sample(cfg, tiny_dataset, size: int, always=(), draws: int = 1):
    """The first training sample of a config on the tiny dataset, with every size setting (and
    tile size) made ``size`` and every RandomApply (and the Albu transforms named in
    ``always``) applied; with ``draws`` > 1, that many random draws of it."""
    from mmyolo.registry import DATASETS
    from mmyolo.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    dataset = inner_dataset(cfg.train_dataloader.dataset)
    dataset.data_root, dataset.ann_file = str(tiny_dataset) + '/', 'train.json'
    for t in iter_transforms(dataset.pipeline):
        for key in ('scale', 'tile_size'):
            if key in t:
                t[key] = (size, size)
        if t['type'] == 'mmcv.RandomApply':
            t['prob'] = 1.0
        if t['type'] in always:
            t['p'] = 1.0
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return dataset[0] if draws == 1 else [dataset[0] for _ in range(draws)]


def size_settings(pipeline):
    """(transform type, size) for every size argument of a pipeline; a YOLOv5RandomAffine
    border is reported as the image size it implies (-size // 2 each side)."""
    found = []
    for t in iter_transforms(pipeline):
        for key in ('img_scale', 'scale', 'tile_size'):
            if key in t:
                found.append((t['type'], tuple(t[key])))
        if t['type'] == 'YOLOv5RandomAffine' and 'border' in t:
            found.append((t['type'], tuple(-2 * b for b in t['border'])))
    return found


def all_pipelines(cfg):
    switch = [h for h in cfg.custom_hooks if h['type'].endswith('PipelineSwitchHook')]
    return dict(train=inner_dataset(cfg.train_dataloader.dataset).pipeline,
                train_stage2=switch[0]['switch_pipeline'],
                val=cfg.val_dataloader.dataset.pipeline,
                test=cfg.test_dataloader.dataset.pipeline)


def shrink(cfg, data_root, work_dir, size=64, batch_size=4, max_epochs=1):
    """A recipe config made to run in seconds on the tiny dataset: `size` px everywhere, no
    workers, no validation (val_interval > max_epochs), a checkpoint per epoch."""
    root = str(data_root) + '/'
    cfg.work_dir = str(work_dir)
    cfg.load_from = None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[loader]
        dl.num_workers, dl.persistent_workers = 0, False
        inner_dataset(dl.dataset).data_root = root
    cfg.train_dataloader.batch_size = batch_size
    for pipeline in all_pipelines(cfg).values():
        for t in iter_transforms(pipeline):
            for key in ('img_scale', 'scale', 'tile_size'):
                if key in t:
                    t[key] = (size, size)
            if t['type'] == 'YOLOv5RandomAffine' and 'border' in t:
                t['border'] = (-size // 2, -size // 2)
    cfg.val_evaluator.ann_file = root + 'val.json'
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = max_epochs + 1
    cfg.train_cfg.dynamic_intervals = None
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.visualization.draw = False
    cfg.log_level = 'WARNING'
    return cfg


# ---------------------------------------------------------------------------- configs
@pytest.mark.parametrize('name', RECIPES)
def test_recipe_builds_model_and_dataset(name, tiny_dataset, tmp_path):
    from mmyolo.registry import DATASETS, MODELS
    from mmyolo.utils import register_all_modules
    import projects.tbank_logo.components  # noqa: F401
    register_all_modules(init_default_scope=True)
    cfg = shrink(load(name), tiny_dataset, tmp_path)
    model = MODELS.build(cfg.model)
    assert model.bbox_head.head_module.num_classes == 1
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) >= 16  # 16 training images, some repeated by the recipes
    sample = dataset[0]
    assert sample['inputs'].shape[-2:] == (64, 64)


def test_lr_is_scaled_with_the_total_batch():
    for name in RECIPES:
        cfg = load(name)
        total = cfg.train_batch_size_per_gpu * cfg.num_gpus * cfg.accumulative_counts
        assert cfg.total_batch_size == total
        assert cfg.train_dataloader.batch_size == cfg.train_batch_size_per_gpu, name
        assert cfg.optim_wrapper.optimizer.batch_size_per_gpu == cfg.train_batch_size_per_gpu
        assert cfg.optim_wrapper.accumulative_counts == cfg.accumulative_counts, name
        assert cfg.optim_wrapper.optimizer.type == 'AdamW'
        assert cfg.optim_wrapper.optimizer.lr == pytest.approx(0.001 * total / 64), name
        assert cfg.optim_wrapper.type == 'OptimWrapper'  # use_amp is off: CPU-safe default
        assert cfg.default_hooks.param_scheduler.type == 'ParamSchedulerHook', name
    base = load('yolov8_s_tbank_adamw_cosine.py')
    assert base.optim_wrapper.optimizer.lr == pytest.approx(0.001 * 16 / 64)
    warmup, cosine = base.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == cosine.begin == base.warmup_epochs
    assert cosine.type == 'CosineAnnealingLR' and cosine.end == base.max_epochs
    assert cosine.eta_min == pytest.approx(base.lr * base.min_lr_ratio)
    # 1280 px: half the batch, two accumulated iterations: same total batch, same lr
    big = load('yolov8_s_tbank_recipe_1280.py')
    assert (big.train_batch_size_per_gpu, big.accumulative_counts) == (8, 2)
    assert big.optim_wrapper.optimizer.lr == pytest.approx(base.optim_wrapper.optimizer.lr)
    assert big.param_scheduler[1].eta_min == pytest.approx(cosine.eta_min)
    onecycle = load('yolov8_s_tbank_onecycle.py').param_scheduler
    assert onecycle.type == 'OneCycleLR' and onecycle.eta_max == pytest.approx(base.lr)


def test_schedules_follow_the_formula_when_built():
    """Warm-up, cosine and 1cycle as MMEngine builds them (epochs converted to iterations)."""
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS
    for name, expect in (('yolov8_s_tbank_adamw_cosine.py', 'cosine'),
                         ('yolov8_s_tbank_onecycle.py', 'onecycle')):
        cfg = load(name)
        epochs, per_epoch = cfg.max_epochs, 10
        optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))],
                                      lr=cfg.optim_wrapper.optimizer.lr)
        wrapper = OptimWrapper(optimizer)
        schedulers = cfg.param_scheduler
        schedulers = schedulers if isinstance(schedulers, list) else [schedulers]
        built = []
        for s in schedulers:
            s = s.to_dict()
            s.pop('convert_to_iter_based')
            cls = PARAM_SCHEDULERS.get(s.pop('type'))
            built.append(cls.build_iter_from_epoch(wrapper, epoch_length=per_epoch, **s))
        lrs = []
        for _ in range(epochs * per_epoch):
            lrs.append(optimizer.param_groups[0]['lr'])
            optimizer.step()
            for s in built:
                s.step()
        peak = cfg.lr
        assert max(lrs) == pytest.approx(peak, rel=1e-3), name
        if expect == 'cosine':
            assert lrs[0] == pytest.approx(peak * cfg.warmup_start_factor, rel=1e-2)
            assert abs(lrs.index(max(lrs)) - cfg.warmup_epochs * per_epoch) <= 1
            assert lrs[-1] == pytest.approx(peak * cfg.min_lr_ratio, rel=0.05)
        else:
            assert lrs[0] == pytest.approx(peak / cfg.onecycle_div_factor, rel=1e-2)
            assert abs(lrs.index(max(lrs)) - cfg.onecycle_pct_start * len(lrs)) <= 1
            assert lrs[-1] < peak / cfg.onecycle_div_factor / 100


@pytest.mark.parametrize('name', sorted(SIZES))
def test_input_size_is_the_same_in_every_pipeline(name):
    cfg = load(name)
    size = SIZES[name]
    assert tuple(cfg.img_scale) == (size, size)
    for stage, pipeline in all_pipelines(cfg).items():
        settings = size_settings(pipeline)
        assert settings, (name, stage)
        wrong = [s for s in settings if s[1] != (size, size)]
        assert not wrong, (name, stage, wrong)
    train = [t['type'] for t in iter_transforms(all_pipelines(cfg)['train'])]
    assert 'Mosaic' in train and 'YOLOv5RandomAffine' in train


def test_tiled_recipe_crops_before_mosaic_and_resize():
    cfg = load('yolov8_s_tbank_recipe_tiled.py')
    for stage in ('train', 'train_stage2'):
        pipeline = all_pipelines(cfg)[stage]
        types_ = [t['type'] for t in pipeline]
        tile = types_.index('mmcv.RandomApply')
        assert pipeline[tile].transforms[0].type == 'RandomTileCrop'
        assert tile < min(types_.index(t) for t in ('Mosaic', 'YOLOv5KeepRatioResize')
                          if t in types_), stage
        if 'Mosaic' in types_:  # Mosaic's three other images are tiled as well
            inner = [t['type'] for t in pipeline[types_.index('Mosaic')].pre_transform]
            assert 'mmcv.RandomApply' in inner
    val = [t['type'] for t in iter_transforms(cfg.val_dataloader.dataset.pipeline)]
    assert 'RandomTileCrop' not in val and 'mmcv.RandomApply' not in val


def test_recipe_wires_the_components():
    cfg = load('yolov8_s_tbank_recipe.py')
    assert cfg.model.bbox_head.loss_bbox.type == 'SmallObjectWeightedIoULoss'
    assert cfg.train_dataloader.dataset.type == 'SmallObjectRepeatDataset'
    assert cfg.train_dataloader.dataset.dataset.type == 'TBankLogoDataset'
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert hooks == ['EMAHook', 'mmdet.PipelineSwitchHook', 'FreezeBackboneHook',
                     'HardNegativeMiningHook', 'ReproducibilityHook', 'EarlyStoppingHook']
    early = cfg.custom_hooks[-1]
    # early stopping watches the metric the best checkpoint is chosen by
    assert early.monitor == cfg.default_hooks.checkpoint.save_best == 'tbank/best_f1'
    assert cfg.find_unused_parameters  # frozen backbone under DDP
    m = load('yolov8_m_tbank_recipe.py')
    assert m.model.backbone.widen_factor == 0.75 and m.model.backbone.deepen_factor == 0.67
    assert [h['type'] for h in m.custom_hooks] == hooks


def test_mosaic_switch_reaches_the_wrapped_dataset(tiny_dataset, tmp_path):
    from unittest import mock
    from mmyolo.registry import DATASETS, HOOKS
    from mmyolo.utils import register_all_modules
    import projects.tbank_logo.components  # noqa: F401
    register_all_modules(init_default_scope=True)
    cfg = shrink(load('yolov8_s_tbank_recipe.py'), tiny_dataset, tmp_path)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    hook = HOOKS.build(cfg.custom_hooks[1])
    runner = mock.MagicMock(epoch=hook.switch_epoch)
    runner.train_dataloader.dataset = dataset
    runner.train_dataloader.persistent_workers = False
    hook.before_train_epoch(runner)
    names = [type(t).__name__ for t in dataset.dataset.pipeline.transforms]
    assert 'Mosaic' not in names and 'LetterResize' in names


# ---------------------------------------------------------------------------- logging
def test_mlflow_fragment_and_train_flag(monkeypatch, tmp_path):
    """--mlflow adds the fragment's MLflowVisBackend (local file store) to the visualizer."""
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import train
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda n, *a: object() if n in ('mlflow', 'wandb') else
                        real_find_spec(n, *a))
    args = train.parse_args([osp.join(REPO, 'configs', 'yolov8_s_tbank_recipe.py'), '--mlflow',
                             '--wandb', '--work-dir', str(tmp_path / 'run1')])
    cfg = train.build_cfg(args)
    backends = {b['type']: b for b in cfg.visualizer.vis_backends}
    assert set(backends) == {'LocalVisBackend', 'MLflowVisBackend', 'WandbVisBackend'}
    mlflow = backends['MLflowVisBackend']
    assert mlflow['save_dir'] == 'work_dirs/mlruns' and mlflow.get('tracking_uri') is None
    assert mlflow['run_name'] == 'run1' and mlflow['exp_name'] == 'tbank_logo'
    # without the flags the config logs locally only
    plain = train.build_cfg(train.parse_args([osp.join(REPO, 'configs',
                                                       'yolov8_s_tbank_recipe.py')]))
    assert [b['type'] for b in plain.visualizer.vis_backends] == ['LocalVisBackend']


def test_mlflow_flag_without_mlflow_is_one_clear_error(monkeypatch):
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import train
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda n, *a: None if n == 'mlflow' else real_find_spec(n, *a))
    args = train.parse_args([osp.join(REPO, 'configs', 'yolov8_s_tbank_recipe.py'), '--mlflow'])
    with pytest.raises(SystemExit, match='mlflow-skinny'):
        train.build_cfg(args)


def test_mlflow_backend_logs_to_a_local_store(tmp_path, monkeypatch):
    """The fragment's backend with the real MLflow client (skipped where it is not installed:
    it is an optional extra)."""
    pytest.importorskip('mlflow')
    monkeypatch.setenv('MLFLOW_ALLOW_FILE_STORE', 'true')  # as tools/train.py --mlflow does
    from mmengine.visualization import MLflowVisBackend
    backend_cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'mlflow.py'))
    backend_cfg = backend_cfg.mlflow_vis_backend.to_dict()
    backend_cfg.pop('type')
    backend_cfg['save_dir'] = str(tmp_path / 'mlruns')
    backend = MLflowVisBackend(**backend_cfg)
    backend.add_config(Config(dict(work_dir=str(tmp_path), lr=0.001)))
    backend.add_scalars({'tbank/best_f1': 0.5}, step=1)
    (tmp_path / 'run.log').write_text('log')
    backend.close()
    import mlflow
    runs = mlflow.search_runs(experiment_names=['tbank_logo'], output_format='list')
    assert len(runs) == 1 and runs[0].data.metrics['tbank/best_f1'] == 0.5
    assert runs[0].data.params['lr'] == '0.001'
    assert runs[0].info.artifact_uri.startswith('file://' + str(tmp_path / 'mlruns'))
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(runs[0].info.run_id)}
    assert {'config.py', 'run.log'} <= artifacts


# ---------------------------------------------------------------------------- distributed
def test_launcher_size_warning(monkeypatch):
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import train
    from mmengine.logging import MMLogger
    cfg = Config(dict(num_gpus=1, launcher='pytorch'))
    monkeypatch.setenv('WORLD_SIZE', '2')
    monkeypatch.delenv('RANK', raising=False)
    messages = []
    logger = MMLogger.get_current_instance()
    monkeypatch.setattr(logger, 'warning', messages.append)
    monkeypatch.setattr(logger, 'log', lambda level, msg, *a, **k: messages.append(msg))
    train.check_num_gpus(cfg)
    assert messages and 'num_gpus=1' in messages[0]
    messages.clear()
    monkeypatch.setenv('WORLD_SIZE', '1')
    train.check_num_gpus(cfg)
    assert not messages


def test_cpu_distributed_setup(monkeypatch):
    """Without a GPU, --launcher pytorch gets a gloo group (also from the default nccl), DDP
    without device_ids (expecting the frozen backbone's unused parameters) and no SyncBN."""
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import train
    import torch.distributed as dist
    calls = []
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(dist, 'init_process_group', lambda **kw: calls.append(kw))
    cfg = load('yolov8_s_tbank_recipe.py')
    cfg.launcher = 'pytorch'
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'  # MMYOLO's default
    train.init_cpu_distributed(cfg)
    assert len(calls) == 1 and calls[0]['backend'] == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False, find_unused_parameters=True)
    assert cfg.model.use_syncbn is False
    plain = load('yolov8_s_tbank_recipe.py')
    plain.launcher = 'none'
    train.init_cpu_distributed(plain)
    assert len(calls) == 1 and 'model_wrapper_cfg' not in plain


def checkpoint(path):
    ckpt = torch.load(path, map_location='cpu')
    return ckpt, set(ckpt['state_dict']), set(ckpt['ema_state_dict'])


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU (gloo) path')
def test_two_process_gloo_training_matches_one_process(tiny_dataset, tmp_path):
    """tools/dist_train.sh (torchrun, --launcher pytorch) with 2 CPU processes on gloo trains
    the full recipe for one epoch (validation included) and writes the same kind of checkpoint
    as tools/train.py in one process. About a minute on 2 cores."""
    cfg = shrink(load('yolov8_s_tbank_recipe.py'), tiny_dataset, tmp_path / 'unused')
    cfg.train_dataloader.dataset.small_factor = 1.0  # 16 images: 4 iterations of 4 images
    cfg_file = tmp_path / 'tiny_recipe.py'
    cfg.dump(str(cfg_file))
    # the same total batch: 4 images in one process, 2 in each of two
    two = tmp_path / 'two'
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(cfg_file), '2',
           '--work-dir', str(two), '--cfg-options', 'train_dataloader.batch_size=2',
           'env_cfg.dist_cfg.backend=gloo']
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore', PYTHON=sys.executable,
               PORT=str(29500 + os.getpid() % 1000))
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    # one process: the same tool, in this process (saves a start-up)
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import train
    one = tmp_path / 'one'
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as OMP_NUM_THREADS=1 above: 2 threads on 2 busy cores crawl
    try:
        assert train.main([str(cfg_file), '--work-dir', str(one), '--cfg-options',
                           'train_dataloader.batch_size=4']) == 0
    finally:
        torch.set_num_threads(threads)
    ckpt_one, keys_one, ema_one = checkpoint(one / 'epoch_1.pth')
    ckpt_two, keys_two, ema_two = checkpoint(two / 'epoch_1.pth')
    assert keys_one == keys_two and ema_one == ema_two and keys_one
    assert not any(k.startswith('module.') for k in keys_two)  # unwrapped from DDP
    for key in keys_one:
        assert ckpt_one['state_dict'][key].shape == ckpt_two['state_dict'][key].shape, key
    assert ckpt_one['meta']['iter'] == ckpt_two['meta']['iter'] == 4  # same total batch
    assert set(ckpt_one['meta']) == set(ckpt_two['meta'])  # reproducibility, hard negatives...
    assert 'val/tbank/best_f1' in ckpt_two['message_hub']['log_scalars']  # evaluated on 2 ranks


def test_real_stage2_squashes_photos_and_its_pipeline_runs(tiny_dataset):
    """Stage 2 of the real-photo model squashes some photos to a square, as two real folders
    were, with the boxes following the image, and its whole train pipeline builds and runs
    (albumentations rejects MMYOLO's `_scope_`-tagged entries, so this fails if they leak in)."""
    import numpy as np
    from mmcv.transforms import Compose
    from mmdet.structures.bbox import HorizontalBoxes
    from mmyolo.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = load('yolov8_n_tbank_real_cpu_stage2.py')
    pipeline = inner_dataset(cfg.train_dataloader.dataset).pipeline
    squash = next(t for t in pipeline if t['type'] == 'mmcv.RandomApply')
    assert squash.transforms[0].keep_ratio is False
    squash = Compose([dict(squash, prob=1.0)])
    img = np.zeros((100, 200, 3), np.uint8)  # 2:1 landscape
    out = squash(dict(img=img, gt_bboxes=HorizontalBoxes(torch.tensor([[20., 10., 60., 50.]])),
                      img_shape=img.shape[:2]))
    assert out['img'].shape[:2] == (640, 640)
    assert out['gt_bboxes'].tensor.tolist() == [[64., 64., 192., 320.]]  # x * 3.2, y * 6.4
    assert first_sample(cfg, tiny_dataset, size=64)['inputs'].shape[-2:] == (64, 64)


@pytest.mark.parametrize('name, base', [
    ('yolov8_n_tbank_real_cpu_tilecrop.py', 'yolov8_n_tbank_real_cpu.py'),
    ('yolov8_n_tbank_real_cpu_tilecrop_stage2.py', 'yolov8_n_tbank_real_cpu_stage2.py')])
def test_real_tilecrop_recipe_adds_only_the_tile_crop(name, base, tiny_dataset):
    """The tile-crop variant of each real-photo stage is its base config with a network-size
    RandomTileCrop right after loading (so tiles are cut at full resolution), nothing else
    changed in the pipeline, and its pipeline runs."""
    cfg, base_cfg = load(name), load(base)
    pipeline = inner_dataset(cfg.train_dataloader.dataset).pipeline
    base_pipeline = inner_dataset(base_cfg.train_dataloader.dataset).pipeline
    n_pre = len(base_cfg.pre_transform)
    tile = pipeline[n_pre]
    assert tile.type == 'mmcv.RandomApply' and tile.transforms[0].type == 'RandomTileCrop'
    assert tuple(tile.transforms[0].tile_size) == tuple(cfg.img_scale)
    assert pipeline[:n_pre] + pipeline[n_pre + 1:] == base_pipeline
    assert cfg.train_cfg == base_cfg.train_cfg and cfg.model == base_cfg.model
    sample = first_sample(cfg, tiny_dataset, size=32)  # a tile smaller than the images (64 px)
    assert sample['inputs'].shape[-2:] == (32, 32)


@pytest.mark.parametrize('name, base', [
    ('yolov8_n_tbank_real_cpu_geom.py', 'yolov8_n_tbank_real_cpu.py'),
    ('yolov8_n_tbank_real_cpu_geom_stage2.py', 'yolov8_n_tbank_real_cpu_stage2.py')])
def test_real_geom_recipe_adds_only_the_geometric_augmentation(name, base, tiny_dataset):
    """The geometric variant of each real-photo stage is its base config with the aspect
    squeeze, turn and perspective right after loading, nothing else changed; the pipeline runs
    with every one of them applied and keeps the boxes."""
    cfg, base_cfg = load(name), load(base)
    pipeline = inner_dataset(cfg.train_dataloader.dataset).pipeline
    base_pipeline = inner_dataset(base_cfg.train_dataloader.dataset).pipeline
    n_pre = len(base_cfg.pre_transform)
    squeeze, albu = pipeline[n_pre:n_pre + 2]
    assert squeeze.transforms[0].type == 'mmcv.RandomChoice'
    assert [t.type for t in albu.transforms] == ['Affine', 'Perspective']
    assert pipeline[:n_pre] + pipeline[n_pre + 2:] == base_pipeline
    assert cfg.train_cfg == base_cfg.train_cfg and cfg.model == base_cfg.model
    samples = first_sample(cfg, tiny_dataset, size=64, always=('Affine', 'Perspective'),
                           draws=5)
    assert all(s['inputs'].shape[-2:] == (64, 64) for s in samples)
    # The box survives (a random shift can push it out of a 64 px image once in a while).
    assert any(len(s['data_samples'].gt_instances) for s in samples)


@pytest.mark.parametrize('name, base', [
    ('yolov8_n_tbank_real_cpu_hires.py', 'yolov8_n_tbank_real_cpu.py'),
    ('yolov8_n_tbank_real_cpu_hires_stage2.py', 'yolov8_n_tbank_real_cpu_stage2.py')])
def test_real_hires_recipe_changes_only_the_input_size_and_precision(name, base):
    """The 960 px variant of each real-photo stage is its base config with every resize of
    the training and test pipelines at 960 px and AutocastHook added, nothing else."""
    cfg, base_cfg = load(name), load(base)

    def at_640(pipeline):  # the pipeline with 960 put back to the base's 640
        text = repr([dict(t) for t in pipeline])
        assert '(640, 640)' not in text
        return text.replace('(960, 960)', '(640, 640)')

    pipeline = inner_dataset(cfg.train_dataloader.dataset).pipeline
    base_pipeline = inner_dataset(base_cfg.train_dataloader.dataset).pipeline
    assert cfg.img_scale == (960, 960)
    assert at_640(pipeline) == repr([dict(t) for t in base_pipeline])
    for loader in ('val_dataloader', 'test_dataloader'):
        assert at_640(cfg[loader].dataset.pipeline) == repr(
            [dict(t) for t in base_cfg[loader].dataset.pipeline])
    assert cfg.custom_hooks == [*base_cfg.custom_hooks, dict(type='AutocastHook')]
    assert cfg.train_cfg == base_cfg.train_cfg and cfg.model == base_cfg.model
    assert cfg.optim_wrapper == base_cfg.optim_wrapper


def test_real_geom_albu_clips_a_box_a_rounding_error_past_the_border():
    """A label that ends a fraction of a pixel past the image (the real photos' 1280 px
    copies hold one) is clipped by the geometric augmentation, not a training-time error."""
    import numpy as np
    from mmcv.transforms import Compose
    from mmdet.structures.bbox import HorizontalBoxes
    from mmyolo.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = load('yolov8_n_tbank_real_cpu_geom.py')
    albu = next(t for t in inner_dataset(cfg.train_dataloader.dataset).pipeline
                if t['type'] == 'mmdet.Albu')
    for t in albu.transforms:
        t.p = 0.0  # only albumentations' own box checks and conversions
    img = np.zeros((216, 1280, 3), np.uint8)
    out = Compose([albu])(dict(
        img=img, img_shape=img.shape[:2],
        gt_bboxes=HorizontalBoxes(torch.tensor([[0.92, 0.0, 217.26, 216.34]])),
        gt_bboxes_labels=np.zeros(1, np.int64), gt_ignore_flags=np.zeros(1, bool)))
    assert out['gt_bboxes'].tensor.tolist()[0] == pytest.approx([0.92, 0.0, 217.26, 216.0],
                                                                abs=1e-3)
