"""Train a detector from a config: ``python tools/train.py configs/yolov8_s_tbank.py``.

The arguments are MMYOLO's ``tools/train.py``'s, plus ``--mlflow`` / ``--wandb``. Runs on the
CPU when no GPU is present, also distributed (``tools/dist_train.sh CONFIG 2``: gloo).
"""
import argparse
import datetime
import importlib.util
import logging
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)  # run from a clone

from mmengine.config import Config, DictAction  # noqa: E402

from mmdet_ext.cli import load_config  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a detector.', formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (GPU only; ignored on CPU)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or, without a path, from the latest '
                        'checkpoint in the work dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value (e.g. train_cfg.max_epochs=3 '
                        'train_dataloader.batch_size=8)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher for distributed training')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--mlflow', action='store_true',
                        help='also log to MLflow, a local store in work_dirs/mlruns '
                        '(configs/_base_/mlflow.py; needs `pip install mlflow-skinny`)')
    parser.add_argument('--wandb', action='store_true',
                        help='also log to Weights & Biases (configs/_base_/wandb.py; needs '
                        '`pip install wandb`)')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_cfg(args) -> Config:
    """The config with the command line applied (work dir, AMP, resume, overrides)."""
    cfg = load_config(args)
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            print_log('--amp ignored: no GPU (mixed precision here is a GPU feature)',
                      logger='current', level=logging.WARNING)
        elif cfg.optim_wrapper.type != 'AmpOptimWrapper':
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    for name, package in (('mlflow', 'mlflow'), ('wandb', 'wandb')):
        if getattr(args, name, False):
            add_vis_backend(cfg, name, package)
    check_num_gpus(cfg)
    return cfg


# How to install the client of each optional logging backend.
INSTALL_HINTS = dict(mlflow="pip install mlflow-skinny 'protobuf==3.20.2'",
                     wandb='pip install wandb')


def add_vis_backend(cfg: Config, name: str, package: str) -> None:
    """Append the visualisation backend ``<name>_vis_backend`` of ``configs/_base_/<name>.py``
    to the config's visualizer (an MLflow run is named after the work dir; its file store is
    allowed)."""
    if importlib.util.find_spec(package) is None:
        raise SystemExit(f'--{name}: the {package} package is not installed '
                         f'({INSTALL_HINTS[name]})')
    backend = Config.fromfile(osp.join(REPO, 'configs', '_base_', f'{name}.py'))
    backend = backend[f'{name}_vis_backend'].to_dict()
    if name == 'mlflow':
        if backend.get('run_name') is None:
            backend['run_name'] = osp.basename(osp.normpath(cfg.work_dir))
        if backend.get('tracking_uri') is None:
            # MLflow 3 refuses its file store (the local, server-free one) without this
            os.environ.setdefault('MLFLOW_ALLOW_FILE_STORE', 'true')
    backends = cfg.visualizer.setdefault('vis_backends', [])
    if all(b.get('type') != backend['type'] for b in backends):
        backends.append(backend)


def launcher_world_size(launcher: str) -> int:
    """The number of processes the launcher started (1 without one)."""
    variable = dict(pytorch='WORLD_SIZE', slurm='SLURM_NTASKS',
                    mpi='OMPI_COMM_WORLD_SIZE').get(launcher)
    return int(os.environ.get(variable, 1)) if variable else 1


def check_num_gpus(cfg: Config) -> None:
    """Warn when the config's lr was computed for another number of processes (``num_gpus``
    of the recipe configs) than the launcher started."""
    expected, world = cfg.get('num_gpus'), launcher_world_size(cfg.launcher)
    if expected is None or expected == world or os.environ.get('RANK', '0') != '0':
        return
    print_log(f'the config computed its lr for num_gpus={expected} processes, this run has '
              f'{world}: the total batch is {world}/{expected} of the one the lr was scaled '
              'for. Set num_gpus in a child config that re-states optim_wrapper (README, '
              '"Training recipes"), or set the lr with --cfg-options.',
              logger='current', level=logging.WARNING)


def init_cpu_distributed(cfg: Config) -> None:
    """Distributed training on a machine without a GPU, through MMEngine's ``pytorch`` launcher.

    MMEngine assumes one GPU per process: it calls ``torch.cuda.set_device`` while starting the
    process group and gives ``DistributedDataParallel`` ``device_ids``, both refused by a CPU
    build of PyTorch; MMYOLO's ``YOLODetector`` turns its BatchNorms into SyncBatchNorm, which
    DDP accepts on GPUs only. Without a GPU the process group is started here (gloo: NCCL
    needs GPUs), which the Runner then uses as it is, the model is wrapped without
    ``device_ids`` and each process keeps plain BatchNorm statistics.
    """
    import torch
    import torch.distributed as dist
    if cfg.launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    backend = dist_cfg.pop('backend', 'gloo')
    if backend == 'nccl':
        print_log('no GPU: distributed training on the gloo backend instead of nccl',
                  logger='current', level=logging.WARNING)
        backend = 'gloo'
    dist_cfg.pop('init_backend', None)
    timeout = datetime.timedelta(seconds=dist_cfg.pop('timeout', 1800))
    dist.init_process_group(backend=backend, timeout=timeout, **dist_cfg)  # env:// (torchrun)
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = backend
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if str(cfg.model.get('type', '')).endswith('YOLODetector'):
        cfg.model.use_syncbn = False
    if cfg.pop('sync_bn', None) is not None:
        print_log('no GPU: sync_bn ignored (SyncBatchNorm needs GPUs)', logger='current',
                  level=logging.WARNING)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = build_cfg(args)
    init_cpu_distributed(cfg)
    if 'runner_type' in cfg:
        from mmyolo.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    runner.train()
    return 0


if __name__ == '__main__':
    sys.exit(main())
