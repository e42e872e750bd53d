from tf_transforms.model.heads.legacy_heads import *  # noqa
from tf_transforms.model.heads.legacy_heads import HEADS, attend, make_head, check_head, register_head, pool_source_frames, band_positions, interpolate  # noqa
