"""What training runs did, kept beside their predictions:
``python tools/summarize_training.py WORK_DIR [WORK_DIR ...] --out FILE.json``.

MMEngine keeps a run's record in its work dir, which is lost with the machine: one
``TIMESTAMP/`` folder per start (a resumed run has several) with the log and
``vis_data/scalars.json``, and the hooks' ``env.json`` (``ReproducibilityHook``) and
``hard_negatives.json`` (``HardNegativeMiningHook``). This writes, per work dir (one training
stage), what a report quotes: each start's first and last logged time, its logged iterations and
median seconds per iteration, the validation metrics of each validated epoch (the last logged
where a resume validated an epoch again), the hard negatives mined per epoch, and the
reproducibility record.
"""
import argparse
import glob
import json
import os.path as osp
import re
import statistics
import sys
from collections import Counter
from datetime import datetime
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmdet_ext.data_tools.coco_io import save_coco  # noqa: E402  (any json, atomically)
from mmdet_ext.evaluation.report import BAD_INPUT_ERRORS, bad_input_message  # noqa: E402

# the lines of MMEngine's log file start with `YYYY/MM/DD HH:MM:SS - mmengine`
LOG_TIME = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) - mmengine', re.M)
RUN_DIR = re.compile(r'^\d{8}_\d{6}$')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('work_dirs', nargs='+', help='work dirs of tools/train.py, in order')
    parser.add_argument('--out', required=True, help='the summary .json to write')
    return parser.parse_args(argv)


def read_json(path: str, default=None):
    """A json file's content, ``default`` when it does not exist."""
    if not osp.isfile(path):
        return default
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def read_scalars(path: str) -> List[dict]:
    """The records of a ``scalars.json`` (one json object a line); a line cut short by a killed
    run is skipped."""
    records = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def log_span(run_dir: str) -> Optional[dict]:
    """First and last logged time of one start (ISO format), from its log file."""
    log = osp.join(run_dir, osp.basename(run_dir) + '.log')
    if not osp.isfile(log):
        return None
    with open(log, encoding='utf-8', errors='replace') as f:
        stamps = LOG_TIME.findall(f.read())
    if not stamps:
        return None
    first, last = (datetime.strptime(s, '%Y/%m/%d %H:%M:%S') for s in (stamps[0], stamps[-1]))
    return dict(first=first.isoformat(), last=last.isoformat(),
                minutes=round((last - first).total_seconds() / 60, 1))


def run_records(run_dir: str) -> List[dict]:
    """The records of one start's ``vis_data/scalars.json`` (none when it has not logged)."""
    path = osp.join(run_dir, 'vis_data', 'scalars.json')
    return read_scalars(path) if osp.isfile(path) else []


def summarize_run(run_dir: str, records: List[dict]) -> dict:
    """One start of a training: its logged span and training iterations."""
    train = [r for r in records if 'loss' in r]
    times = [r['time'] for r in train if 'time' in r]
    return dict(
        run=osp.basename(run_dir), log=log_span(run_dir),
        first_iter=train[0]['step'] if train else None,
        last_iter=train[-1]['step'] if train else None,
        last_epoch=train[-1].get('epoch') if train else None,
        median_s_per_iter=round(statistics.median(times), 4) if times else None)


def validation(records: List[dict]) -> List[dict]:
    """Each validated epoch's metrics (keys with a ``/``, e.g. ``tbank/f1``), epoch by epoch;
    the last record of an epoch wins."""
    by_epoch = {}
    for r in records:
        metrics = {k: v for k, v in r.items() if '/' in k}
        if 'loss' not in r and 'step' in r and metrics:
            by_epoch[r['step']] = dict(epoch=r['step'], **metrics)
    return [by_epoch[e] for e in sorted(by_epoch)]


def mined_by_epoch(work_dir: str) -> dict:
    """How many hard negatives were mined after each epoch (``{epoch: count}``)."""
    mined = read_json(osp.join(work_dir, 'hard_negatives.json'), [])
    return dict(Counter(str(entry.get('epoch')) for entry in mined))


def summarize(work_dir: str) -> dict:
    """The summary of one work dir; ``FileNotFoundError`` when it holds no training run."""
    run_dirs = sorted(d for d in glob.glob(osp.join(work_dir, '*'))
                      if osp.isdir(d) and RUN_DIR.match(osp.basename(d)))
    if not run_dirs:
        raise FileNotFoundError(f'{work_dir}: no MMEngine run folder (YYYYMMDD_HHMMSS) in it')
    records = [run_records(d) for d in run_dirs]
    return dict(work_dir=work_dir, runs=[summarize_run(d, r) for d, r in zip(run_dirs, records)],
                val=validation([r for run in records for r in run]),
                hard_negatives_by_epoch=mined_by_epoch(work_dir),
                env=read_json(osp.join(work_dir, 'env.json')))


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        stages = [summarize(d) for d in args.work_dirs]
    except BAD_INPUT_ERRORS as e:
        print(bad_input_message(e), file=sys.stderr)
        return 1
    save_coco(dict(stages=stages), args.out, indent=1)  # never a half-written summary
    print(f'{len(stages)} stage(s) -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
