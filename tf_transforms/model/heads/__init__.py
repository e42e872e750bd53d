"""Output heads, one module per family, composed from small parts.

``base`` (the contract: ``OutputHead``, ``HEADS``, ``register_head``,
``make_head``), ``source`` (the source spectra part and ``SourceHead``),
``direct`` (the paper's), ``source_filter`` (source_filter, partial_levels),
``comb_chooser`` (the comb bank, the learned chooser layer and its fit),
``harmonic`` (harmonic_comb, harmonic_levels), ``envelope``
(source_envelope, source_warp). Importing this package registers them all.
"""

# Registration order is HEADS' order, which the flags and errors list.
# isort: off
from tf_transforms.model.heads.base import (HEADS, OutputHead, attend, check_head, make_head,
                                            register_head)
from tf_transforms.model.heads.source import SourceHead, SourceSpectra
from tf_transforms.model.heads.direct import DirectHead
from tf_transforms.model.heads.source_filter import PartialLevelsHead, SourceFilterHead
from tf_transforms.model.heads.comb_chooser import CombBank, CombChooser
from tf_transforms.model.heads.harmonic import HarmonicCombHead, HarmonicLevelsHead
from tf_transforms.model.heads.envelope import SourceEnvelopeHead, SourceWarpHead
# isort: on

__all__ = ["HEADS", "CombBank", "CombChooser", "DirectHead", "HarmonicCombHead",
           "HarmonicLevelsHead", "OutputHead", "PartialLevelsHead", "SourceEnvelopeHead",
           "SourceFilterHead", "SourceHead", "SourceSpectra", "SourceWarpHead", "attend",
           "check_head", "make_head", "register_head"]
