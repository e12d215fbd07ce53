# Real-photo model, stage 1, with geometric augmentation: `yolov8_n_tbank_real_cpu.py` with
# random aspect squeezes, turns (up to 30 degrees) and perspective on the whole photo right
# after loading (`_base_/geometric_aug.py`), for the stretched, turned and 3D shields one
# 640 px pass misses.
_base_ = ['./yolov8_n_tbank_real_cpu.py', './_base_/geometric_aug.py']

n_pre = len(_base_.pre_transform)
train_pipeline = [*_base_.train_pipeline[:n_pre], *_base_.geometric_aug,
                  *_base_.train_pipeline[n_pre:]]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
