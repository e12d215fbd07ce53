# TensorRT FP16, static 640x640 input, batch 1, EfficientNMS_TRT inside the engine.
_base_ = ['./_base_/yolov8_end2end.py', './_base_/tensorrt_fp16.py']
onnx_config = dict(input_shape=(640, 640))
backend_config = dict(model_inputs=[
    dict(input_shapes=dict(input=dict(
        min_shape=[1, 3, 640, 640], opt_shape=[1, 3, 640, 640], max_shape=[1, 3, 640, 640])))
])
