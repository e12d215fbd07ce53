"""Triton model repository export: signature reading, config.pbtxt, the strict schema check, CLI.

The models are tiny ONNX graphs built with onnx.helper that have the I/O of an MMDeploy
end-to-end detector (``input`` [B,3,H,W] -> ``dets`` [B,K,5], ``labels`` [B,K]).
"""
import filecmp
import json
import os.path as osp
import re
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from conftest import REPO
from mmdet_ext.deploy import (TritonConfigError, export_triton_repository, format_pbtxt,
                              parse_pbtxt, read_onnx_signature, validate_pbtxt)

sys.path.insert(0, osp.join(REPO, 'tools'))
import export_triton  # noqa: E402


def make_detector_onnx(path, batch=None, size=32, labels_type=TensorProto.INT64):
    """An end-to-end-detector-shaped graph: K=1 box per image computed from the image mean.

    ``batch=None`` makes the batch dimension symbolic (a dynamic-batch export).
    """
    b = batch or 'batch'
    pooled = helper.make_node('GlobalAveragePool', ['input'], ['pooled'])       # [B,3,1,1]
    flat = helper.make_node('Flatten', ['pooled'], ['flat'], axis=1)             # [B,3]
    five = helper.make_node('Concat', ['flat', 'flat'], ['six'], axis=1)         # [B,6]
    take = helper.make_node('Slice', ['six', 'start', 'end', 'axis'], ['five'])  # [B,5]
    dets = helper.make_node('Unsqueeze', ['five', 'one'], ['dets'])              # [B,1,5]
    score = helper.make_node('ReduceMax', ['dets'], ['score'], axes=[2], keepdims=0)
    labels = helper.make_node('Cast', ['score'], ['labels'], to=labels_type)     # [B,1]
    consts = [helper.make_tensor(n, TensorProto.INT64, [1], [v])
              for n, v in (('start', 0), ('end', 5), ('axis', 1), ('one', 1))]
    graph = helper.make_graph(
        [pooled, flat, five, take, dets, score, labels], 'tiny_detector',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, [b, 3, size, size])],
        [helper.make_tensor_value_info('dets', TensorProto.FLOAT, [b, 'num_dets', 5]),
         helper.make_tensor_value_info('labels', labels_type, [b, 'num_dets'])],
        initializer=consts)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8  # readable by older ONNX Runtime builds too
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


@pytest.fixture
def models(tmp_path):
    d = tmp_path / 'models'
    d.mkdir()
    return dict(dynamic=make_detector_onnx(d / 'dynamic.onnx'),
                fixed=make_detector_onnx(d / 'fixed.onnx', batch=1),
                trt_onnx=make_detector_onnx(d / 'trt.onnx', labels_type=TensorProto.INT32))


def test_read_onnx_signature_maps_names_dtypes_and_symbolic_dims(models):
    inputs, outputs = read_onnx_signature(models['dynamic'])
    assert [(t.name, t.data_type, t.dims) for t in inputs] == [
        ('input', 'TYPE_FP32', (-1, 3, 32, 32))]  # the initializers are not inputs
    assert [(t.name, t.data_type, t.dims) for t in outputs] == [
        ('dets', 'TYPE_FP32', (-1, -1, 5)), ('labels', 'TYPE_INT64', (-1, -1))]
    _, outputs = read_onnx_signature(models['trt_onnx'])
    assert outputs[1].data_type == 'TYPE_INT32'
    inputs, _ = read_onnx_signature(models['fixed'])
    assert inputs[0].dims == (1, 3, 32, 32)


def _dims_fit(config_dims, shape):
    return len(config_dims) == len(shape) and all(d in (-1, s) for d, s in zip(config_dims, shape))


