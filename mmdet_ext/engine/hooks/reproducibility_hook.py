"""Record what a training run needs to be reproduced: seed, versions, code and data."""
import hashlib
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from importlib import metadata
from typing import Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmyolo.registry import HOOKS

from ...environment import machine

PACKAGES = ('torch', 'torchvision', 'numpy', 'mmengine', 'mmcv', 'mmdet', 'mmyolo', 'mmdeploy',
            'mmdet_ext')


def package_versions(names=PACKAGES) -> Dict[str, Optional[str]]:
    """Installed version of each package (None when not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name.replace('_', '-'))
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cuda_info() -> Dict[str, object]:
    """CUDA / cuDNN versions and devices, None where there is no GPU."""
    available = torch.cuda.is_available()
    return dict(
        cuda=torch.version.cuda if available else None,
        cudnn=torch.backends.cudnn.version() if available else None,
        devices=[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if available else [],
        cudnn_benchmark=torch.backends.cudnn.benchmark,
        cudnn_deterministic=torch.backends.cudnn.deterministic,
        deterministic_algorithms=torch.are_deterministic_algorithms_enabled())


def git_state(directory: str) -> Dict[str, object]:
    """Commit and dirty flag (tracked files changed) of the git repository at ``directory``;
    None values when it is not one or git is missing."""

    def git(*args):
        return subprocess.run(['git', '-C', directory, *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()

    try:
        return dict(commit=git('rev-parse', 'HEAD'),
                    dirty=bool(git('status', '--porcelain', '--untracked-files=no')))
    except (OSError, subprocess.SubprocessError):
        return dict(commit=None, dirty=None)


def sha256_file(path: str, chunk: int = 1 << 20) -> Optional[str]:
    """SHA-256 of a file, None if it does not exist."""
    if not osp.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def annotation_files(dataset_cfg) -> List[str]:
    """``ann_file`` paths of a dataset config, through wrappers (``dataset``, ``datasets``),
    joined with ``data_root`` as MMEngine's ``BaseDataset`` does."""
    if isinstance(dataset_cfg, (list, tuple)):
        return [p for cfg in dataset_cfg for p in annotation_files(cfg)]
    if not isinstance(dataset_cfg, dict):
        return []
    files = []
    ann_file = dataset_cfg.get('ann_file')
    if ann_file:
        data_root = dataset_cfg.get('data_root') or ''
        files.append(ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file))
    for key in ('dataset', 'datasets'):
        files += annotation_files(dataset_cfg.get(key))
    return files


@HOOKS.register_module()
class ReproducibilityHook(Hook):
    """Write ``work_dir/env.json`` at the start of training and put the same record in every
    checkpoint, as ``checkpoint['meta']['reproducibility']``.

    The record: ``seed`` (``runner.seed``) and the ``randomness`` config; Python, platform, CPU
    (``machine``) and package versions; CUDA / cuDNN versions and GPUs (None on CPU) with the
    determinism flags; ``git`` commit and dirty flag of the code (tracked files only); the
    ``sha256`` of each training annotation file (from ``train_dataloader.dataset``, through
    dataset wrappers); the command line and the start time.

    Example (config)::

        custom_hooks = [dict(type='ReproducibilityHook')]

    Args:
        repo_dir (str, optional): Directory whose git state is recorded. Defaults to the
            repository holding the ``mmdet_ext`` package.
        out_file (str): File name in the work dir. Defaults to ``'env.json'``.
    """

    priority = 'VERY_HIGH'  # record before anything else can fail

    def __init__(self, repo_dir: Optional[str] = None, out_file: str = 'env.json'):
        self.repo_dir = repo_dir or osp.dirname(osp.dirname(osp.dirname(osp.dirname(
            osp.abspath(__file__)))))
        self.out_file = out_file
        self.record: Optional[dict] = None

    def collect(self, runner) -> dict:
        """The reproducibility record of ``runner``'s training run."""
        dataset_cfg = runner.cfg.get('train_dataloader', {}).get('dataset', {})
        randomness = runner.cfg.get('randomness') or {}
        return dict(
            seed=runner.seed,
            randomness=dict(randomness),
            python=sys.version.split()[0],
            platform=platform.platform(),
            machine=machine(),
            packages=package_versions(),
            cuda=cuda_info(),
            git=git_state(self.repo_dir),
            annotations={path: sha256_file(path) for path in annotation_files(dataset_cfg)},
            argv=list(sys.argv),
            time=time.strftime('%Y-%m-%dT%H:%M:%S%z'))

    def before_train(self, runner) -> None:
        """Collect the record and write it to the work dir (training only: a test run in the
        same work dir leaves it alone)."""
        self.record = self.collect(runner)
        os.makedirs(runner.work_dir, exist_ok=True)
        with open(osp.join(runner.work_dir, self.out_file), 'w', encoding='utf-8') as f:
            json.dump(self.record, f, indent=2, default=str)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.record is None:
            self.record = self.collect(runner)
        checkpoint.setdefault('meta', {})['reproducibility'] = self.record
