"""The throw-away virtual environment Ultralytics runs in, made once and reused by its key."""
import hashlib
import importlib.metadata as metadata
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
from typing import List, Optional, Sequence

ULTRALYTICS = 'ultralytics==8.4.190'
# This machine's CPU torch (2.13) has no torchvision that imports beside it: PyPI's torchvision
# wheels link libtorch_cuda. Ultralytics cannot predict without torchvision (its warm-up imports
# it), so the anchor gets the CUDA build of torch 2.14.1 + torchvision 0.29.1, run on the CPU.
# Their wheels and the nvidia-* ones they pull lie on disk here (DEFAULT_FIND_LINKS): about
# 250 MB of small packages come from PyPI, and the environment takes ~5.5 GB.
DEFAULT_TORCH = 'torch==2.14.1 torchvision==0.29.1'
DEFAULT_FIND_LINKS = '/opt/pypi-more/files'
EXPORT_DEPS = ('onnx==1.23.2', 'onnxslim==0.1.98')
# Same versions as this project's environment, so both sides decode with the same OpenCV and
# run the same ONNX Runtime: the comparison is then about what each side does around it.
MIRRORED = ('onnxruntime', 'opencv-python', 'numpy', 'tqdm')
MARKER = 'anchor-env.json'
DEFAULT_VENV = osp.join(osp.expanduser('~'), '.cache', 'mmdet-ext', 'anchor-venv')


def requirements(torch_spec: str = DEFAULT_TORCH) -> List[str]:
    """Every pin installed into the anchor environment."""
    reqs = [ULTRALYTICS, *torch_spec.split(), *EXPORT_DEPS]
    for name in MIRRORED:
        try:
            reqs.append(f'{name}=={metadata.version(name)}')
        except metadata.PackageNotFoundError:
            reqs.append(name)
    return reqs


def env_key(reqs: Sequence[str]) -> str:
    """A short hash of the pins: the environment is reused only while it matches."""
    return hashlib.sha256('\n'.join(sorted(reqs)).encode()).hexdigest()[:16]


def venv_python(venv: str) -> str:
    return osp.join(venv, 'bin', 'python')


def ensure_env(venv: str = DEFAULT_VENV, torch_spec: str = DEFAULT_TORCH,
               find_links: Optional[str] = DEFAULT_FIND_LINKS, reinstall: bool = False,
               log=print) -> str:
    """Create or reuse the anchor environment; return its Python.

    An existing environment whose marker holds the same key is used as is; with another key the
    pins are installed over it (pip changes only what differs); ``reinstall`` starts afresh.
    pip's output goes to ``<venv>/anchor-install.log``; a failure raises with its last lines.
    """
    reqs = requirements(torch_spec)
    key = env_key(reqs)
    marker = osp.join(venv, MARKER)
    if reinstall and osp.isdir(venv):
        shutil.rmtree(venv)
    if osp.isfile(marker) and osp.isfile(venv_python(venv)):
        with open(marker) as f:
            if json.load(f).get('key') == key:
                return venv_python(venv)
    if not osp.isfile(venv_python(venv)):
        os.makedirs(osp.dirname(osp.abspath(venv)), exist_ok=True)
        subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
    cmd = [venv_python(venv), '-m', 'pip', 'install', '--progress-bar', 'off', *reqs]
    if find_links and osp.isdir(find_links):
        cmd[4:4] = ['--find-links', find_links]
    log(f'installing {ULTRALYTICS} into the throw-away environment {venv} '
        '(first run only; a few minutes)')
    log_path = osp.join(venv, 'anchor-install.log')
    with open(log_path, 'w') as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        with open(log_path) as f:
            tail = ''.join(f.readlines()[-15:])
        raise RuntimeError(f'installing the anchor environment failed (full log: {log_path}):\n'
                           f'{tail}')
    with open(marker, 'w') as f:
        json.dump(dict(key=key, requirements=reqs), f, indent=2)
    return venv_python(venv)
