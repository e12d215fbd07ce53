r"""Seconds per training step of a config's model, in each memory layout and precision:

    python tools/benchmark_train_step.py configs/yolov8_n_tbank_real_cpu.py [--batch 8]

A full ``model.train_step`` (data preprocessor, forward, the config's loss with its assigner,
backward, optimizer step) on a seeded batch of random images with a few random boxes each, at
the config's training input size, so only the model is timed, not the data pipeline. Layouts:
``nchw`` (PyTorch's default) and ``nhwc`` (what ``ChannelsLastHook`` sets up), timed in turn
for ``--rounds`` rounds of ``--warmup`` untimed and ``--steps`` timed steps each, a fresh
model every time. Precisions: ``float32`` and ``bfloat16`` (what ``AutocastHook`` sets up:
the convolutions autocast, the rest float32), each combined with each layout. Prints each
variant's median and p90 step (``tools/anchor/common.summarize``,
as the other benchmarks); ``--out`` writes ``OUT.json`` and ``OUT.md`` with the machine and
the date.
"""
import argparse
import datetime
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from tools.anchor.bench import machine  # noqa: E402
from tools.anchor.common import summarize  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=type(
        'F', (argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter), {}))
    parser.add_argument('config')
    parser.add_argument('--batch', type=int, help="batch size (default: the config's)")
    parser.add_argument('--img-size', type=int, help="input side (default: the config's)")
    parser.add_argument('--layouts', nargs='+', choices=('nchw', 'nhwc'),
                        default=['nchw', 'nhwc'])
    parser.add_argument('--precisions', nargs='+', choices=('float32', 'bfloat16'),
                        default=['float32'])
    parser.add_argument('--steps', type=int, default=5, help='timed steps per variant and round')
    parser.add_argument('--rounds', type=int, default=2,
                        help='the variants are timed in turn this many times (order effects)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps first')
    parser.add_argument('--threads', type=int, help='torch threads (default: torch decides)')
    parser.add_argument('--out', help='write OUT.json and OUT.md')
    return parser.parse_args(argv)


def random_batch(batch: int, size: int, seed: int = 0) -> dict:
    """A collated training batch: random images with 1-3 random boxes each."""
    import torch
    from mmdet.structures import DetDataSample
    from mmdet.structures.bbox import HorizontalBoxes
    from mmengine.structures import InstanceData
    from mmyolo.datasets import yolov5_collate
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch):
        n = int(torch.randint(1, 4, (1, ), generator=g))
        xy = torch.rand(n, 2, generator=g) * size * 0.7
        wh = 8 + torch.rand(n, 2, generator=g) * size * 0.25
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        sample.gt_instances = InstanceData(bboxes=HorizontalBoxes(torch.cat([xy, xy + wh], 1)),
                                           labels=torch.zeros(n, dtype=torch.long))
        image = torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g)
        samples.append(dict(inputs=image, data_samples=sample))
    return yolov5_collate(samples)


def time_variant(cfg, layout: str, precision: str, batch: dict, steps: int,
                 warmup: int) -> list:
    """Seconds of each timed train step with the model in ``layout`` and ``precision``."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmyolo.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    if layout == 'nhwc':  # what ChannelsLastHook does before training
        from mmdet_ext.engine.hooks.channels_last_hook import convert_to_channels_last
        convert_to_channels_last(model)
    if precision == 'bfloat16':  # what AutocastHook does before training
        from mmdet_ext.engine.hooks.autocast_hook import YOLOV8_CONV_MODULES, enable_autocast
        enable_autocast(model, YOLOV8_CONV_MODULES, torch.bfloat16)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    seconds = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        model.train_step(batch, optim_wrapper)
        if i >= warmup:
            seconds.append(time.perf_counter() - start)
    return seconds


def variant_name(layout: str, precision: str) -> str:
    """``nhwc`` for float32 (the name the first reports used), ``nhwc+bfloat16`` otherwise."""
    return layout if precision == 'float32' else f'{layout}+{precision}'


def write_report(meta: dict, rows: dict, out: str) -> None:
    """``out.json`` (meta and each layout's timings) and ``out.md`` (a table of them)."""
    with open(out + '.json', 'w', encoding='utf-8') as f:
        json.dump(dict(meta, variants=rows), f, indent=2)
    lines = [f'# Training step time by memory layout and precision ({meta["date"]})', '',
             f'Command: `{meta["command"]}`; machine: {meta["machine"]}; torch '
             f'{meta["torch"]}, {meta["threads"]} threads.', '',
             '| variant | median s/step | p90 | min | max | steps |', '|---|---|---|---|---|---|']
    lines += [f'| {k} | {v["median_ms"] / 1000:.3f} | {v["p90_ms"] / 1000:.3f} | '
              f'{v["min_ms"] / 1000:.3f} | {v["max_ms"] / 1000:.3f} | {v["n"]} |'
              for k, v in rows.items()]
    with open(out + '.md', 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmdet_ext.components  # noqa: F401  (registers the config's components)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmyolo'))
    size = args.img_size or cfg.img_scale[0]
    batch_size = args.batch or cfg.train_dataloader.batch_size
    batch = random_batch(batch_size, size)
    variants = [(layout, precision) for precision in args.precisions for layout in args.layouts]
    seconds = {variant_name(*v): [] for v in variants}
    for _ in range(args.rounds):
        for layout, precision in variants:
            seconds[variant_name(layout, precision)] += time_variant(
                cfg, layout, precision, batch, args.steps, args.warmup)
    rows = {k: dict(summarize(v), seconds=v) for k, v in seconds.items()}
    for name, row in rows.items():
        print(f'{name}: {row["median_ms"] / 1000:.3f} s/step (median of {row["n"]}, p90 '
              f'{row["p90_ms"] / 1000:.3f} s; batch {batch_size}, {size} px)', flush=True)
    if args.out:
        meta = dict(command=' '.join(['python tools/benchmark_train_step.py', *sys.argv[1:]]),
                    machine=machine(), date=datetime.date.today().isoformat(),
                    torch=torch.__version__, threads=torch.get_num_threads(),
                    config=args.config, batch=batch_size, img_size=size)
        write_report(meta, rows, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
