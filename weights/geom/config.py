_backend_args = None
_multiscale_resize_transforms = [
    dict(
        _scope_='mmyolo',
        transforms=[
            dict(scale=(
                640,
                640,
            ), type='YOLOv5KeepRatioResize'),
            dict(
                allow_scale_up=False,
                pad_val=dict(img=114),
                scale=(
                    640,
                    640,
                ),
                type='LetterResize'),
        ],
        type='Compose'),
    dict(
        _scope_='mmyolo',
        transforms=[
            dict(scale=(
                320,
                320,
            ), type='YOLOv5KeepRatioResize'),
            dict(
                allow_scale_up=False,
                pad_val=dict(img=114),
                scale=(
                    320,
                    320,
                ),
                type='LetterResize'),
        ],
        type='Compose'),
    dict(
        _scope_='mmyolo',
        transforms=[
            dict(scale=(
                960,
                960,
            ), type='YOLOv5KeepRatioResize'),
            dict(
                allow_scale_up=False,
                pad_val=dict(img=114),
                scale=(
                    960,
                    960,
                ),
                type='LetterResize'),
        ],
        type='Compose'),
]
affine_scale = 0.5
albu_train_transforms = [
    dict(p=0.01, type='Blur'),
    dict(p=0.01, type='MedianBlur'),
    dict(p=0.1, type='ToGray'),
    dict(p=0.01, type='CLAHE'),
    dict(
        hue_shift_limit=60,
        p=0.2,
        sat_shift_limit=30,
        type='HueSaturationValue',
        val_shift_limit=20),
]
aspect_prob = 0.3
backend_args = None
base_lr = 0.0005
batch_shapes_cfg = None
class_name = ('tbank_logo', )
close_mosaic_epochs = 10
custom_hooks = [
    dict(
        ema_type='ExpMomentumEMA',
        momentum=0.0001,
        priority=49,
        strict_load=False,
        type='EMAHook',
        update_buffers=True),
    dict(type='ChannelsLastHook'),
    dict(
        interval=6,
        pool='train_negatives',
        score_thr=0.25,
        start_epoch=1,
        type='HardNegativeMiningHook',
        weight=2.0),
    dict(type='ReproducibilityHook'),
]
custom_imports = dict(
    allow_failed_imports=False,
    imports=[
        'mmdet_ext',
        'projects.tbank_logo.components',
    ])
data_prefix = 'images/'
data_root = 'data/real_train/'
dataset_type = 'TBankLogoDataset'
deepen_factor = 0.33
default_hooks = dict(
    checkpoint=dict(
        _scope_='mmyolo',
        interval=2,
        max_keep_ckpts=2,
        rule='greater',
        save_best='tbank/best_f1',
        type='CheckpointHook'),
    logger=dict(_scope_='mmyolo', interval=20, type='LoggerHook'),
    param_scheduler=dict(
        _scope_='mmyolo',
        lr_factor=0.01,
        max_epochs=6,
        scheduler_type='linear',
        type='YOLOv5ParamSchedulerHook',
        warmup_bias_lr=0.0005,
        warmup_epochs=0,
        warmup_mim_iter=50),
    sampler_seed=dict(_scope_='mmyolo', type='DistSamplerSeedHook'),
    timer=dict(_scope_='mmyolo', type='IterTimerHook'),
    visualization=dict(_scope_='mmyolo', type='mmdet.DetVisualizationHook'))