def test_dynamic_batch_onnx_gets_dynamic_batching_and_dims_that_fit_real_outputs(
        models, tmp_path):
    sidecar = {'mean': [0, 0, 0], 'std': [255, 255, 255], 'input_size': [32, 32]}
    with open(osp.splitext(models['dynamic'])[0] + '.json', 'w') as f:
        json.dump(sidecar, f)
    repo = tmp_path / 'repo'
    result = export_triton_repository(models['dynamic'], str(repo), name='tbank_logo',
                                      max_batch_size=8, preferred_batch_sizes=(4, 8),
                                      queue_delay_us=250, instances=2, kind='cpu')
    model_dir = repo / 'tbank_logo'
    config = validate_pbtxt((model_dir / 'config.pbtxt').read_text(), expected_name='tbank_logo')
    assert config == result.config and result.notes == []
    assert (config['platform'], config['backend']) == ('onnxruntime_onnx', 'onnxruntime')
    assert config['max_batch_size'] == 8
    assert config['dynamic_batching'] == dict(preferred_batch_size=[4, 8],
                                              max_queue_delay_microseconds=250)
    assert config['instance_group'] == [dict(count=2, kind='KIND_CPU')]
    assert filecmp.cmp(model_dir / '1' / 'model.onnx', models['dynamic'], shallow=False)
    assert json.loads((model_dir / 'model.json').read_text()) == sidecar

    # What Triton would check at run time: a batch of 3 gives tensors that fit the config's
    # dims once the batch dimension (not listed when max_batch_size > 0) is put in front.
    session = ort.InferenceSession(str(model_dir / '1' / 'model.onnx'),
                                   providers=['CPUExecutionProvider'])
    (inp,) = config['input']
    assert inp['name'] == 'input' and _dims_fit([-1, *inp['dims']], (3, 3, 32, 32))
    arrays = session.run([o['name'] for o in config['output']],
                         {'input': np.random.rand(3, 3, 32, 32).astype(np.float32)})
    for out, array in zip(config['output'], arrays):
        assert _dims_fit([-1, *out['dims']], array.shape), (out, array.shape)
        assert out['data_type'] == {'float32': 'TYPE_FP32', 'int64': 'TYPE_INT64'}[
            str(array.dtype)]


def test_fixed_batch_onnx_gets_max_batch_size_0_full_dims_and_an_explanation(models, tmp_path):
    result = export_triton_repository(models['fixed'], str(tmp_path / 'repo'), name='fixed')
    text = open(result.config_path).read()
    config = validate_pbtxt(text, expected_name='fixed')
    assert config['max_batch_size'] == 0 and 'dynamic_batching' not in config
    assert config['input'][0]['dims'] == [1, 3, 32, 32]
    assert [o['dims'] for o in config['output']] == [[1, -1, 5], [1, -1]]
    assert config['instance_group'] == [dict(count=1, kind='KIND_AUTO')]
    comment = ' '.join(line for line in text.splitlines() if line.startswith('#'))
    assert 'fixed batch of 1' in comment and 'dynamic-batch export' in comment
    assert any('dynamic batch' in note for note in result.notes)
    assert result.sidecar is None and not osp.exists(osp.join(result.model_dir, 'model.json'))


def test_max_batch_0_turns_batching_off_for_a_dynamic_model(models, tmp_path):
    result = export_triton_repository(models['dynamic'], str(tmp_path), name='m',
                                      max_batch_size=0)
    assert result.config['max_batch_size'] == 0 and 'dynamic_batching' not in result.config
    assert result.config['input'][0]['dims'] == [-1, 3, 32, 32]
    assert result.notes == ['dynamic batching is off: max_batch_size 0 was asked for: Triton '
                            'passes whole batches through']


