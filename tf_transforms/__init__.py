"""tf_transforms: Conditional End-to-End Audio Transforms (Haque, Guo, Verma).

Modules:
  configs   typed settings (AudioConfig) with the paper's defaults
  audio     tf.signal front-end: pre/de-emphasis, STFT, mel, log-mel, Griffin-Lim
  io        reading / writing audio files with validation
  metrics   standard MCD, the paper's eq. (3), confidence intervals
"""

__version__ = "0.1.0"
