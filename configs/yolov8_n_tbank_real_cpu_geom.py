# Real-photo model, stage 1, with geometric augmentation: `yolov8_n_tbank_real_cpu.py` plus
# random aspect squeezes, turns (up to 30 degrees) and perspective (`_base_/geometric_aug.py`),
# for the stretched, turned and 3D shields one 640 px pass misses.
_base_ = ['./yolov8_n_tbank_real_cpu.py', './_base_/geometric_aug.py']

n_pre = len(_base_.pre_transform)
n_last = len(_base_.last_transform)
albu = _base_.last_transform[0]
train_pipeline = [
    *_base_.train_pipeline[:n_pre],
    _base_.aspect_jitter,
    *_base_.train_pipeline[n_pre:-n_last],
    dict(albu, transforms=[*albu.transforms, *_base_.albu_geometric]),
    *_base_.train_pipeline[-n_last + 1:],
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
