"""Time our ONNX Runtime path and Ultralytics' ``predict`` on the same images, interleaved."""
import json
import os
import os.path as osp
import platform
import random
import select
import subprocess
import time
from typing import Dict, List, Optional

import numpy as np

# one definition, shared with the training record (ReproducibilityHook)
from mmdet_ext.environment import machine  # noqa: F401

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
WORKER = osp.join(osp.dirname(osp.abspath(__file__)), 'worker.py')


def sample_images(root: str, num: int, seed: int = 0) -> List[str]:
    """A fixed, seeded sample of ``num`` image files found under ``root`` (recursively).

    A photo met in several folders (same 32-hex name prefix) counts once; ``num <= 0`` keeps all.
    The paths are absolute.
    """
    every = sorted(osp.join(dirpath, name)  # absolute: the worker runs in another folder
                   for dirpath, _, files in os.walk(osp.abspath(root)) for name in files
                   if name.lower().endswith(IMAGE_EXTS))
    from mmdet_ext.data_tools.coco_io import group_key_from_name
    found = {}
    for path in every:  # sorted first, so the copy kept does not depend on the file system
        found.setdefault(group_key_from_name(path) or path, path)
    paths = sorted(found.values())
    if not paths:
        raise FileNotFoundError(f'no images ({", ".join(IMAGE_EXTS)}) under {root}')
    if 0 < num < len(paths):
        paths = sorted(random.Random(seed).sample(paths, num))
    return paths


def cpu_snapshot(pids: List[int]) -> Optional[Dict[str, float]]:
    """Busy CPU seconds of the whole machine and of ``pids``, from ``/proc`` (None elsewhere)."""
    tick = os.sysconf('SC_CLK_TCK')
    try:
        with open('/proc/stat') as f:
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(
                int, f.readline().split()[1:9])
        own = 0
        for pid in pids:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            own += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError):
        return None
    busy = user + nice + system + irq + softirq + steal
    return dict(wall=time.monotonic(), machine=busy / tick, own=own / tick)


def others_cpu_share(before: Optional[Dict], after: Optional[Dict]) -> Optional[float]:
    """The share of the machine's CPU capacity that other processes used between snapshots: the
    noise indicator of a timing run (0: nothing else ran)."""
    if before is None or after is None:
        return None
    capacity = (after['wall'] - before['wall']) * (os.cpu_count() or 1)
    others = (after['machine'] - before['machine']) - (after['own'] - before['own'])
    return max(0.0, others / capacity) if capacity > 0 else None


class UltralyticsWorker:
    """The worker process in the throw-away environment, one JSON line each way per request."""

    def __init__(self, python: str, size, work_dir: str, threads: int, scale: str = 'n',
                 timeout_s: float = 900):
        os.makedirs(work_dir, exist_ok=True)
        self.log_path = osp.join(work_dir, 'ultralytics.log')
        self._log = open(self.log_path, 'w')
        # The throw-away env must not see this project's venv or PYTHONPATH.
        env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
        self.proc = subprocess.Popen(
            [python, WORKER, '--size', str(size[0]), str(size[1]), '--work-dir', work_dir,
             '--threads', str(threads), '--scale', scale],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        self.ready = self._read(timeout_s)

    def _read(self, timeout_s: Optional[float] = None) -> Dict:
        if timeout_s is not None and not select.select([self.proc.stdout], [], [], timeout_s)[0]:
            self.proc.kill()
            raise TimeoutError(f'the Ultralytics worker gave no answer in {timeout_s:.0f} s; '
                               f'log {self.log_path}')
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self._log.flush()
            with open(self.log_path) as f:
                tail = ''.join(f.readlines()[-20:])
            raise RuntimeError(f'the Ultralytics worker exited ({self.proc.returncode}); '
                               f'log {self.log_path}:\n{tail}')
        return json.loads(line)

    def request(self, **kwargs) -> Dict:
        self.proc.stdin.write(json.dumps(kwargs) + '\n')
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps(dict(quit=True)) + '\n')
                self.proc.stdin.close()
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self._log.close()


class TimedRuntime:
    """Wraps a :class:`~mmdet_ext.inference.Detector`'s backend to time the network call alone
    (ONNX Runtime, NMS included), so the rest of ``predict`` is pre- and postprocessing."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.last_s = 0.0

    def __call__(self, batch):
        t0 = time.perf_counter()
        out = self.runtime(batch)
        self.last_s = time.perf_counter() - t0
        return out

    def __getattr__(self, name):  # max_batch, session, ...
        return getattr(self.runtime, name)


def time_ours(detector, path: str) -> Dict:
    """One end-to-end call of our path: ``Detector.predict_file`` (decode, a large JPEG at
    reduced size, then preprocess, infer, postprocess).

    The split follows Ultralytics' ``speed`` keys when ``detector.runtime`` is a
    :class:`TimedRuntime`: ``inference`` is the network, ``decode+pre+postprocess`` the rest.
    """
    t0 = time.perf_counter()
    dets = detector.predict_file(path)
    wall = time.perf_counter() - t0
    network = getattr(detector.runtime, 'last_s', None)
    split = ({'decode+pre+postprocess': (wall - network) * 1000, 'inference': network * 1000}
             if network is not None else {'predict': wall * 1000})
    return dict(wall_s=wall, split_ms=split, num_dets=len(dets), shape=image_shape(path))


def image_shape(path: str):
    """``(height, width)`` from the file header."""
    from PIL import Image
    with Image.open(path) as img:
        return img.size[::-1]


def run_interleaved(detector, worker: UltralyticsWorker, paths: List[str], warmup: int,
                    runs: int, progress: bool = True) -> Dict[str, List[Dict]]:
    """Warm both up, then time ``runs`` passes over ``paths``.

    Each image is timed on both sides back to back, alternating which side goes first (from
    image to image and from pass to pass), so a change of machine load hits both alike; only
    one side computes at a time (the other waits on its pipe). The Ultralytics wall time is
    measured inside its process, without the pipe.
    """
    from tqdm import tqdm
    for i in range(warmup):
        time_ours(detector, paths[i % len(paths)])
        worker.request(path=paths[i % len(paths)])
    ours, theirs = [], []
    with tqdm(total=runs * len(paths) * 2, desc='timing', unit='call',
              disable=not progress) as bar:
        for run in range(runs):
            for i, path in enumerate(paths):
                sides = [('ours', lambda p=path: time_ours(detector, p)),
                         ('theirs', lambda p=path: worker.request(path=p))]
                for name, call in sides if (run + i) % 2 == 0 else sides[::-1]:
                    record = dict(call(), path=path)
                    (ours if name == 'ours' else theirs).append(record)
                    bar.update()
    return dict(ours=ours, theirs=theirs)


def onnx_facts(path: str) -> Dict:
    """Parameter count, opset and input shape of an ONNX file: evidence of "the same size"."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return dict(params=params, opset=max(o.version for o in model.opset_import
                                         if o.domain in ('', 'ai.onnx')),
                input_shape=[d.dim_value or d.dim_param for d in dims],
                size_mb=round(osp.getsize(path) / 2**20, 1))


def our_versions() -> Dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    found = {}
    for name in ('torch', 'onnxruntime', 'onnx', 'opencv-python', 'numpy', 'mmdeploy', 'mmyolo'):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    found['python'] = platform.python_version()
    return found
