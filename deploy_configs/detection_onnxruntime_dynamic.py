# ONNX Runtime, dynamic batch and input size, NMS inside the graph.
_base_ = ['./_base_/dynamic.py', './_base_/onnxruntime.py']
