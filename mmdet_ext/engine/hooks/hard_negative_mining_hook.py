"""Find the negative images the current model fires on and sample them more often."""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.hooks import Hook
from mmyolo.registry import HOOKS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def unwrap_dataset(dataset):
    """The innermost dataset of wrappers that keep it as ``.dataset`` (repeat, class-balanced)."""
    while hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    return dataset


def list_images(folder: str) -> List[str]:
    """Image files under ``folder`` (recursively), sorted."""
    paths = glob.glob(osp.join(folder, '**', '*'), recursive=True)
    return sorted(p for p in paths if p.lower().endswith(IMG_EXTENSIONS))


def negative_image_paths(dataset) -> List[str]:
    """Paths of the images of ``dataset`` (wrappers unwrapped) without a non-ignored box."""
    dataset = unwrap_dataset(dataset)
    dataset.full_init()
    paths = []
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        if not any(not i.get('ignore_flag', 0) for i in info.get('instances', [])):
            paths.append(info['img_path'])
    return paths


def restart_persistent_workers(dataloader) -> bool:
    """Shut down the workers a ``persistent_workers`` loader keeps between epochs.

    Each worker holds its own copy of the dataset, taken when it started; after the dataset
    changed, the next epoch must start new workers, or they index the old copy. Uses the
    private ``DataLoader._iterator`` (PyTorch keeps the persistent iterator there).
    """
    iterator = getattr(dataloader, '_iterator', None)
    if iterator is None:
        return False
    if hasattr(iterator, '_shutdown_workers'):
        iterator._shutdown_workers()
    dataloader._iterator = None
    return True


