"""What the command-line tools share: reading a config with the common options applied."""
import os.path as osp

from mmengine.config import Config


def load_config(args) -> Config:
    """``args.config`` with ``--cfg-options``, ``--launcher`` and ``--work-dir`` applied.

    The work dir is, in this order: ``--work-dir``, the config's ``work_dir``,
    ``./work_dirs/<config name>`` (as in MMYOLO's tools).
    """
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg
