"""Turn the anchor timings into the report: ratios against the target, JSON and markdown."""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

from .common import percentile, summarize

TARGET_RATIO = 0.8  # ours / Ultralytics, end-to-end, at most (issue 5)


def compare(ours_s: Sequence[float], theirs_s: Sequence[float],
            target: float = TARGET_RATIO) -> Dict:
    """Latency statistics of both sides and the ours/theirs ratios.

    ``ours_s[i]`` and ``theirs_s[i]`` are the same image timed back to back; besides the ratios
    of the medians and p90s, the median of those per-call ratios is reported: it cancels load
    that drifts during the run. The target is judged on the ratio of the medians.
    """
    if len(ours_s) != len(theirs_s) or not ours_s:
        raise ValueError(f'expected paired timings, got {len(ours_s)} and {len(theirs_s)}')
    ours, theirs = summarize(ours_s), summarize(theirs_s)
    ratio_median = ours['median_ms'] / theirs['median_ms']
    ratio_p90 = ours['p90_ms'] / theirs['p90_ms']
    paired = percentile([a / b for a, b in zip(ours_s, theirs_s)], 50)
    return dict(ours=ours, theirs=theirs, ratio_median=ratio_median, ratio_p90=ratio_p90,
                ratio_paired_median=paired, target=target, meets_target=ratio_median <= target,
                meets_target_p90=ratio_p90 <= target)


def median_split(parts: List[Dict[str, float]]) -> Dict[str, float]:
    """Per-key median of per-call timing dicts (e.g. Ultralytics' ``results[0].speed``)."""
    return {key: percentile([p[key] for p in parts], 50) for key in parts[0]} if parts else {}


SIZE_BUCKETS = ((0.5, '< 0.5 MP'), (2.0, '0.5-2 MP'), (float('inf'), '> 2 MP'))


def by_image_size(timings: Dict[str, List[Dict]]) -> Dict[str, Dict]:
    """Median end-to-end per side, and their ratio, by the decoded photo's megapixels: our
    preprocessing scales with the photo, the network does not. Needs ``shape`` on our records."""
    groups = {}
    for ours, theirs in zip(timings['ours'], timings['theirs']):
        if 'shape' not in ours:
            return {}
        mp = ours['shape'][0] * ours['shape'][1] / 1e6
        name = next(label for limit, label in SIZE_BUCKETS if mp < limit)
        groups.setdefault(name, ([], []))
        groups[name][0].append(ours['wall_s'])
        groups[name][1].append(theirs['wall_s'])
    table = {}
    for _, name in SIZE_BUCKETS:
        if name in groups:
            o, t = (percentile(v, 50) * 1000 for v in groups[name])
            table[name] = dict(calls=len(groups[name][0]), ours_ms=o, theirs_ms=t, ratio=o / t)
    return table


def build_report(meta: Dict, versions: Dict[str, Dict], timings: Dict[str, List[Dict]],
                 target: float = TARGET_RATIO) -> Dict:
    """The report of one run.

    Args:
        meta: how it was run (command, machine, date, sizes, threads...; see the CLI).
        versions: ``{'ours': {package: version}, 'theirs': {...}}``.
        timings: ``{'ours': [...], 'theirs': [...]}``, one record per call, paired by index:
            ``wall_s``, ``num_dets``, ``path`` and a split (``split_ms`` ours, ``speed_ms``
            Ultralytics' own).
    """
    ours, theirs = timings['ours'], timings['theirs']
    return dict(
        meta=meta, versions=versions,
        comparison=compare([r['wall_s'] for r in ours], [r['wall_s'] for r in theirs], target),
        ours_split_median_ms=median_split([r['split_ms'] for r in ours]),
        theirs_speed_median_ms=median_split([r['speed_ms'] for r in theirs]),
        by_image_size=by_image_size(timings),
        num_dets_mean={side: sum(r['num_dets'] for r in recs) / len(recs)
                       for side, recs in timings.items()},
        calls={side: [dict(image=osp.basename(r['path']), ms=round(r['wall_s'] * 1000, 3))
                      for r in recs] for side, recs in timings.items()})


def _row(name: str, s: Dict) -> str:
    return (f"| {name} | {s['median_ms']:.1f} | {s['p90_ms']:.1f} | {s['p99_ms']:.1f} | "
            f"{s['mean_ms']:.1f} | {s['min_ms']:.1f} | {s['n']} |")


def _split(parts: Dict[str, float]) -> str:
    return ', '.join(f'{k} {v:.1f} ms' for k, v in parts.items())


