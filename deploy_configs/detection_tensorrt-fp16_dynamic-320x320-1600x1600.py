# TensorRT FP16, dynamic input 320..1600 px per side (optimised for 640) and batch 1..8,
# EfficientNMS_TRT inside the engine.
_base_ = ['./_base_/dynamic.py', './_base_/tensorrt_fp16.py']
backend_config = dict(model_inputs=[
    dict(input_shapes=dict(input=dict(
        min_shape=[1, 3, 320, 320], opt_shape=[1, 3, 640, 640], max_shape=[8, 3, 1600, 1600])))
])
