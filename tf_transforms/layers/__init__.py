"""Custom Keras layers of the conditional audio-transform model.

All are registered serialisable under the package name "tf_transforms".
Masks are passed explicitly (``mask`` argument, boolean ``[batch, time]``)
and returned alongside outputs, rather than through Keras' implicit masking.
"""

from tf_transforms.layers.decoder import AttentionDecoder
from tf_transforms.layers.heads import (HEADS, DirectHead, OutputHead, SourceFilterHead,
                                        register_head)
from tf_transforms.layers.encoder import (ConvFrontEnd, ProjectedLSTM, PyramidalLSTM,
                                          StyleConditioning)
from tf_transforms.layers.postfilter import GlobalVariancePostFilter
from tf_transforms.layers.postnet import LinearPostNet

__all__ = ["AttentionDecoder", "ConvFrontEnd", "DirectHead", "GlobalVariancePostFilter", "HEADS",
           "LinearPostNet", "OutputHead", "ProjectedLSTM", "PyramidalLSTM", "SourceFilterHead",
           "StyleConditioning", "register_head"]
