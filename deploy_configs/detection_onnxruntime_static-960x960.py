# ONNX Runtime, static 960x960 input, batch 1, NMS inside the graph (the 960 px recipes).
_base_ = ['./_base_/yolov8_end2end.py', './_base_/onnxruntime.py']
onnx_config = dict(input_shape=(960, 960))
