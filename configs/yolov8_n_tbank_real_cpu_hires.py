# Real-photo model, stage 1, at 960 px: `yolov8_n_tbank_real_cpu.py` with a 1.5x larger input,
# so a logo keeps 1.5x its pixels (logos under 32 px are most of what the 640 px recipe
# misses), trained with bfloat16 convolutions (`AutocastHook`), which on this AVX512-BF16 CPU
# pay for most of the larger input: a 960 px train step in bfloat16 takes half the float32
# one, 1.2x a 640 px float32 step (`benchmarks/train_step_cpu_960.md`; a whole iteration,
# data included, about 1.5x). Only the sizes change; every pipeline is
# re-stated through them (a child's `img_scale` does not reach the dicts its parents built).
_base_ = './yolov8_n_tbank_real_cpu.py'

img_scale = (960, 960)  # width, height
resized = ('YOLOv5KeepRatioResize', 'LetterResize')

train_pipeline = [dict(t, scale=img_scale) if t['type'] in resized else t
                  for t in _base_.train_pipeline]
test_pipeline = [dict(t, scale=img_scale) if t['type'] in resized else t
                 for t in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
custom_hooks = [*_base_.custom_hooks, dict(type='AutocastHook')]
