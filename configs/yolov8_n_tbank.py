# YOLOv8-n: the YOLOv8-s T-Bank recipe at MMYOLO's n scale.
_base_ = './yolov8_s_tbank.py'

deepen_factor = 0.33
widen_factor = 0.25

model = dict(
    backbone=dict(deepen_factor=deepen_factor, widen_factor=widen_factor),
    neck=dict(deepen_factor=deepen_factor, widen_factor=widen_factor),
    bbox_head=dict(head_module=dict(widen_factor=widen_factor)))