default_scope = 'mmyolo'
env_cfg = dict(
    cudnn_benchmark=True,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
geometric_aug = [
    dict(
        prob=0.3,
        transforms=[
            dict(
                transforms=[
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                1.0,
                                0.33,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                1.0,
                                0.5,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                1.0,
                                0.7,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                0.7,
                                1.0,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                0.5,
                                1.0,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                0.33,
                                1.0,
                            ),
                            type='mmdet.Resize'),
                    ],
                ],
                type='mmcv.RandomChoice'),
        ],
        type='mmcv.RandomApply'),
    dict(
        bbox_params=dict(
            clip=True,
            format='pascal_voc',
            label_fields=[
                'gt_bboxes_labels',
                'gt_ignore_flags',
            ],
            type='BboxParams'),
        keymap=dict(gt_bboxes='bboxes', img='image'),
        transforms=[
            dict(
                fill=114,
                p=0.3,
                rotate=(
                    -30,
                    30,
                ),
                rotate_method='ellipse',
                type='Affine'),
            dict(fill=114, p=0.2, scale=(
                0.05,
                0.12,
            ), type='Perspective'),
        ],
        type='mmdet.Albu'),
]
img_scale = (
    640,
    640,
)
img_scales = [
    (
        640,
        640,
    ),
    (
        320,
        320,
    ),
    (
        960,
        960,
    ),
]
last_stage_out_channels = 1024
last_transform = [
    dict(
        _scope_='mmyolo',
        bbox_params=dict(
            format='pascal_voc',
            label_fields=[
                'gt_bboxes_labels',
                'gt_ignore_flags',
            ],
            type='BboxParams'),
        keymap=dict(gt_bboxes='bboxes', img='image'),
        transforms=[
            dict(p=0.01, type='Blur'),
            dict(p=0.01, type='MedianBlur'),
            dict(p=0.1, type='ToGray'),
            dict(p=0.01, type='CLAHE'),
            dict(
                hue_shift_limit=60,
                p=0.2,
                sat_shift_limit=30,
                type='HueSaturationValue',
                val_shift_limit=20),
        ],
        type='mmdet.Albu'),
    dict(_scope_='mmyolo', type='YOLOv5HSVRandomAug'),
    dict(_scope_='mmyolo', prob=0.5, type='mmdet.RandomFlip'),
    dict(
        _scope_='mmyolo',
        meta_keys=(
            'img_id',
            'img_path',
            'ori_shape',
            'img_shape',
            'flip',
            'flip_direction',
        ),
        type='mmdet.PackDetInputs'),
]
load_from = 'work_dirs/real_cpu_geom/epoch_8.pth'
log_level = 'INFO'
log_processor = dict(
    _scope_='mmyolo', by_epoch=True, type='LogProcessor', window_size=50)
loss_bbox_weight = 7.5
loss_cls_weight = 0.5
loss_dfl_weight = 0.375
lr_factor = 0.01
max_aspect_ratio = 100
max_epochs = 6
max_keep_ckpts = 2
metainfo = dict(
    classes=('tbank_logo', ), palette=[
        (
            255,
            221,
            45,
        ),
    ])
