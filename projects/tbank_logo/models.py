"""Which model the service (``tools/serve.py``) and ``tools/predict.py`` load: the release in
``weights/`` unless ``--model`` names others, with the threshold and path it was chosen for.

One choice for both tools, so that a photo gets the same answer from either.
"""
import os.path as osp
from dataclasses import dataclass
from functools import cached_property
from typing import List, Optional

from .service.settings import ServiceSettings

#: The release shipped with the repository (``tools/release.py`` builds it).
RELEASE_DIR = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'weights')


@dataclass
class ModelChoice:
    """The models to load and how they are served.

    Attributes:
        models: model files (``.onnx``, ``.engine``, ``.pth``); empty: the release.
        configs: one config per model, or empty (needed for ``.pth``).
        release_dir: the release folder used when ``models`` is empty.
        score_thr: the answer's threshold; None: the release's, else each model's calibrated.
    """
    models: List[str]
    configs: List[str]
    release_dir: str = RELEASE_DIR
    score_thr: Optional[float] = None

    @cached_property
    def release(self):
        """The :class:`~mmdet_ext.inference.release.Release` (manifest checked) when no
        ``models`` are named, else None; read once (a failure is raised again each time)."""
        if self.models:
            return None
        from mmdet_ext.inference.release import Release
        return Release(self.release_dir)

    def problem(self) -> Optional[str]:
        """What is wrong with the choice, checked before anything heavy loads (None: nothing).
        For the release this reads its manifest and checks the ensemble file's sha256."""
        if not self.models:
            try:
                self.release
            except (OSError, ValueError) as e:
                return f'release in {self.release_dir}: {e}'
            return None
        if self.configs and len(self.configs) != len(self.models):
            return (f'{len(self.configs)} --config for {len(self.models)} --model: give none '
                    'or one per model')
        for model, config in zip(self.models, self.configs or [None] * len(self.models)):
            if not osp.isfile(model):
                return f'model file not found: {model}'
            if model.endswith('.pth') and not config:
                return f'the .pth checkpoint {model} needs its --config'
        if len(self.models) > 1 and self.score_thr is None:
            return (f'an ensemble of {len(self.models)} models needs --score-thr (calibrated '
                    "on fused scores: a member's own threshold does not carry over)")
        return None

    def default_stretch(self) -> Optional[float]:
        """Stretched views as the threshold was chosen: the release says; one named model gets
        the service's default; an ensemble none (its fused threshold was calibrated without)."""
        release = self.release
        if release is not None:
            return release.stretch
        return ServiceSettings.stretch if len(self.models) == 1 else None

    def load(self, device: str = 'cpu'):
        """The detector (a ``Detector`` or an ``Ensemble``); every file a manifest lists is
        checked against its sha256 first. It carries ``release_info`` (model name, release
        version) when it is the release."""
        release = self.release
        if release is not None:
            return release.build(device, self.score_thr)
        from mmdet_ext.inference import Detector, Ensemble
        configs = self.configs or [None] * len(self.models)
        members = [Detector(m, config=c, device=device, score_thr=self.score_thr)
                   for m, c in zip(self.models, configs)]
        model = members[0] if len(members) == 1 else Ensemble(members, self.score_thr)
        model.release_info = {'model': '+'.join(osp.basename(m) for m in self.models),
                              'release': None}
        return model
