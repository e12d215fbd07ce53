"""Deterministic synthetic T-Bank logo data (pure numpy/OpenCV/Pillow; no mmdet imports)."""
from .backgrounds import list_images, make_background
from .compose import alpha_box, apply_effects, compose_scene, paste, warp_rgba
from .copy_paste import load_logo_crops
from .distractors import render_distractor
from .generate import generate_dataset, size_bucket
from .logo import render_logo

__all__ = ['alpha_box', 'apply_effects', 'compose_scene', 'generate_dataset', 'list_images',
           'load_logo_crops', 'make_background', 'paste', 'render_distractor', 'render_logo',
           'size_bucket', 'warp_rgba']