mining_epoch = 1
mining_score_thr = 0.25
mining_weight = 2.0
model = dict(
    _scope_='mmyolo',
    backbone=dict(
        act_cfg=dict(inplace=True, type='SiLU'),
        arch='P5',
        deepen_factor=0.33,
        last_stage_out_channels=1024,
        norm_cfg=dict(eps=0.001, momentum=0.03, type='BN'),
        type='YOLOv8CSPDarknet',
        widen_factor=0.25),
    bbox_head=dict(
        bbox_coder=dict(type='DistancePointBBoxCoder'),
        head_module=dict(
            act_cfg=dict(inplace=True, type='SiLU'),
            featmap_strides=[
                8,
                16,
                32,
            ],
            in_channels=[
                256,
                512,
                1024,
            ],
            norm_cfg=dict(eps=0.001, momentum=0.03, type='BN'),
            num_classes=1,
            reg_max=16,
            type='YOLOv8HeadModule',
            widen_factor=0.25),
        loss_bbox=dict(
            alpha=1.0,
            bbox_format='xyxy',
            iou_mode='ciou',
            loss_weight=7.5,
            max_weight=2.0,
            reduction='sum',
            ref_area=1024,
            return_iou=False,
            type='SmallObjectWeightedIoULoss'),
        loss_cls=dict(
            loss_weight=0.5,
            reduction='none',
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=True),
        loss_dfl=dict(
            loss_weight=0.375,
            reduction='mean',
            type='mmdet.DistributionFocalLoss'),
        prior_generator=dict(
            offset=0.5, strides=[
                8,
                16,
                32,
            ], type='mmdet.MlvlPointGenerator'),
        type='YOLOv8Head'),
    data_preprocessor=dict(
        bgr_to_rgb=True,
        mean=[
            0.0,
            0.0,
            0.0,
        ],
        std=[
            255.0,
            255.0,
            255.0,
        ],
        type='YOLOv5DetDataPreprocessor'),
    neck=dict(
        act_cfg=dict(inplace=True, type='SiLU'),
        deepen_factor=0.33,
        in_channels=[
            256,
            512,
            1024,
        ],
        norm_cfg=dict(eps=0.001, momentum=0.03, type='BN'),
        num_csp_blocks=3,
        out_channels=[
            256,
            512,
            1024,
        ],
        type='YOLOv8PAFPN',
        widen_factor=0.25),
    test_cfg=dict(
        max_per_img=300,
        multi_label=True,
        nms=dict(iou_threshold=0.7, type='nms'),
        nms_pre=30000,
        score_thr=0.001),
    train_cfg=dict(
        assigner=dict(
            alpha=0.5,
            beta=6.0,
            eps=1e-09,
            num_classes=1,
            topk=10,
            type='BatchTaskAlignedAssigner',
            use_ciou=True)),
    type='YOLODetector')
model_test_cfg = dict(
    max_per_img=300,
    multi_label=True,
    nms=dict(_scope_='mmyolo', iou_threshold=0.7, type='nms'),
    nms_pre=30000,
    score_thr=0.001)
n_pre = 2
norm_cfg = dict(_scope_='mmyolo', eps=0.001, momentum=0.03, type='BN')
num_classes = 1
num_det_layers = 3
optim_wrapper = dict(
    _scope_='mmyolo',
    clip_grad=dict(max_norm=10.0),
    constructor='YOLOv5OptimizerConstructor',
    optimizer=dict(
        batch_size_per_gpu=8,
        betas=(
            0.937,
            0.999,
        ),
        lr=0.0005,
        type='AdamW',
        weight_decay=0.0005),
    type='OptimWrapper')
param_scheduler = None
persistent_workers = True
pre_transform = [
    dict(_scope_='mmyolo', backend_args=None, type='LoadImageFromFile'),
    dict(_scope_='mmyolo', type='LoadAnnotations', with_bbox=True),
]
resume = False
save_epoch_intervals = 4
score_thr_f1 = 0.25
small_box_area = 1024
small_repeat_factor = 2.0
squash_prob = 0.25
strides = [
    8,
    16,
    32,
]
tal_alpha = 0.5
tal_beta = 6.0
tal_topk = 10
test_cfg = dict(_scope_='mmyolo', type='TestLoop')
test_dataloader = dict(
    batch_size=8,
    dataset=dict(
        _scope_='mmyolo',
        ann_file='val.json',
        batch_shapes_cfg=None,
        data_prefix=dict(img='images/'),
        data_root='data/real_1280/',
        metainfo=dict(classes=('tbank_logo', ), palette=[
            (
                255,
                221,
                45,
            ),
        ]),
        pipeline=[
            dict(backend_args=None, type='LoadImageFromFile'),
            dict(scale=(
                640,
                640,
            ), type='YOLOv5KeepRatioResize'),
            dict(
                allow_scale_up=False,
                pad_val=dict(img=114),
                scale=(
                    640,
                    640,
                ),
                type='LetterResize'),
            dict(_scope_='mmdet', type='LoadAnnotations', with_bbox=True),
            dict(
                meta_keys=(
                    'img_id',
                    'img_path',
                    'ori_shape',
                    'img_shape',
                    'scale_factor',
                    'pad_param',
                ),
                type='mmdet.PackDetInputs'),
        ],
        test_mode=True,
        type='TBankLogoDataset'),
    drop_last=False,
    num_workers=1,
    persistent_workers=True,
    pin_memory=False,
    sampler=dict(_scope_='mmyolo', shuffle=False, type='DefaultSampler'))
