"""Train a detector from a config: ``python tools/train.py configs/yolov8_s_tbank.py``.

The arguments are MMYOLO's ``tools/train.py``'s. Runs on the CPU when no GPU is present.
"""
import argparse
import logging
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

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
    return cfg


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = build_cfg(args)
    if 'runner_type' in cfg:
        from mmyolo.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    runner.train()
    return 0


if __name__ == '__main__':
    sys.exit(main())