@HOOKS.register_module()
class HardNegativeMiningHook(Hook):
    """Hard-negative mining: every ``interval`` epochs run the current model over a pool of
    negative images and sample the ones it fires on ``weight`` times more often.

    After training epoch ``start_epoch`` (and every ``interval`` epochs after it; ``interval=0``
    mines once), the model (training weights, eval mode, no gradient) predicts on the pool with
    the test pipeline of ``runner.cfg`` (annotation loading removed). An image with a detection
    scoring ``>= score_thr`` is a hard negative. The ``max_images`` highest scoring of a round
    are added to the list, which is

    * written to ``work_dir/hard_negatives.json`` (``[{img_path, max_score, epoch}]``);
    * handed to the training set: ``train_dataloader.dataset.add_images(paths, weight)``, as
      offered by :class:`mmdet_ext.datasets.SmallObjectRepeatDataset`. It only re-weights
      images of the training set, so a folder pool must be part of it (e.g. a negatives folder
      listed in the train json); with another dataset the list is only written, with a warning;
    * saved in the checkpoint meta (``meta['hard_negatives']``) and restored on ``--resume``,
      re-applied to the fresh dataset before training continues.

    **When the weights take effect.** The new indices are used from the next epoch on: the
    sampler draws from the wrapper's index list in the main process each epoch, and the workers
    of a ``persistent_workers`` loader, which hold a copy of the old dataset, are shut down so
    that the next epoch starts new ones (with ``persistent_workers=False`` every epoch does).
    MMEngine's ``DefaultSampler`` keeps its epoch length, so the schedule's iteration count is
    unchanged and each epoch draws that many samples from the longer, re-weighted list.

    Every rank mines the whole pool (same weights, same result), which keeps the datasets of
    all ranks equal.

    Example (config)::

        train_dataloader = dict(dataset=dict(
            _delete_=True, type='SmallObjectRepeatDataset', dataset=_base_.train_dataset))
        custom_hooks = [dict(type='HardNegativeMiningHook', pool='train_negatives',
                             interval=10, start_epoch=20, score_thr=0.3, weight=3.0)]

    Args:
        pool (str): A folder of negative images (searched recursively), or ``'train_negatives'``
            for the training images without boxes. Defaults to ``'train_negatives'``.
        interval (int): Epochs between mining rounds after the first; 0 mines once.
            Defaults to 10.
        start_epoch (int, optional): Epoch after which the first round runs. Defaults to
            ``interval``.
        score_thr (float): Score from which a detection on a negative is a false positive.
            Defaults to 0.3.
        weight (float): Sampling factor of mined images. Defaults to 3.0.
        max_images (int, optional): At most this many images mined per round (highest scores
            first). Defaults to None (all).
        batch_size (int): Images per forward pass. Defaults to 8.
        pipeline (list[dict], optional): Test pipeline. Defaults to the one of
            ``test_dataloader`` (else ``val_dataloader``) in ``runner.cfg``.
        out_file (str): File name in the work dir. Defaults to ``'hard_negatives.json'``.
    """

    priority = 'NORMAL'  # before CheckpointHook (VERY_LOW): an epoch's checkpoint has its list

    def __init__(self,
                 pool: str = 'train_negatives',
                 interval: int = 10,
                 start_epoch: Optional[int] = None,
                 score_thr: float = 0.3,
                 weight: float = 3.0,
                 max_images: Optional[int] = None,
                 batch_size: int = 8,
                 pipeline: Optional[Sequence[dict]] = None,
                 out_file: str = 'hard_negatives.json'):
        start_epoch = interval if start_epoch is None else start_epoch
        if interval < 0 or start_epoch < 1:
            raise ValueError(f'need interval >= 0 and start_epoch >= 1, got interval={interval}, '
                             f'start_epoch={start_epoch}')
        if pool != 'train_negatives' and not osp.isdir(pool):
            raise FileNotFoundError(f'HardNegativeMiningHook: pool {pool!r} is neither '
                                    "'train_negatives' nor a folder")
        self.pool = pool
        self.interval = interval
        self.start_epoch = start_epoch
        self.score_thr = score_thr
        self.weight = weight
        self.max_images = max_images
        self.batch_size = batch_size
        self.pipeline = pipeline
        self.out_file = out_file
        self.mined: Dict[str, dict] = {}  # img_path -> {img_path, max_score, epoch}
        self._restored = False

    # ------------------------------------------------------------------ schedule
    def should_mine(self, completed_epochs: int) -> bool:
        """Whether a round runs after ``completed_epochs`` epochs."""
        since = completed_epochs - self.start_epoch
        if since < 0:
            return False
        return since == 0 or (self.interval > 0 and since % self.interval == 0)

    def after_train_epoch(self, runner) -> None:
        completed = runner.epoch + 1  # the loop increments its epoch after this hook
        if not self.should_mine(completed):
            return
        records = self.mine(runner, epoch=completed)
        new = [r for r in records if r['img_path'] not in self.mined]
        self.mined.update({r['img_path']: r for r in records})
        runner.logger.info(f'HardNegativeMiningHook: epoch {completed}: {len(records)} hard '
                           f'negatives (score >= {self.score_thr}), {len(new)} new, '
                           f'{len(self.mined)} in all')
        self._write(runner)
        self._apply(runner, [r['img_path'] for r in new])

    # ------------------------------------------------------------------ mining
    def pool_paths(self, runner) -> List[str]:
        """The image paths to mine."""
        if self.pool == 'train_negatives':
            return negative_image_paths(runner.train_dataloader.dataset)
        return list_images(self.pool)

    def _build_pipeline(self, runner) -> Compose:
        pipeline = self.pipeline
        if pipeline is None:
            loader = runner.cfg.get('test_dataloader') or runner.cfg.get('val_dataloader')
            pipeline = loader['dataset']['pipeline']
        # Pool images have no annotations to load.
        return Compose([t for t in pipeline if not str(t['type']).endswith('LoadAnnotations')])

    @torch.no_grad()
    def score_images(self, runner, paths: Sequence[str]) -> List[float]:
        """The highest detection score of the current model on each image (0 if none)."""
        pipeline = self._build_pipeline(runner)
        model = runner.model
        was_training = model.training
        model.eval()
        scores = []
        try:
            for start in range(0, len(paths), self.batch_size):
                batch = [pipeline(dict(img_path=p, img_id=start + i))
                         for i, p in enumerate(paths[start:start + self.batch_size])]
                for sample in model.test_step(pseudo_collate(batch)):
                    image_scores = sample.pred_instances.scores
                    scores.append(float(image_scores.max()) if len(image_scores) else 0.0)
        finally:
            model.train(was_training)
        return scores

    def mine(self, runner, epoch: int) -> List[dict]:
        """Records ``{img_path, max_score, epoch}`` of the pool images scoring ``>=
        score_thr``, highest first, at most ``max_images``."""
        paths = self.pool_paths(runner)
        scores = self.score_images(runner, paths)
        records = [dict(img_path=p, max_score=round(s, 4), epoch=epoch)
                   for p, s in zip(paths, scores) if s >= self.score_thr]
        records.sort(key=lambda r: -r['max_score'])
        return records[:self.max_images] if self.max_images is not None else records

    # ------------------------------------------------------------------ outputs
    def _write(self, runner) -> None:
        path = osp.join(runner.work_dir, self.out_file)
        os.makedirs(runner.work_dir, exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(list(self.mined.values()), f, indent=1)

    def _apply(self, runner, paths: List[str]) -> None:
        """Hand ``paths`` to the training set with the mining weight."""
        if not paths:
            return
        dataloader = runner.train_dataloader
        dataset = dataloader.dataset
        if not hasattr(dataset, 'add_images'):
            runner.logger.warning(
                f'HardNegativeMiningHook: the training dataset ({type(dataset).__name__}) has '
                'no add_images(); the mined images are only listed in '
                f'{self.out_file}. Wrap it in SmallObjectRepeatDataset to sample them more.')
            return
        matched = dataset.add_images(paths, self.weight)
        if matched is not None and matched < len(paths):
            runner.logger.warning(
                f'HardNegativeMiningHook: {len(paths) - matched} of {len(paths)} mined images '
                'are not in the training set and cannot be re-weighted')
        restart_persistent_workers(dataloader)

    # ------------------------------------------------------------------ resume
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['hard_negatives'] = list(self.mined.values())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """On resume, take the list back (``load_from`` alone starts a new mining history)."""
        if not getattr(runner, '_resume', False):
            return
        records = checkpoint.get('meta', {}).get('hard_negatives') or []
        self.mined = {r['img_path']: dict(r) for r in records}
        self._restored = True

    def before_train(self, runner) -> None:
        """Re-apply a restored list to the (freshly built) training set."""
        if self._restored and self.mined:
            runner.logger.info(f'HardNegativeMiningHook: {len(self.mined)} hard negatives '
                               'restored from the checkpoint')
            self._write(runner)
            self._apply(runner, list(self.mined))
        self._restored = False