test_evaluator = dict(
    ann_file='data/real_1280/val.json',
    iou_thr=0.5,
    score_thr=0.25,
    type='TBankF1Metric')
test_pipeline = [
    dict(backend_args=None, type='LoadImageFromFile'),
    dict(scale=(
        640,
        640,
    ), type='YOLOv5KeepRatioResize'),
    dict(
        allow_scale_up=False,
        pad_val=dict(img=114),
        scale=(
            640,
            640,
        ),
        type='LetterResize'),
    dict(_scope_='mmdet', type='LoadAnnotations', with_bbox=True),
    dict(
        meta_keys=(
            'img_id',
            'img_path',
            'ori_shape',
            'img_shape',
            'scale_factor',
            'pad_param',
        ),
        type='mmdet.PackDetInputs'),
]
train_ann_file = 'annotations.json'
train_batch_size_per_gpu = 8
train_cfg = dict(
    _scope_='mmyolo',
    dynamic_intervals=None,
    max_epochs=6,
    type='EpochBasedTrainLoop',
    val_interval=2)
train_data_prefix = 'train2017/'
train_dataloader = dict(
    batch_size=8,
    collate_fn=dict(_scope_='mmyolo', type='yolov5_collate'),
    dataset=dict(
        dataset=dict(
            ann_file='annotations.json',
            data_prefix=dict(img='images/'),
            data_root='data/real_train/',
            filter_cfg=dict(filter_empty_gt=False, min_size=0),
            metainfo=dict(
                classes=('tbank_logo', ), palette=[
                    (
                        255,
                        221,
                        45,
                    ),
                ]),
            pipeline=[
                dict(
                    _scope_='mmyolo',
                    backend_args=None,
                    type='LoadImageFromFile'),
                dict(_scope_='mmyolo', type='LoadAnnotations', with_bbox=True),
                dict(
                    prob=0.3,
                    transforms=[
                        dict(
                            transforms=[
                                [
                                    dict(
                                        keep_ratio=False,
                                        scale_factor=(
                                            1.0,
                                            0.33,
                                        ),
                                        type='mmdet.Resize'),
                                ],
                                [
                                    dict(
                                        keep_ratio=False,
                                        scale_factor=(
                                            1.0,
                                            0.5,
                                        ),
                                        type='mmdet.Resize'),
                                ],
                                [
                                    dict(
                                        keep_ratio=False,
                                        scale_factor=(
                                            1.0,
                                            0.7,
                                        ),
                                        type='mmdet.Resize'),
                                ],
                                [
                                    dict(
                                        keep_ratio=False,
                                        scale_factor=(
                                            0.7,
                                            1.0,
                                        ),
                                        type='mmdet.Resize'),
                                ],
                                [
                                    dict(
                                        keep_ratio=False,
                                        scale_factor=(
                                            0.5,
                                            1.0,
                                        ),
                                        type='mmdet.Resize'),
                                ],
                                [
                                    dict(
                                        keep_ratio=False,
                                        scale_factor=(
                                            0.33,
                                            1.0,
                                        ),
                                        type='mmdet.Resize'),
                                ],
                            ],
                            type='mmcv.RandomChoice'),
                    ],
                    type='mmcv.RandomApply'),
                dict(
                    bbox_params=dict(
                        clip=True,
                        format='pascal_voc',
                        label_fields=[
                            'gt_bboxes_labels',
                            'gt_ignore_flags',
                        ],
                        type='BboxParams'),
                    keymap=dict(gt_bboxes='bboxes', img='image'),
                    transforms=[
                        dict(
                            fill=114,
                            p=0.3,
                            rotate=(
                                -30,
                                30,
                            ),
                            rotate_method='ellipse',
                            type='Affine'),
                        dict(
                            fill=114,
                            p=0.2,
                            scale=(
                                0.05,
                                0.12,
                            ),
                            type='Perspective'),
                    ],
                    type='mmdet.Albu'),
                dict(
                    prob=0.25,
                    transforms=[
                        dict(
                            keep_ratio=False,
                            scale=(
                                640,
                                640,
                            ),
                            type='mmdet.Resize'),
                    ],
                    type='mmcv.RandomApply'),
                dict(scale=(
                    640,
                    640,
                ), type='YOLOv5KeepRatioResize'),
                dict(
                    allow_scale_up=True,
                    pad_val=dict(img=114.0),
                    scale=(
                        640,
                        640,
                    ),
                    type='LetterResize'),
                dict(
                    border_val=(
                        114,
                        114,
                        114,
                    ),
                    max_aspect_ratio=100,
                    max_rotate_degree=0.0,
                    max_shear_degree=0.0,
                    scaling_ratio_range=(
                        0.5,
                        1.5,
                    ),
                    type='YOLOv5RandomAffine'),
                dict(
                    _scope_='mmyolo',
                    bbox_params=dict(
                        format='pascal_voc',
                        label_fields=[
                            'gt_bboxes_labels',
                            'gt_ignore_flags',
                        ],
                        type='BboxParams'),
                    keymap=dict(gt_bboxes='bboxes', img='image'),
                    transforms=[
                        dict(p=0.01, type='Blur'),
                        dict(p=0.01, type='MedianBlur'),
                        dict(p=0.1, type='ToGray'),
                        dict(p=0.01, type='CLAHE'),
                        dict(
                            hue_shift_limit=60,
                            p=0.2,
                            sat_shift_limit=30,
                            type='HueSaturationValue',
                            val_shift_limit=20),
                    ],
                    type='mmdet.Albu'),
                dict(_scope_='mmyolo', type='YOLOv5HSVRandomAug'),
                dict(_scope_='mmyolo', prob=0.5, type='mmdet.RandomFlip'),
                dict(
                    _scope_='mmyolo',
                    meta_keys=(
                        'img_id',
                        'img_path',
                        'ori_shape',
                        'img_shape',
                        'flip',
                        'flip_direction',
                    ),
                    type='mmdet.PackDetInputs'),
            ],
            type='TBankLogoDataset'),
        small_area=1024,
        small_factor=2.0,
        type='SmallObjectRepeatDataset'),
    num_workers=1,
    persistent_workers=True,
    pin_memory=False,
    sampler=dict(_scope_='mmyolo', shuffle=True, type='DefaultSampler'))
