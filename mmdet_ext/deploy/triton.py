"""Triton Inference Server model repository for an exported ONNX model or TensorRT engine.

Writes ``<repo>/<name>/config.pbtxt`` and ``<repo>/<name>/1/model.onnx`` (ONNX Runtime backend)
or ``1/model.plan`` (TensorRT backend), so the model a single service process runs can be served
by ``tritonserver --model-repository <repo>`` with dynamic batching. Inputs and outputs come from
the ONNX graph (for an engine: the ONNX it was built from, since TensorRT cannot be imported
everywhere); the config is checked with :mod:`mmdet_ext.deploy.triton_schema` before it is written.
"""
import os
import os.path as osp
import re
import shutil
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .triton_schema import TritonConfigError, format_pbtxt, validate_pbtxt

#: ONNX TensorProto element type -> Triton data type.
ONNX_TO_TRITON = {1: 'TYPE_FP32', 2: 'TYPE_UINT8', 3: 'TYPE_INT8', 4: 'TYPE_UINT16',
                  5: 'TYPE_INT16', 6: 'TYPE_INT32', 7: 'TYPE_INT64', 8: 'TYPE_STRING',
                  9: 'TYPE_BOOL', 10: 'TYPE_FP16', 11: 'TYPE_FP64', 12: 'TYPE_UINT32',
                  13: 'TYPE_UINT64', 16: 'TYPE_BF16'}

#: model-file extension -> (platform, backend, file name Triton loads by default).
BACKENDS = {'.onnx': ('onnxruntime_onnx', 'onnxruntime', 'model.onnx'),
            '.engine': ('tensorrt_plan', 'tensorrt', 'model.plan'),
            '.plan': ('tensorrt_plan', 'tensorrt', 'model.plan'),
            '.trt': ('tensorrt_plan', 'tensorrt', 'model.plan')}

#: name of the copied preprocessing sidecar in the model directory.
SIDECAR_NAME = 'model.json'

