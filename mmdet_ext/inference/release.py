"""A release folder: trained models shipped with a manifest of their sha256s, and the file that
says how they are served together.

Layout (``tools/release.py`` writes it)::

    RELEASE/manifest.json   {"version", "files": {relative path: {"sha256", "bytes"}}, ...}
    RELEASE/ensemble.json   {"members": [{"name", "model", ...}], "score_thr", "stretch", ...}
    RELEASE/NAME/end2end.onnx, end2end.json (sidecar), model.pth, config.py

A model file that a ``manifest.json`` lists (in its own folder or the one above) is checked
against it before it is loaded (:func:`verify_listed_file`, called by
:class:`~mmdet_ext.inference.Detector`): a damaged or replaced file is refused with an error that
names it, instead of serving wrong boxes.
"""
import hashlib
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

MANIFEST = 'manifest.json'
ENSEMBLE = 'ensemble.json'


class ChecksumMismatch(ValueError):
    """A release file whose bytes are not the ones its manifest lists."""


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: str) -> Dict:
    """What a manifest records of a file: its sha256 and size."""
    return {'sha256': sha256_file(path), 'bytes': osp.getsize(path)}


def read_json(path: str, what: str) -> Dict:
    """A JSON object from ``path``; a missing or broken file is named in the error."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'{path}: not a valid {what} ({e})') from None
    if not isinstance(data, dict):
        raise ValueError(f'{path}: a {what} must be a JSON object')
    return data


def _listing(path: str) -> Optional[Tuple[str, str, Dict]]:
    """``(manifest path, path relative to it, the manifest)`` of the manifest that lists
    ``path``, looked for in the file's folder and the folder above; None when none does."""
    path = osp.abspath(path)
    folder = osp.dirname(path)
    for root in (folder, osp.dirname(folder)):
        manifest = osp.join(root, MANIFEST)
        if osp.isfile(manifest):
            rel = osp.relpath(path, root).replace(osp.sep, '/')
            data = read_json(manifest, 'release manifest')
            if rel in data.get('files', {}):
                return manifest, rel, data
    return None


def find_manifest(path: str) -> Optional[Tuple[str, str]]:
    """``(manifest path, path relative to it)`` of the manifest that lists ``path`` (see
    :func:`_listing`); None when no manifest lists it."""
    found = _listing(path)
    return None if found is None else found[:2]


def verify_file(manifest_path: str, rel: str, manifest: Optional[Dict] = None) -> None:
    """Check ``rel`` (relative to the manifest's folder) against the manifest (``manifest``:
    its content, when already read).

    Raises:
        ChecksumMismatch: the manifest does not list the file, or its size or sha256 differ.
        FileNotFoundError: the file is missing.
    """
    if manifest is None:
        manifest = read_json(manifest_path, 'release manifest')
    entry = manifest.get('files', {}).get(rel)
    if entry is None:
        raise ChecksumMismatch(f'{rel} is not listed in {manifest_path}')
    path = osp.join(osp.dirname(manifest_path), rel)
    if not osp.isfile(path):
        raise FileNotFoundError(f'release file not found: {path} (listed in {manifest_path})')
    size = osp.getsize(path)
    digest = sha256_file(path) if size == entry.get('bytes') else None
    if digest != entry.get('sha256'):
        found = f'sha256 {digest}' if digest else f'{size} bytes'
        raise ChecksumMismatch(
            f'{path}: {found}, but {manifest_path} lists sha256 {entry.get("sha256")} '
            f'({entry.get("bytes")} bytes): the file is damaged or was replaced; restore it '
            '(git checkout -- weights/) or pass another --model')


def verify_listed_file(path: str) -> bool:
    """Check ``path`` against the manifest that lists it, if any (:func:`find_manifest`);
    True when one did."""
    found = _listing(path)
    if found is not None:
        verify_file(*found)
    return found is not None


class Release:
    """A release folder read and checked: its manifest, and the ensemble file that says which
    models serve together, at which threshold.

    Args:
        root: the release folder (e.g. ``weights/``).

    Raises:
        FileNotFoundError, ValueError: a missing or malformed manifest or ensemble file, a
            member whose model is not listed; :class:`ChecksumMismatch` for a changed file.
    """

    def __init__(self, root: str):
        self.root = root
        self.manifest_path = osp.join(root, MANIFEST)
        self.manifest = read_json(self.manifest_path, 'release manifest')
        verify_file(self.manifest_path, ENSEMBLE, self.manifest)
        self.ensemble = read_json(osp.join(root, ENSEMBLE), 'ensemble file')
        members = self.ensemble.get('members')
        if not isinstance(members, list) or not members:
            raise ValueError(f'{osp.join(root, ENSEMBLE)}: "members" must be a non-empty list')
        for member in members:
            if not isinstance(member, dict) or 'model' not in member:
                raise ValueError(f'{osp.join(root, ENSEMBLE)}: every member needs a "model"')
        if self.ensemble.get('score_thr') is None:
            raise ValueError(f'{osp.join(root, ENSEMBLE)}: no "score_thr"')

    @property
    def version(self) -> str:
        return str(self.manifest.get('version', 'unknown'))

    @property
    def name(self) -> str:
        """``NAME+NAME`` of the members, e.g. ``hires+geom``."""
        return '+'.join(m.get('name', osp.basename(osp.dirname(m['model'])))
                        for m in self.ensemble['members'])

    @property
    def model_paths(self) -> List[str]:
        return [osp.join(self.root, m['model']) for m in self.ensemble['members']]

    @property
    def score_thr(self) -> float:
        """The threshold the ensemble file states (a fused one for two or more members)."""
        return float(self.ensemble['score_thr'])

    @property
    def stretch(self) -> Optional[float]:
        """The stretched views the threshold was chosen with (None: one pass)."""
        value = self.ensemble.get('stretch')
        return None if value is None else float(value)

    def describe(self) -> Dict:
        """What ``/health`` and ``tools/predict.py`` say of the model."""
        return {'model': self.name, 'release': self.version,
                'manifest': osp.relpath(self.manifest_path)}

    def build(self, device: str = 'cpu', score_thr: Optional[float] = None):
        """The members loaded (each checked against the manifest): a
        :class:`~mmdet_ext.inference.Detector` for one, an
        :class:`~mmdet_ext.inference.Ensemble` for several, at ``score_thr`` (default: the
        release's). It carries :meth:`describe` as ``release_info``."""
        from .detector import Detector
        from .ensemble import Ensemble
        thr = self.score_thr if score_thr is None else float(score_thr)
        members = [Detector(path, device=device, score_thr=thr) for path in self.model_paths]
        model = members[0] if len(members) == 1 else Ensemble(members, thr)
        model.release_info = self.describe()
        return model
