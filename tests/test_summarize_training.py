"""tools/summarize_training.py: a training run's record, read back from its work dir."""
import json

import pytest

from tools.summarize_training import main, summarize


def test_summary_of_a_real_run(trained_run):
    runner, work_dir = trained_run
    stage = summarize(str(work_dir))
    assert len(stage['runs']) == 1
    run = stage['runs'][0]
    assert run['last_epoch'] == runner.epoch and run['last_iter'] == runner.iter
    assert run['median_s_per_iter'] > 0 and run['log']['first'] <= run['log']['last']
    # the tiny run validates once, after its last epoch
    assert [v['epoch'] for v in stage['val']] == [runner.epoch]
    assert 0.0 <= stage['val'][0]['tbank/f1'] <= 1.0 and 'tbank/mAP50' in stage['val'][0]


def write_run(work_dir, name, lines, log_times):
    run = work_dir / name
    (run / 'vis_data').mkdir(parents=True)
    (run / 'vis_data' / 'scalars.json').write_text('\n'.join(lines) + '\n')
    (run / f'{name}.log').write_text(''.join(f'{t} - mmengine - INFO - x\n' for t in log_times))


def test_resumed_run_keeps_every_start_and_the_last_validation(tmp_path):
    train = '{{"loss": 1.0, "time": {t}, "epoch": {e}, "iter": {i}, "step": {i}}}'
    write_run(tmp_path, '20261203_090000', [
        train.format(t=1.0, e=1, i=10), train.format(t=3.0, e=2, i=20),
        '{"tbank/f1": 0.5, "time": 0.1, "step": 2}',
        '{"loss": 1.0, "ti'],  # cut short by the kill that made the run resume
        ['2026/12/03 09:00:00', '2026/12/03 09:30:00'])
    write_run(tmp_path, '20261203_100000', [
        '{"tbank/f1": 0.6, "time": 0.1, "step": 2}',  # epoch 2 validated again after resume
        train.format(t=2.0, e=3, i=30), '{"tbank/f1": 0.7, "step": 3}'],
        ['2026/12/03 10:00:00', '2026/12/03 10:06:00'])
    (tmp_path / 'hard_negatives.json').write_text(json.dumps(
        [dict(img_path='a.jpg', max_score=0.5, epoch=2)] * 3 + [dict(img_path='b.jpg', epoch=3)]))
    (tmp_path / 'env.json').write_text(json.dumps(dict(seed=7)))
    out = tmp_path / 'summary.json'
    assert main([str(tmp_path), '--out', str(out)]) == 0
    stage = json.loads(out.read_text())['stages'][0]
    assert [(r['first_iter'], r['last_iter'], r['median_s_per_iter']) for r in stage['runs']] == \
        [(10, 20, 2.0), (30, 30, 2.0)]
    assert [r['log']['minutes'] for r in stage['runs']] == [30.0, 6.0]
    assert stage['val'] == [dict(epoch=2, **{'tbank/f1': 0.6}), dict(epoch=3, **{'tbank/f1': 0.7})]
    assert stage['hard_negatives_by_epoch'] == {'2': 3, '3': 1}
    assert stage['env'] == dict(seed=7)


def test_a_folder_without_runs_is_named(tmp_path, capsys):
    assert main([str(tmp_path), '--out', str(tmp_path / 'out.json')]) == 1
    assert str(tmp_path) in capsys.readouterr().err and not (tmp_path / 'out.json').exists()
    with pytest.raises(FileNotFoundError, match='no MMEngine run folder'):
        summarize(str(tmp_path))
