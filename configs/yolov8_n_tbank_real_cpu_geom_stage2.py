# Real-photo model with geometric augmentation, stage 2: `yolov8_n_tbank_real_cpu_stage2.py`
# with the geometric augmentation of `yolov8_n_tbank_real_cpu_geom.py` right after loading
# (before stage 2's squash), from that config's stage 1.
_base_ = ['./yolov8_n_tbank_real_cpu_stage2.py', './_base_/geometric_aug.py']

load_from = 'work_dirs/real_cpu_geom/epoch_8.pth'  # stage 1 with geometric augmentation

n_pre = len(_base_.pre_transform)
train_pipeline = [*_base_.train_pipeline[:n_pre], *_base_.geometric_aug,
                  *_base_.train_pipeline[n_pre:]]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