KINDS = {'cpu': 'KIND_CPU', 'gpu': 'KIND_GPU', 'auto': 'KIND_AUTO'}


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output.

    Attributes:
        name: tensor name in the graph.
        data_type: Triton data type, e.g. ``'TYPE_FP32'``.
        dims: full shape, batch dimension included; -1 where the size is not fixed.
    """
    name: str
    data_type: str
    dims: Tuple[int, ...]


def _tensor_spec(value_info) -> TensorSpec:
    tensor_type = value_info.type.tensor_type
    if tensor_type.elem_type not in ONNX_TO_TRITON:
        raise ValueError(f'tensor {value_info.name!r}: ONNX element type {tensor_type.elem_type} '
                         'has no Triton data type')
    # dim_value is 0 when the dimension is symbolic (dim_param) or unknown.
    dims = tuple(d.dim_value if d.dim_value > 0 else -1 for d in tensor_type.shape.dim)
    return TensorSpec(value_info.name, ONNX_TO_TRITON[tensor_type.elem_type], dims)


def read_onnx_signature(path: str) -> Tuple[List[TensorSpec], List[TensorSpec]]:
    """The ``(inputs, outputs)`` of an ONNX model; initializers listed as inputs are skipped."""
    import onnx  # here, not at import time: the package must import without it

    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as e:  # protobuf's DecodeError and friends: a corrupt or non-ONNX file
        raise ValueError(f'{path} is not a readable ONNX model ({type(e).__name__}: {e})')
    graph = model.graph
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in graph.initializer):
        raise ValueError(f'{path} keeps its weights in external data files; Triton needs them '
                         'in one file (re-export, or onnx.save without external data)')
    weights = {t.name for t in graph.initializer}
    inputs = [_tensor_spec(v) for v in graph.input if v.name not in weights]
    return inputs, [_tensor_spec(v) for v in graph.output]


def batch_dimension(tensors: Sequence[TensorSpec]) -> Optional[int]:
    """The shared first dimension of all tensors: -1 if dynamic in all, the size if fixed and
    equal in all, None if they disagree (then Triton cannot batch the model)."""
    firsts = {t.dims[0] if t.dims else None for t in tensors}
    return firsts.pop() if len(firsts) == 1 and None not in firsts else None


def build_model_config(name: str, platform: str, backend: str, inputs: Sequence[TensorSpec],
                       outputs: Sequence[TensorSpec], max_batch_size: int = 8,
                       preferred_batch_sizes: Sequence[int] = (4, 8),
                       queue_delay_us: int = 500, instances: int = 1,
                       kind: str = 'KIND_AUTO') -> Tuple[Dict, Dict[str, List[str]], List[str]]:
    """The ModelConfig dict for a model with this signature.

    A dynamic batch dimension gets ``max_batch_size`` and dynamic batching, with dims written
    without it (Triton adds it); a fixed batch gets ``max_batch_size: 0`` and full dims, since
    Triton can then only pass the exported batch through.

    Args:
        name: model name (= the model directory's name).
        platform, backend: e.g. ``'onnxruntime_onnx'``, ``'onnxruntime'``.
        inputs, outputs: the signature, from :func:`read_onnx_signature`.
        max_batch_size: largest batch Triton forms (0: no batching); for a TensorRT engine it
            must not exceed the engine's optimisation-profile maximum.
        preferred_batch_sizes: batch sizes the dynamic batcher tries to form; sizes above
            ``max_batch_size`` are dropped.
        queue_delay_us: how long a request may wait for others to fill a batch.
        instances: model instances (per GPU for KIND_GPU / KIND_AUTO on a GPU machine).
        kind: ``KIND_CPU``, ``KIND_GPU`` or ``KIND_AUTO`` (GPU if the server has one).
    Returns ``(config, comments, notes)``: comments are keyed by top-level field, for
    :func:`format_pbtxt`; notes are things the user should hear.
    """
    batch = batch_dimension([*inputs, *outputs])
    dynamic = batch == -1 and max_batch_size > 0
    comments, notes = {}, []
    if not dynamic:
        if batch == -1:
            why = 'max_batch_size 0 was asked for: Triton passes whole batches through'
        elif batch is None:
            why = 'the inputs and outputs do not share a batch dimension'
        else:
            why = f'the model was exported with a fixed batch of {batch}'
        comments['max_batch_size'] = [f'No batching: {why}.']
        notes.append(f'dynamic batching is off: {why}')
        if batch != -1:
            comments['max_batch_size'] += [
                'Dynamic batching needs a dynamic-batch export (an MMDeploy deploy config',
                'with a dynamic batch axis).']
            notes[-1] += '; it needs an export with a dynamic batch dimension'

    def tensor(t: TensorSpec) -> Dict:
        return dict(name=t.name, data_type=t.data_type,
                    dims=list(t.dims[1:] if dynamic else t.dims))

    config = dict(name=name, platform=platform, backend=backend,
                  max_batch_size=max_batch_size if dynamic else 0,
                  input=[tensor(t) for t in inputs], output=[tensor(t) for t in outputs])
    if dynamic:
        preferred = sorted({s for s in preferred_batch_sizes if 0 < s <= max_batch_size})
        dropped = sorted(set(preferred_batch_sizes) - set(preferred))
        if dropped:
            notes.append(f'preferred batch sizes {dropped} dropped: not in [1, {max_batch_size}]')
        config['dynamic_batching'] = dict(preferred_batch_size=preferred,
                                          max_queue_delay_microseconds=queue_delay_us)
        if not preferred:
            del config['dynamic_batching']['preferred_batch_size']
    config['instance_group'] = [dict(count=instances, kind=kind)]
    return config, comments, notes


def find_sidecar(model_path: str) -> Optional[str]:
    """The preprocessing json beside a model (``end2end.onnx`` -> ``end2end.json``, as
    :func:`mmdet_ext.inference.detector.sidecar_path` names it), or None if there is none."""
    path = osp.splitext(model_path)[0] + '.json'
    return path if osp.isfile(path) else None


@dataclass
class TritonExport:
    """What :func:`export_triton_repository` wrote.

    Attributes:
        model_dir: ``<repo>/<name>``.
        config_path: its ``config.pbtxt``.
        model_file: the copied model, ``1/model.onnx`` or ``1/model.plan``.
        sidecar: the copied preprocessing json, or None if the model had none.
        config: the ModelConfig written, as a dict.
        notes: things the user should hear (batching off, sizes dropped...).
    """
    model_dir: str
    config_path: str
    model_file: str
    sidecar: Optional[str]
    config: Dict
    notes: List[str]


def export_triton_repository(model: str, repo: str, name: str = 'model',
                             onnx: Optional[str] = None, max_batch_size: int = 8,
                             preferred_batch_sizes: Sequence[int] = (4, 8),
                             queue_delay_us: int = 500, instances: int = 1,
                             kind: str = 'auto', overwrite: bool = False) -> TritonExport:
    """Write a Triton model repository entry for ``model``.

    Args:
        model: an ONNX file (``.onnx``) or a TensorRT engine (``.engine``/``.plan``/``.trt``).
        repo: the model repository folder (created if missing; other models in it are kept).
        name: model name, used as its directory and in requests.
        onnx: for an engine, the ONNX it was built from (its I/O signature is used).
        max_batch_size, preferred_batch_sizes, queue_delay_us, instances: see
            :func:`build_model_config`.
        kind: ``'cpu'``, ``'gpu'`` or ``'auto'`` (TensorRT: GPU; ONNX: GPU if the server has
            one, else CPU).
        overwrite: replace an existing ``<repo>/<name>``; without it that is an error.
    Raises FileNotFoundError / ValueError with a one-line reason; nothing is written then.
    """
    ext = osp.splitext(model)[1].lower()
    if ext not in BACKENDS:
        raise ValueError(f'{model}: unknown model type {ext or "(no extension)"!r}; expected '
                         f'one of {", ".join(BACKENDS)}')
    platform, backend, file_name = BACKENDS[ext]
    is_engine = platform == 'tensorrt_plan'
    if is_engine and onnx is None:
        raise ValueError(f'{model} is a TensorRT engine: pass the ONNX it was built from '
                         '(--onnx) to read its inputs and outputs')
    if not is_engine and onnx is not None:
        raise ValueError('--onnx is only for a TensorRT engine; the ONNX model is read directly')
    signature_path = onnx if is_engine else model
    for path in (model, signature_path):
        if not osp.isfile(path):
            raise FileNotFoundError(f'no such file: {path}')
    if onnx is not None and osp.splitext(onnx)[1].lower() != '.onnx':
        raise ValueError(f'{onnx}: --onnx must be an .onnx file')
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {", ".join(KINDS)}, got {kind!r}')
    if is_engine and kind == 'cpu':
        raise ValueError('a TensorRT engine runs on GPU only; use --kind gpu or auto')
    if max_batch_size < 0 or instances < 1 or queue_delay_us < 0:
        raise ValueError('max batch size and queue delay must be >= 0, instances >= 1')
    if not re.fullmatch(r'[A-Za-z0-9_.-]+', name) or name in ('.', '..'):
        raise ValueError(f'model name {name!r}: use letters, digits, "_", "-" and "." only')
    model_dir = osp.join(repo, name)
    if osp.exists(model_dir) and not overwrite:
        raise FileExistsError(f'{model_dir} exists; pass overwrite (--force) to replace it')
    if osp.exists(model_dir) and not osp.isfile(osp.join(model_dir, 'config.pbtxt')):
        # Replacing means deleting: only ever delete what looks like a Triton model.
        raise FileExistsError(f'{model_dir} exists and is not a Triton model (no config.pbtxt)')

    inputs, outputs = read_onnx_signature(signature_path)
    triton_kind = 'KIND_GPU' if is_engine and kind == 'auto' else KINDS[kind]
    config, comments, notes = build_model_config(
        name, platform, backend, inputs, outputs, max_batch_size, preferred_batch_sizes,
        queue_delay_us, instances, triton_kind)
    if is_engine and config['max_batch_size'] > 0:
        notes.append(f'max_batch_size {config["max_batch_size"]} must not exceed the batch '
                     "maximum of the engine's optimisation profile")
    text = _header(model, signature_path) + format_pbtxt(config, comments)
    validate_pbtxt(text, expected_name=name)  # never write a config Triton would refuse

    if osp.exists(model_dir):
        shutil.rmtree(model_dir)
    os.makedirs(osp.join(model_dir, '1'))
    config_path = osp.join(model_dir, 'config.pbtxt')
    with open(config_path, 'w', encoding='utf-8') as f:
        f.write(text)
    model_file = osp.join(model_dir, '1', file_name)
    shutil.copyfile(model, model_file)
    sidecar = find_sidecar(model) or (find_sidecar(onnx) if onnx else None)
    if sidecar:
        shutil.copyfile(sidecar, osp.join(model_dir, SIDECAR_NAME))
        sidecar = osp.join(model_dir, SIDECAR_NAME)
    return TritonExport(model_dir, config_path, model_file, sidecar, config, notes)


def _header(model: str, signature_path: str) -> str:
    source = osp.basename(model)
    if signature_path != model:
        source += f' (inputs/outputs from {osp.basename(signature_path)})'
    return (f'# Triton model config for {source}, written by mmdet_ext.deploy.triton.\n'
            '# Serve with: tritonserver --model-repository <this repository>\n')


__all__ = ['TensorSpec', 'TritonConfigError', 'TritonExport', 'build_model_config',
           'export_triton_repository', 'find_sidecar', 'read_onnx_signature']
