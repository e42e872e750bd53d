"""Typed configuration for the audio front-end.

Defaults are the paper's (Haque, Guo, Verma, sec. 3 "Audio Format"): 16 kHz,
pre-emphasis 0.97, Hann window of 50 ms (800 samples), hop 12.5 ms (200
samples), 2048-point FFT, 80 mel bands.

Decisions the paper leaves open, and why:

* **Mel scale**: Slaney's (librosa's default, ``htk=False, norm="slaney"``),
  so features match what most TTS / vocoder code computes with librosa.
* **Log compression**: natural log of mel *power*, floored at
  ``log_floor = 1e-5``. The natural log of mel power is what the standard MCD
  expects; 1e-5 is ~83 dB below the mel peak of a full-scale sinusoid and
  ~30 dB above 16-bit quantisation noise, so digital silence and the noise
  floor of real recordings map to the same value instead of a -100 dB cliff
  that would dominate an MSE loss.
* **Normalisation**: a fixed affine map of the log-mel, ``[log(log_floor),
  log(ref_power)] -> [-1, 1]`` (values above ``ref_power`` exceed 1; nothing
  is clipped). It is stateless (no dataset statistics to compute, store, or
  ship with an export), exactly invertible, and identical in training,
  evaluation, TF Serving and TFLite.
* **STFT framing**: centred frames (signal padded with ``frame_length // 2``
  zeros on both sides), so frame ``t`` is centred on sample ``t * hop`` and a
  clip of ``n`` samples gives ``1 + n // hop`` frames -- the magnitudes equal
  librosa's ``stft(center=True, pad_mode="constant")``.
* **Mel -> linear**: non-negative KL fit by Richardson-Lucy updates started
  from the clipped pseudo-inverse; chosen over least squares by measured
  log-mel error (see ``audio.mel_to_linear``).
"""

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class AudioConfig:
  """Signal-processing settings shared by features, vocoding and metrics.

  Attributes:
    sample_rate: Hz.
    pre_emphasis: coefficient ``a`` of ``y[n] = x[n] - a x[n-1]``; 0 disables.
    frame_length: analysis window length in samples (Hann, periodic).
    frame_step: hop between frames in samples.
    fft_length: FFT size; ``fft_length // 2 + 1`` frequency bins.
    num_mel_bins: number of mel bands.
    lower_edge_hertz: lowest mel filter edge, Hz.
    upper_edge_hertz: highest mel filter edge, Hz; None means Nyquist.
    log_floor: mel power floor before the log (see module docstring).
    ref_power: mel power mapped to +1 by ``normalize_log_mel``.
    griffin_lim_iters: Griffin-Lim iterations used when vocoding.
    griffin_lim_momentum: fast Griffin-Lim momentum (librosa default 0.99).
    mel_inverse_iters: Richardson-Lucy steps of ``mel_to_linear``.
  """

  sample_rate: int = 16000
  pre_emphasis: float = 0.97
  frame_length: int = 800
  frame_step: int = 200
  fft_length: int = 2048
  num_mel_bins: int = 80
  lower_edge_hertz: float = 0.0
  upper_edge_hertz: float | None = None
  log_floor: float = 1e-5
  ref_power: float = 1e4
  griffin_lim_iters: int = 32
  griffin_lim_momentum: float = 0.99
  mel_inverse_iters: int = 50

  def __post_init__(self):
    def require(ok, message):
      if not ok:
        raise ValueError(f"AudioConfig: {message}")

    require(self.sample_rate > 0,
            f"sample_rate must be > 0. Received sample_rate={self.sample_rate}")
    require(0.0 <= self.pre_emphasis < 1.0,
            "pre_emphasis must be in [0, 1). "
            f"Received pre_emphasis={self.pre_emphasis}")
    require(0 < self.frame_step <= self.frame_length,
            "need 0 < frame_step <= frame_length. Received "
            f"frame_step={self.frame_step}, frame_length={self.frame_length}")
    require(self.fft_length >= self.frame_length,
            "fft_length must be >= frame_length. Received "
            f"fft_length={self.fft_length}, frame_length={self.frame_length}")
    require(self.num_mel_bins > 0,
            f"num_mel_bins must be > 0. Received {self.num_mel_bins}")
    require(0.0 <= self.lower_edge_hertz < self.nyquist_upper_edge,
            "need 0 <= lower_edge_hertz < upper_edge_hertz <= sample_rate/2. "
            f"Received lower_edge_hertz={self.lower_edge_hertz}, "
            f"upper_edge_hertz={self.upper_edge_hertz}")
    require(self.nyquist_upper_edge <= self.sample_rate / 2,
            "upper_edge_hertz must be <= sample_rate / 2. Received "
            f"upper_edge_hertz={self.upper_edge_hertz}")
    require(0.0 < self.log_floor < self.ref_power,
            "need 0 < log_floor < ref_power. Received "
            f"log_floor={self.log_floor}, ref_power={self.ref_power}")
    require(self.griffin_lim_iters >= 0,
            f"griffin_lim_iters must be >= 0. Received {self.griffin_lim_iters}")
    require(0.0 <= self.griffin_lim_momentum < 1.0,
            "griffin_lim_momentum must be in [0, 1). "
            f"Received {self.griffin_lim_momentum}")
    require(self.mel_inverse_iters >= 0,
            f"mel_inverse_iters must be >= 0. Received {self.mel_inverse_iters}")

  @property
  def nyquist_upper_edge(self) -> float:
    """Upper mel edge in Hz with None resolved to the Nyquist frequency."""
    if self.upper_edge_hertz is None:
      return self.sample_rate / 2
    return float(self.upper_edge_hertz)

  @property
  def num_spectrogram_bins(self) -> int:
    return self.fft_length // 2 + 1

  @property
  def frame_rate(self) -> float:
    """Frames per second."""
    return self.sample_rate / self.frame_step

  def num_frames(self, num_samples: int) -> int:
    """Frames produced by the centred STFT for ``num_samples`` samples."""
    return 1 + num_samples // self.frame_step

  @property
  def log_range(self) -> tuple[float, float]:
    """Natural-log mel power mapped to -1 and +1 by normalisation."""
    return math.log(self.log_floor), math.log(self.ref_power)
