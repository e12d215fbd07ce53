"""Build the release folder from trained members: ``python tools/release.py --member NAME
[--member NAME ...] --kfold-pred PRED... --kfold-parts GT... [--stretch S] --out weights``
(``make release``).

For each member NAME (trained by ``make release-train RECIPE=NAME`` into
``work_dirs/release_NAME_stage2``): the ONNX export with its sidecar (``tools/deploy.py``, with
its parity check against PyTorch), the checkpoint stripped to the (EMA) weights the
``Detector`` needs, and the full config, into ``OUT/NAME/``. The served threshold is the F1-best
threshold of the k-fold's out-of-fold predictions pooled (``--kfold-pred``: the members' fused
predictions for an ensemble, the member's own for one model; on the path it is served with:
``--stretch`` for stretched views), scored against ``--kfold-parts`` with the reviewed ignore
regions; the k-fold estimate is the same predictions cross-calibrated (each fold at the
threshold of the others, ``tools/cross_calibrate.py``). Writes ``OUT/ensemble.json`` (members,
threshold, its origin) and ``OUT/manifest.json`` (sha256 and size of every file, recipe, code
commit, training record, training-set hash, k-fold estimate). ``OUT/README.md`` is kept.
"""
import argparse
import datetime
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmdet_ext.evaluation.cross_calibration import (cross_calibrated_f1,  # noqa: E402
                                                    image_records, pool_records)
from mmdet_ext.evaluation.matching import best_f1  # noqa: E402
from mmdet_ext.inference.release import ENSEMBLE, MANIFEST, file_entry, sha256_file  # noqa: E402

STAGE_CONFIG = 'configs/yolov8_n_tbank_real_cpu_{}{}.py'  # stage 1: '', stage 2: '_stage2'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--member', action='append', required=True,
                   help='a recipe trained by `make release-train RECIPE=NAME` (repeat)')
    p.add_argument('--kfold-pred', nargs='+', required=True,
                   help="the k-fold's out-of-fold predictions on the served path, one per fold")
    p.add_argument('--kfold-parts', nargs='+', required=True,
                   help="those folds' ground truth (COCO json), in the same order")
    p.add_argument('--ignore-regions',
                   default='projects/tbank_logo/real_photos_ignore_regions.json',
                   help='reviewed unlabelled logos (count for nothing); "" for none')
    p.add_argument('--stretch', type=float,
                   help='stretched views the threshold was chosen with (one model)')
    p.add_argument('--work-root', default='work_dirs', help='folder of the release_NAME work dirs')
    p.add_argument('--train-set', default='data/release_train/annotations.json',
                   help='the training set the members saw (its photos are hashed)')
    p.add_argument('--export-images', default='data/real_1280/images',
                   help='images for the export sample and the parity check')
    p.add_argument('--version', default=datetime.date.today().isoformat())
    p.add_argument('--out', default='weights')
    return p.parse_args(argv)


def git_commit() -> str:
    """The code's commit, with ``+dirty`` when the tracked code differs from it."""
    def run(*a):
        return subprocess.run(['git', *a], capture_output=True, text=True).stdout.strip()
    commit = run('rev-parse', 'HEAD') or 'unknown'
    dirty = run('status', '--porcelain', '--untracked-files=no', '--', 'mmdet_ext', 'projects',
                'configs', 'tools')
    return commit + ('+dirty' if dirty else '')


def threshold_and_estimate(args) -> dict:
    """The pooled F1-best threshold and the cross-calibrated estimate of the k-fold files."""
    from mmdet_ext.data_tools import apply_ignore_regions
    from tools.cross_calibrate import load_json, load_prediction_files, part_results
    if len(args.kfold_pred) != len(args.kfold_parts):
        raise SystemExit('--kfold-pred and --kfold-parts need one file each per fold')
    predictions = load_prediction_files(args.kfold_pred)
    gts = [load_json(p) for p in args.kfold_parts]
    if args.ignore_regions:
        apply_ignore_regions(gts, args.ignore_regions, require_all=False)
    parts = [part_results(path, predictions, gt) for path, gt in zip(args.kfold_parts, gts)]
    pooled = best_f1(*pool_records(image_records([r for part in parts for r in part])))
    estimate = cross_calibrated_f1(parts)
    return dict(
        score_thr=float(pooled.threshold),
        how=('the F1-best threshold of the k-fold out-of-fold predictions, all folds pooled '
             f'({len(parts)} folds, IoU 0.5'
             + (', reviewed ignore regions' if args.ignore_regions else '') + ')'),
        pooled_best=dict(f1=pooled.f1, precision=pooled.precision, recall=pooled.recall,
                         tp=pooled.tp, fp=pooled.fp, fn=pooled.fn),
        predictions=args.kfold_pred, parts=args.kfold_parts, ignore_regions=args.ignore_regions,
        kfold_estimate={k: estimate[k] for k in ('f1', 'f1_ci95', 'precision', 'recall', 'tp',
                                                 'fp', 'fn', 'draws')},
        kfold_parts=[dict(part=p, **s) for p, s in zip(args.kfold_parts, estimate['parts'])])


