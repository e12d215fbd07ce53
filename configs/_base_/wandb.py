# Weights & Biases logging through MMEngine's WandbVisBackend. Optional: `pip install wandb`
# and `wandb login` (or WANDB_MODE=offline to write ./wandb only). Switch it on with
# `tools/train.py CONFIG --wandb`, or in a config:
#     _base_ = ['./yolov8_s_tbank_recipe.py', './_base_/wandb.py']
#     visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), _base_.wandb_vis_backend])
wandb_vis_backend = dict(
    type='WandbVisBackend',
    init_kwargs=dict(project='tbank-logo'),
    # Summaries keep the best value of the selection metric, not the last one.
    define_metric_cfg={'tbank/best_f1': 'max', 'tbank/f1': 'max'})
