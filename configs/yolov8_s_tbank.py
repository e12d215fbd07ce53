# YOLOv8-s for the one-class T-Bank logo detector, inheriting MMYOLO's YOLOv8-s recipe.
# Only what differs from MMYOLO is written here; the n/m/l variants inherit this file.
_base_ = 'mmyolo::yolov8/yolov8_s_syncbn_fast_8xb16-500e_coco.py'

custom_imports = dict(
    imports=['mmdet_ext.components', 'projects.tbank_logo.components'], allow_failed_imports=False)

# ========================Frequently modified parameters======================
# -----data related-----
# Layout: <data_root>/images/*, <data_root>/train.json, <data_root>/val.json
# (tools/data/split_coco.py writes the two json files).
data_root = 'data/tbank/'
train_ann_file = 'train.json'
val_ann_file = 'val.json'
data_prefix = 'images/'
class_name = ('tbank_logo', )
num_classes = len(class_name)
metainfo = dict(classes=class_name, palette=[(255, 221, 45)])
dataset_type = 'TBankLogoDataset'

train_batch_size_per_gpu = 16
train_num_workers = 4

# -----train val related-----
max_epochs = 100
close_mosaic_epochs = 10
save_epoch_intervals = 5
score_thr_f1 = 0.25  # fixed operating point of the F1 metric (a calibrated one is also reported)

# ===============================Unmodified in most cases====================
model = dict(
    bbox_head=dict(head_module=dict(num_classes=num_classes)),
    train_cfg=dict(assigner=dict(num_classes=num_classes)))

train_dataloader = dict(
    batch_size=train_batch_size_per_gpu,
    num_workers=train_num_workers,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file=train_ann_file,
        data_prefix=dict(img=data_prefix)))

val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file=val_ann_file,
        data_prefix=dict(img=data_prefix)))
test_dataloader = val_dataloader

val_evaluator = dict(
    _delete_=True,
    type='TBankF1Metric',
    ann_file=data_root + val_ann_file,
    iou_thr=0.5,
    score_thr=score_thr_f1)
test_evaluator = val_evaluator

_base_.optim_wrapper.optimizer.batch_size_per_gpu = train_batch_size_per_gpu
_base_.custom_hooks[1].switch_epoch = max_epochs - close_mosaic_epochs

default_hooks = dict(
    param_scheduler=dict(max_epochs=max_epochs),
    # The best checkpoint is the one with the highest F1 at the calibrated threshold.
    checkpoint=dict(interval=save_epoch_intervals, save_best='tbank/best_f1', rule='greater'))

train_cfg = dict(
    max_epochs=max_epochs,
    val_interval=save_epoch_intervals,
    dynamic_intervals=[((max_epochs - close_mosaic_epochs), 1)])
