"""mmdet-ext: an MMYOLO plugin for one-class, small-object detectors (T-Bank logo project)."""
from setuptools import find_packages, setup

setup(
    name='mmdet-ext',
    version='0.1.0',
    description='MMYOLO/MMDetection plugin for one-class small-object detection '
    '(T-Bank logo detector)',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(include=['mmdet_ext', 'mmdet_ext.*', 'projects', 'projects.*']),
    # The OpenMMLab stack (mmcv built with ops, mmdet, mmyolo, mmdeploy) is pinned in
    # requirements/*.txt and installed by `make install`: mmcv needs a patched source build.
    install_requires=['numpy', 'pillow', 'opencv-python', 'pycocotools', 'tqdm'],
    extras_require={'tests': ['pytest', 'hypothesis']},
)