def strip_checkpoint(src: str, dst: str) -> None:
    """Keep the weights (EMA, which MMEngine's EMAHook saves as ``state_dict``) and the meta a
    Detector reads; drop the optimizer, the message hub and the raw EMA copy."""
    import torch

    from mmdet_ext import compat
    compat.allow_mmengine_checkpoints()
    ckpt = torch.load(src, map_location='cpu')
    meta = {k: v for k, v in ckpt.get('meta', {}).items()
            if k in ('epoch', 'iter', 'mmengine_version', 'dataset_meta', 'seed', 'time')}
    torch.save({'state_dict': ckpt['state_dict'], 'meta': meta}, dst)


def training_set_hash(path: str) -> dict:
    """sha256 of the sorted sha256s of the training set's image files, and its counts."""
    from mmdet_ext.data_tools.coco_io import load_coco
    coco = load_coco(path)
    images = osp.join(osp.dirname(path), 'images')
    digests = sorted(sha256_file(osp.join(images, im['file_name'])) for im in coco['images'])
    return dict(annotations=path, images=len(digests), boxes=len(coco['annotations']),
                sha256_of_sorted_image_sha256s=hashlib.sha256(
                    '\n'.join(digests).encode()).hexdigest())


def build_member(args, name: str, score_thr: float) -> dict:
    """Export, strip and copy one member into ``OUT/NAME``; its manifest record."""
    from mmengine.config import Config
    config1, config = STAGE_CONFIG.format(name, ''), STAGE_CONFIG.format(name, '_stage2')
    cfg = Config.fromfile(config)
    work = osp.join(args.work_root, f'release_{name}_stage2')
    checkpoint = osp.join(work, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    if not osp.isfile(checkpoint):
        raise SystemExit(f'no {checkpoint}: run `make release-train RECIPE={name}` first')
    size = max(cfg.img_scale)
    export = osp.join(work, 'deploy')
    from tools.deploy import main as deploy
    if deploy([config, checkpoint, '--work-dir', export, '--score-thr', str(score_thr),
               '--deploy-cfg', f'deploy_configs/detection_onnxruntime_static-{size}x{size}.py',
               '--images', args.export_images, '--num-images', '16']):
        raise SystemExit(f'{name}: the export failed its parity check')
    out = osp.join(args.out, name)
    os.makedirs(out, exist_ok=True)
    shutil.copy(osp.join(export, 'end2end.onnx'), osp.join(out, 'end2end.onnx'))
    with open(osp.join(export, 'end2end.json')) as f:
        sidecar = json.load(f)
    sidecar['checkpoint'] = 'model.pth'  # not the training machine's path
    with open(osp.join(out, 'end2end.json'), 'w') as f:
        json.dump(sidecar, f, indent=2)
    shutil.copy(osp.join(export, 'parity.json'), osp.join(out, 'parity.json'))
    strip_checkpoint(checkpoint, osp.join(out, 'model.pth'))
    cfg.dump(osp.join(out, 'config.py'))
    record = osp.join(work, 'training_runs.json')
    return dict(name=name, recipe=[config1, config], model=f'{name}/end2end.onnx',
                checkpoint=f'{name}/model.pth', config=f'{name}/config.py',
                input_size=size, tile_size=sidecar.get('tile_size'),
                trained_from=checkpoint,
                training=json.load(open(record)) if osp.isfile(record) else None)


def main(argv=None) -> int:
    args = parse_args(argv)
    chosen = threshold_and_estimate(args)
    thr = chosen['score_thr']
    print(f"threshold {thr} ({chosen['how']}); k-fold estimate F1 "
          f"{chosen['kfold_estimate']['f1']:.4f} (95 % {chosen['kfold_estimate']['f1_ci95']})")
    os.makedirs(args.out, exist_ok=True)
    members = [build_member(args, name, thr) for name in args.member]
    ensemble = dict(
        members=[{k: m[k] for k in ('name', 'model', 'checkpoint', 'config', 'tile_size')}
                 for m in members],
        score_thr=thr, stretch=args.stretch,
        fusion=('one model' if len(members) == 1 else
                'mmdet_ext.inference.fuse_models: score = mean over members of their best'),
        threshold_origin=chosen['how'])
    with open(osp.join(args.out, ENSEMBLE), 'w') as f:
        json.dump(ensemble, f, indent=2)
    files = {}
    for folder, _, names in os.walk(args.out):
        for n in sorted(names):
            rel = osp.relpath(osp.join(folder, n), args.out).replace(os.sep, '/')
            if rel not in (MANIFEST, 'README.md'):
                files[rel] = file_entry(osp.join(folder, n))
    manifest = dict(
        version=args.version, created=datetime.datetime.now().isoformat(timespec='seconds'),
        code_commit=git_commit(), members=members, score_thr=thr, stretch=args.stretch,
        threshold=chosen, training_set=training_set_hash(args.train_set),
        files=dict(sorted(files.items())))
    with open(osp.join(args.out, MANIFEST), 'w') as f:
        json.dump(manifest, f, indent=2)
    total = sum(e['bytes'] for e in files.values())
    print(f'{args.out}: {len(files)} files, {total / 1e6:.1f} MB; {MANIFEST} written')
    return 0


if __name__ == '__main__':
    sys.exit(main())