def _size_table(table) -> str:
    if not table:
        return ''
    rows = '\n'.join(f"| {name} | {r['calls']} | {r['ours_ms']:.1f} | {r['theirs_ms']:.1f} | "
                     f"{r['ratio']:.3f} |" for name, r in table.items())
    return ('| photo size | calls | ours median (ms) | Ultralytics median (ms) | ratio |\n'
            f'|---|---|---|---|---|\n{rows}\n\n')


def _onnx(meta: Dict, side: str) -> str:
    facts = meta.get('onnx', {}).get(side)
    if not facts:
        return '-'
    return f"{facts['params'] / 1e6:.2f} M, opset {facts['opset']}, {facts['size_mb']} MB"


def render_markdown(report: Dict) -> str:
    """The human-readable page of a report made by ``tools/benchmark_anchor.py``."""
    c, meta = report['comparison'], report['meta']
    verdict = 'met' if c['meets_target'] else 'NOT met'
    ours_v, theirs_v = report['versions']['ours'], report['versions']['theirs']
    versions = '\n'.join(f"| {n} | {ours_v.get(n, '-')} | {theirs_v.get(n, '-')} |"
                         for n in sorted(set(ours_v) | set(theirs_v)))
    w, h = meta['input_size']
    dets, cv2_threads = report['num_dets_mean'], meta['cv2_threads']
    return f"""# Anchor: our ONNX Runtime path vs Ultralytics YOLOv8 `predict`

`{meta['command']}`

Machine: {meta['machine']}; date: {meta['date']}; load average (1/5/15 min)
{meta['loadavg_start']} at the start, {meta['loadavg_end']} at the end{meta['noise_note']}.

**ours / Ultralytics, end-to-end: {c['ratio_median']:.3f} on the median** (p90:
{c['ratio_p90']:.3f}; median of the per-image ratios: {c['ratio_paired_median']:.3f}).
Target ≤ {c['target']} on the median: **{verdict}**.

| end-to-end per image (ms) | median | p90 | p99 | mean | min | calls |
|---|---|---|---|---|---|---|
{_row('ours: `Detector.predict_file` (decode + ONNX Runtime)', c['ours'])}
{_row('Ultralytics: `YOLO(onnx).predict(path)`', c['theirs'])}

{_size_table(report.get('by_image_size'))}Where the time goes (medians):
- ours: {_split(report['ours_split_median_ms'])};
- Ultralytics, its own `results[0].speed`: {_split(report['theirs_speed_median_ms'])}; the
  rest of its wall time is decoding, source set-up and building `Results`.

How it was measured: input {w}x{h} on both sides; {meta['num_images']} images,
{meta['images']}; {meta['warmup']} warm-up calls per side, then {meta['runs']} timed passes
over every image. Order: {meta['order']}.

| | ours | Ultralytics |
|---|---|---|
| model | `{meta['ours_model']}` | `yolov8{meta['scale']}.yaml`, `nc=1`, random weights |
| export | MMDeploy (`tools/deploy.py`) | Ultralytics' exporter ({meta['theirs_export_s']} s) |
| NMS | inside the ONNX graph | torch, after the ONNX call |
| ONNX parameters, opset, file | {_onnx(meta, 'ours')} | {_onnx(meta, 'theirs')} |
| ONNX Runtime intra-op threads | {meta['ort_threads']} | {meta['ort_threads']} |
| torch threads | - | {meta['torch_threads_theirs']} (its `select_device`) |
| OpenCV threads | {cv2_threads['ours']} | {cv2_threads['theirs']} (it sets them) |
| detections per image (mean) | {dets['ours']:.2f} | {dets['theirs']:.2f} |

The ONNX Runtime thread count is set on both sides through the same `InferenceSession`
wrapper; the rest is left as each side sets it. Ultralytics runs in a throw-away environment
whose torch is the CUDA build, run on the CPU (this machine's CPU torch has no torchvision
that imports beside it).

| package | ours | Ultralytics |
|---|---|---|
{versions}
"""


def write_report(report: Dict, out_base: str) -> str:
    """Write ``out_base.json`` and ``out_base.md``; returns the markdown."""
    md = render_markdown(report)
    os.makedirs(osp.dirname(osp.abspath(out_base)), exist_ok=True)
    with open(out_base + '.json', 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=2)
    with open(out_base + '.md', 'w', encoding='utf-8') as f:
        f.write(md)
    return md
