# Geometric augmentation aimed at the real photos' misses that are not small
# (benchmarks/real_model_kfold.md, the review of the misses): shields stretched to other aspect
# ratios (the two folders resized to 640x640, ATM sides seen at an angle), turned, and seen
# in perspective (3D renders, signs). A config puts `geometric_aug` right after loading, on
# the whole photo (so no content is cut):
#     _base_ = ['./yolov8_n_tbank_real_cpu.py', './_base_/geometric_aug.py']
#     n = len(_base_.pre_transform)
#     train_pipeline = [*_base_.train_pipeline[:n], *_base_.geometric_aug,
#                       *_base_.train_pipeline[n:]]
aspect_prob = 0.3  # chance that an image is squeezed along one axis (1.4x to 3x)
geometric_aug = [
    dict(type='mmcv.RandomApply',
         prob=aspect_prob,
         transforms=[
             dict(type='mmcv.RandomChoice',
                  transforms=[[dict(type='mmdet.Resize', scale_factor=factor, keep_ratio=False)]
                              for factor in ((1.0, 0.33), (1.0, 0.5), (1.0, 0.7), (0.7, 1.0),
                                             (0.5, 1.0), (0.33, 1.0))])
         ]),
    dict(type='mmdet.Albu',
         transforms=[  # 'ellipse' keeps the boxes of turned logos tight
             dict(type='Affine', rotate=(-30, 30), rotate_method='ellipse', fill=114, p=0.3),
             dict(type='Perspective', scale=(0.05, 0.12), fill=114, p=0.2),
         ],
         # clip: a box a rounding error past the border (one in the real photos' 1280 px
         # copies) is clipped instead of failing albumentations' range check mid-training
         bbox_params=dict(type='BboxParams', format='pascal_voc', clip=True,
                          label_fields=['gt_bboxes_labels', 'gt_ignore_flags']),
         keymap=dict(img='image', gt_bboxes='bboxes')),
]