def test_engine_uses_the_signature_of_its_onnx_and_the_tensorrt_platform(models, tmp_path):
    engine = tmp_path / 'end2end.engine'
    engine.write_bytes(b'not really a plan')  # TensorRT is not installed: only copied
    with open(osp.splitext(models['trt_onnx'])[0] + '.json', 'w') as f:
        json.dump({'input_size': [32, 32]}, f)
    result = export_triton_repository(str(engine), str(tmp_path / 'repo'), name='trt',
                                      onnx=models['trt_onnx'], max_batch_size=6)
    config = validate_pbtxt(open(result.config_path).read(), expected_name='trt')
    assert (config['platform'], config['backend']) == ('tensorrt_plan', 'tensorrt')
    assert result.model_file.endswith(osp.join('trt', '1', 'model.plan'))
    assert open(result.model_file, 'rb').read() == b'not really a plan'
    assert config['instance_group'][0]['kind'] == 'KIND_GPU'
    assert config['output'][1] == dict(name='labels', data_type='TYPE_INT32', dims=[-1])
    assert config['dynamic_batching']['preferred_batch_size'] == [4]  # 8 > max batch 6
    assert any('[8] dropped' in n for n in result.notes)
    assert any('optimisation profile' in n for n in result.notes)
    assert result.sidecar is not None  # the sidecar of the ONNX the engine came from


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(model='model.pt'), ValueError, "unknown model type '.pt'"),
    (dict(model='missing.onnx'), FileNotFoundError, 'no such file'),
    (dict(model='end2end.engine'), ValueError, 'pass the ONNX it was built from'),
    (dict(model='DYN', onnx='DYN'), ValueError, 'only for a TensorRT engine'),
    (dict(model='end2end.engine', onnx='DYN', kind='cpu'), ValueError, 'GPU only'),
    (dict(model='DYN', kind='tpu'), ValueError, 'kind must be one of'),
    (dict(model='garbage.onnx'), ValueError, 'not a readable ONNX model'),
    (dict(model='DYN', name='../escape'), ValueError, "model name '../escape'"),
])
def test_bad_arguments_fail_with_a_clear_reason_and_write_nothing(models, tmp_path, kwargs,
                                                                  error, match):
    (tmp_path / 'end2end.engine').write_bytes(b'x')
    (tmp_path / 'garbage.onnx').write_bytes(b'\xff\x00 not protobuf')

    def value(k, v):
        if v == 'DYN':
            return models['dynamic']
        return v if k in ('kind', 'name') else str(tmp_path / v)
    kwargs = {k: value(k, v) for k, v in kwargs.items()}
    with pytest.raises(error, match=re.escape(match)):
        export_triton_repository(repo=str(tmp_path / 'repo'), **{'name': 'm', **kwargs})
    assert not (tmp_path / 'repo' / 'm').exists()


def test_existing_model_dir_is_replaced_only_with_overwrite(models, tmp_path):
    export_triton_repository(models['fixed'], str(tmp_path), name='m')
    with pytest.raises(FileExistsError, match='overwrite'):
        export_triton_repository(models['dynamic'], str(tmp_path), name='m')
    result = export_triton_repository(models['dynamic'], str(tmp_path), name='m', overwrite=True)
    assert result.config['max_batch_size'] == 8
    (tmp_path / 'not_a_model').mkdir()
    with pytest.raises(FileExistsError, match='not a Triton model'):
        export_triton_repository(models['dynamic'], str(tmp_path), name='not_a_model',
                                 overwrite=True)


# ------------------------------------------------------------------- the strict schema check
GOOD = '''# comment
name: "m"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "input" data_type: TYPE_FP32 dims: [ 3, -1, -1 ] } ]
output [
  { name: "dets", data_type: TYPE_FP32, dims: [ -1, 5 ] },
  { name: "labels" data_type: TYPE_INT64 dims: -1 }
]
dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 500 }
instance_group { count: 1 kind: KIND_GPU }
'''


def test_validator_accepts_text_format_variants_triton_accepts():
    config = validate_pbtxt(GOOD, expected_name='m')
    assert config['output'][1]['dims'] == [-1]  # a repeated scalar given without brackets
    assert config['instance_group'] == [dict(count=1, kind='KIND_GPU')]
    assert parse_pbtxt(format_pbtxt(config)) == config  # writer and parser round-trip


