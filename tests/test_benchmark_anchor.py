"""The Ultralytics anchor benchmark, the parts that run without its throw-away environment."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from tools.anchor import bench, common, env, report


def test_percentile_and_summary_match_numpy():
    values = [0.031, 0.012, 0.050, 0.020, 0.044, 0.018, 0.027]
    for q in (0, 50, 90, 99, 100):
        assert common.percentile(values, q) == pytest.approx(np.percentile(values, q))
    s = common.summarize(values)
    assert s['n'] == 7 and s['median_ms'] == pytest.approx(27.0)
    assert s['p99_ms'] == pytest.approx(np.percentile(values, 99) * 1000)
    assert s['min_ms'] == pytest.approx(12.0) and s['max_ms'] == pytest.approx(50.0)
    with pytest.raises(ValueError):
        common.percentile([], 50)


def test_compare_ratios_and_target():
    ours, theirs = [0.010, 0.020, 0.030, 0.040], [0.020, 0.030, 0.040, 0.050]
    c = report.compare(ours, theirs)
    assert c['ratio_median'] == pytest.approx(25 / 35)
    assert c['ratio_p90'] == pytest.approx(np.percentile(ours, 90) / np.percentile(theirs, 90))
    assert c['ratio_paired_median'] == pytest.approx(np.median(np.divide(ours, theirs)))
    assert c['meets_target'] and c['target'] == 0.8
    assert not report.compare(theirs, ours)['meets_target']
    with pytest.raises(ValueError, match='paired'):
        report.compare(ours, theirs[:2])


def _record(wall, split, dets=1, path='/x/a.jpg', shape=(100, 100)):
    return dict(wall_s=wall, split_ms=split, speed_ms=split, num_dets=dets, path=path,
                shape=shape)


def test_report_json_and_markdown(tmp_path):
    timings = dict(ours=[_record(0.02, dict(decode=1.0, inference=15.0)),
                         _record(0.04, dict(decode=3.0, inference=17.0), dets=3,
                                 shape=(2000, 3000))],
                   theirs=[_record(0.03, dict(preprocess=1.0, inference=20.0), dets=0),
                           _record(0.05, dict(preprocess=2.0, inference=22.0), dets=0)])
    meta = dict(command='python tools/benchmark_anchor.py --ours m.onnx', machine='CPU, 2 cores',
                date='2026-11-28 10:00 UTC', loadavg_start='0.1 0.1 0.1',
                loadavg_end='0.5 0.2 0.1', noise_note='', input_size=[320, 320], num_images=2,
                images='2 images', warmup=1, runs=1, ort_threads=2, torch_threads_theirs=1,
                cv2_threads=dict(ours=2, theirs=0), order='interleaved', ours_model='m.onnx',
                scale='n', theirs_export_s=3.0)
    rep = report.build_report(meta, dict(ours=dict(onnxruntime='1.26.0'),
                                         theirs=dict(onnxruntime='1.26.0', ultralytics='8')),
                              timings)
    assert rep['comparison']['ratio_median'] == pytest.approx(30 / 40)
    assert rep['ours_split_median_ms'] == dict(decode=2.0, inference=16.0)
    assert rep['num_dets_mean'] == dict(ours=2.0, theirs=0.0)
    assert rep['calls']['ours'][0] == dict(image='a.jpg', ms=20.0)
    assert list(rep['by_image_size']) == ['< 0.5 MP', '> 2 MP']
    assert rep['by_image_size']['> 2 MP']['ratio'] == pytest.approx(40 / 50)
    md = report.write_report(rep, str(tmp_path / 'out' / 'anchor'))
    assert json.loads((tmp_path / 'out' / 'anchor.json').read_text())['comparison'] == \
        rep['comparison']
    assert (tmp_path / 'out' / 'anchor.md').read_text() == md
    assert '0.750 on the median' in md and '**met**' in md
    assert '| ultralytics | - | 8 |' in md


def test_sample_images_is_seeded_and_counts_a_photo_once(tmp_path):
    photo = '0123456789abcdef0123456789abcdef'
    for folder in ('a/images', 'b/images'):
        os.makedirs(tmp_path / folder)
        (tmp_path / folder / f'{photo}_jpg.rf.{folder[0]}.jpg').write_bytes(b'')
    for i in range(10):
        (tmp_path / 'a' / 'images' / f'other{i}.png').write_bytes(b'')
    (tmp_path / 'a' / 'annotations.json').write_text('{}')
    everything = bench.sample_images(str(tmp_path), 0)
    assert len(everything) == 11  # the photo met in both folders counts once
    first = bench.sample_images(str(tmp_path), 5, seed=3)
    assert first == bench.sample_images(str(tmp_path), 5, seed=3) and len(first) == 5
    assert first != bench.sample_images(str(tmp_path), 5, seed=4)
    with pytest.raises(FileNotFoundError):
        bench.sample_images(str(tmp_path / 'a' / 'annotations.json'), 5)


def test_pin_ort_threads_and_onnx_facts(tmp_path):
    onnx = pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'g',
                              [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1])])
    path = str(tmp_path / 'id.onnx')
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)]), path)
    facts = bench.onnx_facts(path)
    assert (facts['params'], facts['opset'], facts['input_shape']) == (0, 13, [1])
    original = ort.InferenceSession
    try:
        common.pin_ort_threads(1)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 3  # what a caller asked for is overridden
        for session in (ort.InferenceSession(path), ort.InferenceSession(path, options),
                        ort.InferenceSession(path, sess_options=options,
                                             providers=['CPUExecutionProvider'])):
            assert session.get_session_options().intra_op_num_threads == 1
        common.pin_ort_threads(2)  # re-pinning wraps the original, not the wrapper
        assert ort.InferenceSession.__mro__[1] is original
    finally:
        ort.InferenceSession = original


def test_timed_runtime_forwards_and_times():
    class Runtime:
        max_batch = 1

        def __call__(self, batch):
            return [batch * 2]

    timed = bench.TimedRuntime(Runtime())
    assert timed(np.ones(2))[0].tolist() == [2, 2] and timed.max_batch == 1
    assert timed.last_s >= 0


def test_cpu_share_of_other_processes():
    before = dict(wall=0.0, machine=10.0, own=4.0)
    after = dict(wall=10.0, machine=20.0, own=6.0)
    assert bench.others_cpu_share(before, after) == pytest.approx(8 / (10 * os.cpu_count()))
    assert bench.others_cpu_share(None, after) is None
    snap = bench.cpu_snapshot([os.getpid()])
    assert snap is None or snap['own'] >= 0


def test_env_is_reused_while_its_pins_match(tmp_path, monkeypatch):
    reqs = env.requirements('torch==9 torchvision==9')
    assert reqs[0] == env.ULTRALYTICS and 'torch==9' in reqs
    assert any(r.startswith('onnxruntime==') for r in reqs)  # mirrored from this environment
    assert env.env_key(reqs) == env.env_key(list(reversed(reqs)))
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    (venv / 'bin' / 'python').write_text('')
    (venv / env.MARKER).write_text(json.dumps(dict(key=env.env_key(reqs))))
    monkeypatch.setattr(env.subprocess, 'run', lambda *a, **k: pytest.fail('pip was run'))
    assert env.ensure_env(str(venv), 'torch==9 torchvision==9') == str(venv / 'bin' / 'python')


def test_cli_help_and_skip_without_images(tmp_path, capsys):
    from tools.benchmark_anchor import main, parse_args
    with pytest.raises(SystemExit):
        parse_args(['--help'])
    assert 'python tools/benchmark_anchor.py --ours' in capsys.readouterr().out
    assert main(['--ours', 'm.onnx', '--images', str(tmp_path / 'absent')]) == 0
    assert 'skipped' in capsys.readouterr().out
    assert osp.isfile(bench.WORKER)