train_num_workers = 1
train_pipeline = [
    dict(_scope_='mmyolo', backend_args=None, type='LoadImageFromFile'),
    dict(_scope_='mmyolo', type='LoadAnnotations', with_bbox=True),
    dict(
        prob=0.3,
        transforms=[
            dict(
                transforms=[
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                1.0,
                                0.33,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                1.0,
                                0.5,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                1.0,
                                0.7,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                0.7,
                                1.0,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                0.5,
                                1.0,
                            ),
                            type='mmdet.Resize'),
                    ],
                    [
                        dict(
                            keep_ratio=False,
                            scale_factor=(
                                0.33,
                                1.0,
                            ),
                            type='mmdet.Resize'),
                    ],
                ],
                type='mmcv.RandomChoice'),
        ],
        type='mmcv.RandomApply'),
    dict(
        bbox_params=dict(
            clip=True,
            format='pascal_voc',
            label_fields=[
                'gt_bboxes_labels',
                'gt_ignore_flags',
            ],
            type='BboxParams'),
        keymap=dict(gt_bboxes='bboxes', img='image'),
        transforms=[
            dict(
                fill=114,
                p=0.3,
                rotate=(
                    -30,
                    30,
                ),
                rotate_method='ellipse',
                type='Affine'),
            dict(fill=114, p=0.2, scale=(
                0.05,
                0.12,
            ), type='Perspective'),
        ],
        type='mmdet.Albu'),
    dict(
        prob=0.25,
        transforms=[
            dict(keep_ratio=False, scale=(
                640,
                640,
            ), type='mmdet.Resize'),
        ],
        type='mmcv.RandomApply'),
    dict(scale=(
        640,
        640,
    ), type='YOLOv5KeepRatioResize'),
    dict(
        allow_scale_up=True,
        pad_val=dict(img=114.0),
        scale=(
            640,
            640,
        ),
        type='LetterResize'),
    dict(
        border_val=(
            114,
            114,
            114,
        ),
        max_aspect_ratio=100,
        max_rotate_degree=0.0,
        max_shear_degree=0.0,
        scaling_ratio_range=(
            0.5,
            1.5,
        ),
        type='YOLOv5RandomAffine'),
    dict(
        _scope_='mmyolo',
        bbox_params=dict(
            format='pascal_voc',
            label_fields=[
                'gt_bboxes_labels',
                'gt_ignore_flags',
            ],
            type='BboxParams'),
        keymap=dict(gt_bboxes='bboxes', img='image'),
        transforms=[
            dict(p=0.01, type='Blur'),
            dict(p=0.01, type='MedianBlur'),
            dict(p=0.1, type='ToGray'),
            dict(p=0.01, type='CLAHE'),
            dict(
                hue_shift_limit=60,
                p=0.2,
                sat_shift_limit=30,
                type='HueSaturationValue',
                val_shift_limit=20),
        ],
        type='mmdet.Albu'),
    dict(_scope_='mmyolo', type='YOLOv5HSVRandomAug'),
    dict(_scope_='mmyolo', prob=0.5, type='mmdet.RandomFlip'),
    dict(
        _scope_='mmyolo',
        meta_keys=(
            'img_id',
            'img_path',
            'ori_shape',
            'img_shape',
            'flip',
            'flip_direction',
        ),
        type='mmdet.PackDetInputs'),
]
train_pipeline_stage2 = [
    dict(_scope_='mmyolo', backend_args=None, type='LoadImageFromFile'),
    dict(_scope_='mmyolo', type='LoadAnnotations', with_bbox=True),
    dict(_scope_='mmyolo', scale=(
        640,
        640,
    ), type='YOLOv5KeepRatioResize'),
    dict(
        _scope_='mmyolo',
        allow_scale_up=True,
        pad_val=dict(img=114.0),
        scale=(
            640,
            640,
        ),
        type='LetterResize'),
    dict(
        _scope_='mmyolo',
        border_val=(
            114,
            114,
            114,
        ),
        max_aspect_ratio=100,
        max_rotate_degree=0.0,
        max_shear_degree=0.0,
        scaling_ratio_range=(
            0.5,
            1.5,
        ),
        type='YOLOv5RandomAffine'),
    dict(
        _scope_='mmyolo',
        bbox_params=dict(
            format='pascal_voc',
            label_fields=[
                'gt_bboxes_labels',
                'gt_ignore_flags',
            ],
            type='BboxParams'),
        keymap=dict(gt_bboxes='bboxes', img='image'),
        transforms=[
            dict(p=0.01, type='Blur'),
            dict(p=0.01, type='MedianBlur'),
            dict(p=0.01, type='ToGray'),
            dict(p=0.01, type='CLAHE'),
        ],
        type='mmdet.Albu'),
    dict(_scope_='mmyolo', type='YOLOv5HSVRandomAug'),
    dict(_scope_='mmyolo', prob=0.5, type='mmdet.RandomFlip'),
    dict(
        _scope_='mmyolo',
        meta_keys=(
            'img_id',
            'img_path',
            'ori_shape',
            'img_shape',
            'flip',
            'flip_direction',
        ),
        type='mmdet.PackDetInputs'),
]
tta_model = dict(
    _scope_='mmyolo',
    tta_cfg=dict(max_per_img=300, nms=dict(iou_threshold=0.65, type='nms')),
    type='mmdet.DetTTAModel')
