# Real-photo model with geometric augmentation, stage 2: `yolov8_n_tbank_real_cpu_stage2.py`
# with the additions of `yolov8_n_tbank_real_cpu_geom.py` (after stage 2's own squash), from
# that config's stage 1.
_base_ = ['./yolov8_n_tbank_real_cpu_stage2.py', './_base_/geometric_aug.py']

load_from = 'work_dirs/real_cpu_geom/epoch_8.pth'  # stage 1 with geometric augmentation

n_first = len(_base_.pre_transform) + 1  # loading and stage 2's squash
n_last = len(_base_.last_transform)
albu = _base_.last_transform[0]
train_pipeline = [
    *_base_.train_pipeline[:n_first],
    _base_.aspect_jitter,
    *_base_.train_pipeline[n_first:-n_last],
    dict(albu, transforms=[*albu.transforms, *_base_.albu_geometric]),
    *_base_.train_pipeline[-n_last + 1:],
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