@pytest.mark.parametrize('old, new, match', [
    ('max_batch_size: 8', 'max_batch: 8', "no field 'max_batch'"),
    ('kind: KIND_GPU', 'kind: GPU', 'unknown value GPU'),
    ('data_type: TYPE_FP32 dims: [ 3', 'data_type: TYPE_FLOAT32 dims: [ 3', 'TYPE_FLOAT32'),
    ('data_type: TYPE_FP32 dims: [ 3', 'dims: [ 3', "input 'input' has no data_type"),
    ('name: "m"', 'name: m', 'must be a quoted string'),
    ('name: "m"', 'name: "m" name: "m"', 'given twice'),
    ('max_batch_size: 8', 'max_batch_size: "8"', 'must be an integer'),
    ('max_batch_size: 8', 'max_batch_size: 4294967296', 'out of range'),
    ('count: 1', 'count: 1 gpus: [0] passive: maybe', 'true or false'),
    ('instance_group {', 'instance_group [', "expected '{', got 'count'"),
    ('kind: KIND_GPU }', 'kind: KIND_GPU', "missing '}'"),
    ('max_batch_size: 8', 'max_batch_size: 0', 'dynamic_batching needs max_batch_size > 0'),
    ('[ 4, 8 ]', '[ 4, 16 ]', 'preferred_batch_size 16'),
    ('dims: [ -1, 5 ]', 'dims: [ 0, 5 ]', 'positive or -1'),
    ('dims: -1 }', 'dims: -1 }, { name: "dets" data_type: TYPE_FP32 dims: 5 }',
     "output 'dets' is listed twice"),
    ('platform: "onnxruntime_onnx"', 'platform: "onnxruntime_onnx" backend: "tensorrt"',
     "served by backend 'onnxruntime'"),
    ('platform: "onnxruntime_onnx"', 'platform: "onnx"', "unknown platform 'onnx'"),
    ('platform: "onnxruntime_onnx"', 'platform: "tensorrt_plan"\n', None),  # GPU kind: fine
    ('name: "m"', 'name: "other"', "differs from the model directory 'm'"),
])
def test_validator_rejects_each_kind_of_broken_config(old, new, match):
    assert GOOD.count(old) == 1
    text = GOOD.replace(old, new)
    if match is None:
        validate_pbtxt(text, expected_name='m')
        return
    with pytest.raises(TritonConfigError, match=re.escape(match)):
        validate_pbtxt(text, expected_name='m')


def test_validator_reports_every_problem_triton_would_refuse_a_model_for():
    text = (GOOD.replace('max_batch_size: 8', 'max_batch_size: 0')
            .replace('platform: "onnxruntime_onnx"', 'platform: "tensorrt_plan"')
            .replace('KIND_GPU', 'KIND_CPU')
            .replace('input [ { name: "input"', 'input [ { name: "input" format: FORMAT_NCHW')
            .replace('dims: [ 3, -1, -1 ]', 'dims: [ 1, 3, -1, -1 ]')
            .replace('dims: -1 }', '}'))
    with pytest.raises(TritonConfigError) as info:
        validate_pbtxt(text)
    problems = '\n'.join(info.value.problems)
    assert len(info.value.problems) == 4, problems
    for expected in ('dynamic_batching needs max_batch_size > 0', 'needs 3 dims',
                     "output 'labels': dims are empty", 'GPU only'):
        assert expected in problems


# ----------------------------------------------------------------------------------------- CLI
def test_cli_writes_a_repository_and_reports_errors_in_one_line(models, tmp_path, capsys):
    out = tmp_path / 'repo'
    assert export_triton.main([models['fixed'], '--out', str(out), '--name', 'logo']) == 0
    printed = capsys.readouterr().out
    assert 'note: dynamic batching is off' in printed
    assert f'tritonserver --model-repository {out}' in printed
    validate_pbtxt((out / 'logo' / 'config.pbtxt').read_text(), expected_name='logo')

    assert export_triton.main([str(tmp_path / 'model.pt'), '--out', str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and err.count('\n') == 1 and "'.pt'" in err


def test_cli_help_lists_the_options_with_defaults(capsys):
    with pytest.raises(SystemExit) as info:
        export_triton.parse_args(['--help'])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in ('--onnx', '--out', '--max-batch', '--preferred-batch', '--queue-delay-us',
                   '--instances', '--kind', 'default: tbank_logo', 'tritonserver'):
        assert option in text
