"""A COCO dataset for one-class detectors that keeps images without objects."""
from mmengine.fileio import load
from mmyolo.datasets import YOLOv5CocoDataset
from mmyolo.registry import DATASETS


@DATASETS.register_module()
class OneClassCocoDataset(YOLOv5CocoDataset):
    """COCO-format dataset for a single-class detector.

    Differences from MMYOLO's ``YOLOv5CocoDataset``:

    * images with no annotation are kept (``filter_empty_gt`` is forced off): for a one-class
      detector they are the negatives that teach it what is *not* the object;
    * a class name that matches no category of the annotation file is an error naming both
      sides, instead of a silently empty dataset.

    Args:
        keep_negatives (bool): Keep images without boxes. Defaults to True.
        *args, **kwargs: As for ``YOLOv5CocoDataset`` (``ann_file``, ``data_root``,
            ``data_prefix``, ``pipeline``, ``metainfo``, ``batch_shapes_cfg``...).
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self, *args, keep_negatives: bool = True, **kwargs):
        if keep_negatives:
            kwargs['filter_cfg'] = dict(kwargs.get('filter_cfg') or {}, filter_empty_gt=False)
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        data_list = super().load_data_list()
        if not self.cat_ids:  # error path only: read the file again to name its categories
            names = [c.get('name') for c in load(self.ann_file).get('categories', [])]
            wanted = list(self.metainfo['classes'])
            raise ValueError(f'{self.ann_file}: no category named {wanted}; '
                             f'the file has categories {names}. Set metainfo=dict(classes=...) '
                             'to the category name used in the file.')
        return data_list