tta_pipeline = [
    dict(_scope_='mmyolo', backend_args=None, type='LoadImageFromFile'),
    dict(
        _scope_='mmyolo',
        transforms=[
            [
                dict(
                    transforms=[
                        dict(scale=(
                            640,
                            640,
                        ), type='YOLOv5KeepRatioResize'),
                        dict(
                            allow_scale_up=False,
                            pad_val=dict(img=114),
                            scale=(
                                640,
                                640,
                            ),
                            type='LetterResize'),
                    ],
                    type='Compose'),
                dict(
                    transforms=[
                        dict(scale=(
                            320,
                            320,
                        ), type='YOLOv5KeepRatioResize'),
                        dict(
                            allow_scale_up=False,
                            pad_val=dict(img=114),
                            scale=(
                                320,
                                320,
                            ),
                            type='LetterResize'),
                    ],
                    type='Compose'),
                dict(
                    transforms=[
                        dict(scale=(
                            960,
                            960,
                        ), type='YOLOv5KeepRatioResize'),
                        dict(
                            allow_scale_up=False,
                            pad_val=dict(img=114),
                            scale=(
                                960,
                                960,
                            ),
                            type='LetterResize'),
                    ],
                    type='Compose'),
            ],
            [
                dict(prob=1.0, type='mmdet.RandomFlip'),
                dict(prob=0.0, type='mmdet.RandomFlip'),
            ],
            [
                dict(type='mmdet.LoadAnnotations', with_bbox=True),
            ],
            [
                dict(
                    meta_keys=(
                        'img_id',
                        'img_path',
                        'ori_shape',
                        'img_shape',
                        'scale_factor',
                        'pad_param',
                        'flip',
                        'flip_direction',
                    ),
                    type='mmdet.PackDetInputs'),
            ],
        ],
        type='TestTimeAug'),
]
val_ann_file = 'val.json'
val_batch_size_per_gpu = 1
val_cfg = dict(_scope_='mmyolo', type='ValLoop')
val_data_prefix = 'val2017/'
val_data_root = 'data/real_1280/'
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        _scope_='mmyolo',
        ann_file='val.json',
        batch_shapes_cfg=None,
        data_prefix=dict(img='images/'),
        data_root='data/real_1280/',
        metainfo=dict(classes=('tbank_logo', ), palette=[
            (
                255,
                221,
                45,
            ),
        ]),
        pipeline=[
            dict(backend_args=None, type='LoadImageFromFile'),
            dict(scale=(
                640,
                640,
            ), type='YOLOv5KeepRatioResize'),
            dict(
                allow_scale_up=False,
                pad_val=dict(img=114),
                scale=(
                    640,
                    640,
                ),
                type='LetterResize'),
            dict(_scope_='mmdet', type='LoadAnnotations', with_bbox=True),
            dict(
                meta_keys=(
                    'img_id',
                    'img_path',
                    'ori_shape',
                    'img_shape',
                    'scale_factor',
                    'pad_param',
                ),
                type='mmdet.PackDetInputs'),
        ],
        test_mode=True,
        type='TBankLogoDataset'),
    drop_last=False,
    num_workers=1,
    persistent_workers=True,
    pin_memory=False,
    sampler=dict(_scope_='mmyolo', shuffle=False, type='DefaultSampler'))
val_evaluator = dict(
    ann_file='data/real_1280/val.json',
    iou_thr=0.5,
    score_thr=0.25,
    type='TBankF1Metric')
val_interval = 2
val_interval_stage2 = 1
val_num_workers = 2
vis_backends = [
    dict(_scope_='mmyolo', type='LocalVisBackend'),
]
visualizer = dict(
    _scope_='mmyolo',
    name='visualizer',
    type='mmdet.DetLocalVisualizer',
    vis_backends=[
        dict(type='LocalVisBackend'),
    ])
weight_decay = 0.0005
widen_factor = 0.25
