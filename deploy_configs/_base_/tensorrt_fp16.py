# TensorRT FP16. NMS is TensorRT's built-in EfficientNMS_TRT (MMYOLO's deploy rewriter emits it
# when use_efficientnms is set), so engines need no MMDeploy plugin library.
use_efficientnms = True
backend_config = dict(
    type='tensorrt', common_config=dict(fp16_mode=True, max_workspace_size=1 << 30))
