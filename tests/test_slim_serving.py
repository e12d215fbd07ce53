"""Slim serving: the service and the ONNX Runtime backend import no torch or OpenMMLab stack,
and a fresh virtualenv with only ``requirements/serve.txt`` and the package (``--no-deps``)
serves the release in ``weights/``.

The fresh virtualenv installs from the package index (as ``make install`` does), once for the
module.
"""
import json
import os.path as osp
import shutil
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from mmdet_ext.evaluation.matching import box_iou
from projects.tbank_logo.service.bench import REPO, free_port, multipart, spawn_server

HEAVY = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmdet', 'mmyolo', 'mmdeploy')
SERVING = ('projects.tbank_logo.service.app', 'projects.tbank_logo.predict', 'tools.serve',
           'mmdet_ext.inference', 'mmdet_ext.inference.backends.onnxruntime_backend',
           'mmdet_ext.data_tools', 'mmdet_ext.evaluation')


def test_serving_modules_import_no_torch_or_openmmlab_stack():
    code = ('import importlib, sys\n'
            f'for m in {SERVING!r}: importlib.import_module(m)\n'
            f'print([m for m in {HEAVY!r} if m in sys.modules])')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'


@pytest.fixture(scope='module')
def slim_python(tmp_path_factory):
    venv = tmp_path_factory.mktemp('slim') / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    python = str(venv / 'bin' / 'python')
    source = tmp_path_factory.mktemp('source')  # a copy: the build leaves no files in the clone
    for name in ('mmdet_ext', 'projects'):
        shutil.copytree(osp.join(REPO, name), source / name,
                        ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('setup.py', 'README.md'):
        shutil.copy(osp.join(REPO, name), source)
    for what in (['-r', osp.join(REPO, 'requirements', 'serve.txt')], ['--no-deps', '.']):
        r = subprocess.run([python, '-m', 'pip', 'install', '-q', '--disable-pip-version-check',
                            *what], cwd=source, capture_output=True, text=True)
        assert r.returncode == 0, f'pip install {" ".join(what)}: {r.stderr[-3000:]}'
    return python


def test_a_slim_install_serves_the_release_and_finds_the_logo(slim_python, logo_photo, tmp_path):
    code = ('import importlib.util as u\n'
            f'print([m for m in {HEAVY!r} + ("mmdet_ext",) if u.find_spec(m)])')
    found = subprocess.run([slim_python, '-c', code], cwd=tmp_path, capture_output=True,
                           text=True, check=True).stdout
    assert found.strip() == "['mmdet_ext']"  # the package, and nothing of the stack
    port = free_port()
    server = spawn_server([], port, str(tmp_path / 'serve.log'), ready_timeout=60,
                          python=slim_python)
    try:
        with open(logo_photo[0], 'rb') as f:
            body, content_type = multipart(f.read())
        request = urllib.request.Request(f'http://127.0.0.1:{port}/detect', data=body,
                                         headers={'Content-Type': content_type})
        with urllib.request.urlopen(request, timeout=60) as r:
            answer = json.load(r)
    finally:
        server.terminate()
        server.wait(10)
    boxes = [tuple(d['bbox'].values()) for d in answer['detections']]
    assert boxes and box_iou(np.array(boxes), np.array([logo_photo[1]])).max() > 0.5
