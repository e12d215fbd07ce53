"""What the command-line tools share: reading a config with the common options applied, and
listing images (the part that tools without a config use: it imports no mmengine)."""
import os.path as osp


def load_config(args):
    """``args.config`` with ``--cfg-options``, ``--launcher`` and ``--work-dir`` applied.

    The work dir is, in this order: ``--work-dir``, the config's ``work_dir``,
    ``./work_dirs/<config name>`` (as in MMYOLO's tools).
    """
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')


def list_images(paths, limit=None):
    """Image files named in ``paths`` (files or folders, folders listed sorted), at most
    ``limit``."""
    import os
    found = []
    for path in paths:
        if osp.isdir(path):
            found += sorted(osp.join(path, name) for name in os.listdir(path)
                            if name.lower().endswith(IMAGE_EXTENSIONS))
        elif osp.isfile(path):
            found.append(path)
        else:
            raise FileNotFoundError(f'no such image or folder: {path}')
    return found[:limit] if limit else found


def config_test_images(cfg, limit=None):
    """The first ``limit`` image paths of a config's test dataset (its COCO ``ann_file``)."""
    import json
    dataset = cfg.test_dataloader.dataset
    root = dataset.get('data_root', '')
    with open(osp.join(root, dataset.ann_file)) as f:
        names = [img['file_name'] for img in json.load(f)['images']]
    prefix = osp.join(root, dataset.get('data_prefix', {}).get('img', ''))
    names = names[:limit] if limit else names
    return [osp.join(prefix, name) for name in names]
