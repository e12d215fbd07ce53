"""The Ultralytics side of the anchor benchmark; runs inside the throw-away environment.

    <anchor-venv>/bin/python tools/anchor/worker.py --size 320 320 --work-dir DIR --threads 2

Builds a one-class YOLOv8 from Ultralytics' own ``yolov8{scale}.yaml`` (random weights, nothing
downloaded), exports it with Ultralytics' exporter, loads the ONNX file with ``YOLO`` and then
answers one JSON request per line on stdin with one JSON line on the protocol stream:
``{"path": P}`` -> the wall time of ``model.predict(P, ...)`` and Ultralytics' own speed split;
``{"info": true}`` -> versions and thread settings; ``{"quit": true}`` ends it. Ultralytics'
log goes to stderr, so stdout carries nothing but the protocol.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from common import pin_ort_threads  # noqa: E402  (stdlib-only sibling; this project is absent)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, nargs=2, required=True, metavar=('H', 'W'))
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--scale', default='n', help='YOLOv8 size letter')
    parser.add_argument('--threads', type=int, default=0, help='ONNX Runtime intra-op threads')
    return parser.parse_args(argv)


def protocol_stream():
    """A private copy of stdout for the replies; fd 1 then points at stderr for every log."""
    stream = os.fdopen(os.dup(1), 'w', buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def offline_env(work_dir: str) -> None:
    """No network, no auto-installs, settings kept in the work dir (not ~/.config)."""
    os.environ.setdefault('YOLO_OFFLINE', '1')
    os.environ.setdefault('YOLO_AUTOINSTALL', 'False')
    os.environ.setdefault('YOLO_CONFIG_DIR', osp.join(work_dir, 'ultralytics-config'))


def export_onnx(work_dir: str, scale: str, size) -> str:
    """A one-class ``yolov8{scale}`` exported to ONNX by Ultralytics; returns the file."""
    import yaml
    from ultralytics import YOLO
    from ultralytics.nn.tasks import yaml_model_load
    cfg = yaml_model_load(f'yolov8{scale}.yaml')
    cfg.update(nc=1)
    cfg.pop('yaml_file', None)
    path = osp.join(work_dir, f'yolov8{scale}-1cls.yaml')  # the name carries the scale letter
    with open(path, 'w') as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    onnx_path = YOLO(path, task='detect').export(format='onnx', imgsz=list(size), batch=1,
                                                 dynamic=False, device='cpu')
    return osp.abspath(onnx_path)


def versions() -> dict:
    import platform
    from importlib.metadata import version
    found = {name: version(name) for name in ('ultralytics', 'torch', 'torchvision', 'onnxruntime',
                                              'onnx', 'onnxslim', 'opencv-python', 'numpy')}
    return dict(found, python=platform.python_version())


def facts(model) -> dict:
    """Versions and the thread counts in force (after a ``predict``, which sets them)."""
    import cv2
    import torch
    session = model.predictor.model.backend.session if model.predictor else None
    return dict(versions=versions(), torch_threads=torch.get_num_threads(),
                cv2_threads=cv2.getNumThreads(),
                ort_intra_op_threads=session.get_session_options().intra_op_num_threads
                if session is not None else None)


def main(argv=None) -> int:
    args = parse_args(argv)
    out = protocol_stream()
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    os.chdir(work_dir)  # the exporter writes beside relative names
    offline_env(work_dir)
    pin_ort_threads(args.threads)  # torch's thread count is left to Ultralytics, and reported
    start = time.perf_counter()
    onnx_path = export_onnx(work_dir, args.scale, args.size)
    from ultralytics import YOLO
    model = YOLO(onnx_path, task='detect')
    out.write(json.dumps(dict(ready=True, onnx=onnx_path,
                              export_s=time.perf_counter() - start)) + '\n')
    for line in sys.stdin:
        request = json.loads(line)
        if request.get('quit'):
            break
        if request.get('info'):
            reply = facts(model)
        else:
            t0 = time.perf_counter()
            result = model.predict(request['path'], imgsz=list(args.size), device='cpu',
                                   verbose=False)[0]
            wall = time.perf_counter() - t0
            reply = dict(wall_s=wall, speed_ms=result.speed, num_dets=len(result.boxes))
        out.write(json.dumps(reply) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
