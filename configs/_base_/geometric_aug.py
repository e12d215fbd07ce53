# Geometric augmentation aimed at the real photos' misses that are not small
# (benchmarks/real_model_kfold.md, the review of the misses): shields stretched to other aspect
# ratios (the two folders resized to 640x640, ATM sides seen at an angle), turned, and seen
# in perspective (3D renders, signs). A config adds `aspect_jitter` right after loading (before
# the letterbox, so no content is cut) and appends `albu_geometric` to its Albu transforms:
#     _base_ = ['./yolov8_n_tbank_real_cpu.py', './_base_/geometric_aug.py']
aspect_prob = 0.3  # chance that an image is squeezed along one axis (1.4x to 3x)
aspect_jitter = dict(
    type='mmcv.RandomApply',
    prob=aspect_prob,
    transforms=[
        dict(type='mmcv.RandomChoice',
             transforms=[[dict(type='mmdet.Resize', scale_factor=factor, keep_ratio=False)]
                         for factor in ((1.0, 0.33), (1.0, 0.5), (1.0, 0.7), (0.7, 1.0),
                                        (0.5, 1.0), (0.33, 1.0))])
    ])
# Albumentations on the network-size canvas; 'ellipse' keeps the boxes of turned logos tight.
albu_geometric = [
    dict(type='Affine', rotate=(-30, 30), rotate_method='ellipse', fill=114, p=0.3),
    dict(type='Perspective', scale=(0.05, 0.12), fill=114, p=0.2),
]
