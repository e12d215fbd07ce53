# Tile-crop training, shared by the tiled recipes: with probability `tile_prob` an image becomes
# a network-size tile cut at full resolution (`RandomTileCrop`), as tiled inference sees a photo;
# otherwise it is used whole, as tiled inference's full-image pass sees it. A config adds the
# sizes it knows:
#     _base_ = ['./yolov8_n_tbank_real_cpu.py', './_base_/tile_crop.py']
#     tile = dict(type='mmcv.RandomApply', prob=_base_.tile_prob, transforms=[dict(
#         _base_.tile_crop, tile_size=_base_.img_scale, small_area=_base_.small_box_area)])
tile_prob = 0.7  # chance that an image is tiled (else used whole)
tile_crop = dict(
    type='RandomTileCrop',
    object_prob=0.7,  # chance that a tile is placed on a box (small boxes 4x as likely)
    min_visible=0.6)  # a box cut by the tile border is kept if 60 % of it stays inside
