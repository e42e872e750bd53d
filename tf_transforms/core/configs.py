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
  from the clipped pseudo-inverse (``vocoding.mel_to_linear``); for clips
  that each hold one note, ``mel_inverse_prior="harmonic"`` starts the fit
  from the harmonics of the pitch the log-mel itself shows
  (``harmonic_combs.harmonic_prior``): 80 mel bands do not resolve a low
  note's upper harmonics. ``AudioConfig``'s own default is ``"none"``;
  ``defaults.for_dataset`` gives notes the harmonic prior.
"""

import dataclasses
import math

from tf_transforms.core import defaults

# What the mel inverse starts from (AudioConfig.mel_inverse_prior).
MEL_INVERSE_PRIORS = ("none", "harmonic")


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
    ref_power: power mapped to +1 by ``normalize_log_spectrogram``.
    griffin_lim_iters: Griffin-Lim iterations used when vocoding.
    griffin_lim_momentum: fast Griffin-Lim momentum (librosa default 0.99).
    mel_inverse_iters: Richardson-Lucy steps of ``mel_to_linear``.
    mel_inverse_prior: what the mel inverse starts from besides the
      pseudo-inverse: "none", or "harmonic" (one note per clip: the harmonics
      of the pitch chosen from the log-mel, ``harmonic_combs.harmonic_prior``).
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
  mel_inverse_prior: str = "none"

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
    require(self.mel_inverse_prior in MEL_INVERSE_PRIORS,
            f"mel_inverse_prior must be one of {MEL_INVERSE_PRIORS}. "
            f"Received {self.mel_inverse_prior!r}")

  @property
  def nyquist_upper_edge(self) -> float:
    """Upper mel edge in Hz with None resolved to the Nyquist frequency."""
    if self.upper_edge_hertz is None:
      return self.sample_rate / 2
    return float(self.upper_edge_hertz)

  @property
  def num_spectrogram_bins(self) -> int:
    return self.fft_length // 2 + 1

  def num_frames(self, num_samples):
    """Frames the centred STFT gives ``num_samples`` samples (int or int tensor)."""
    return 1 + num_samples // self.frame_step

  @property
  def log_range(self) -> tuple[float, float]:
    """Natural-log mel power mapped to -1 and +1 by normalisation."""
    return math.log(self.log_floor), math.log(self.ref_power)


METHODS = ("ours", "seq2seq", "las", "cseq2seq")
# The style id of a source whose style is not known (a voice or instrument
# outside the training set): its one-hot is all zeros. Models trained with
# ``TrainingConfig.unknown_source_share`` > 0 accept it.
UNKNOWN_STYLE = -1
STRATEGIES = ("default", "mirrored", "multi_worker")  # tf.distribute, see loop.make_strategy
# The content splits evaluate.py scores (--split): test, the paper's unseen
# content; valid, also unseen in training, for choosing settings.
EVALUATION_SPLITS = ("test", "valid")
LINEAR_OUTPUTS = ("mel_inverse", "postnet")


# The spectrogram losses (TrainingConfig.frame_loss).
FRAME_LOSSES = ("mse", "l1")
# The post-filters of generated frames (ModelConfig.postfilter): none, or the
# global-variance post-filter (model/postfilter.py, calibrated after training).
POSTFILTERS = ("none", "global_variance")
# How the comb heads choose their comb per clip (ModelConfig.comb_chooser):
# the fixed template score, or that score plus a small network fitted before
# training on the training notes' pitches (model/heads/comb_chooser.py).
COMB_CHOOSERS = ("template", "learned")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  """Architecture of one of the four methods of Table 2.

  ``method`` selects the components (paper sec. 3 "Baselines"):

  ========== ============ ========= ========== =========== ============
  method     conv + pLSTM attention  source     target      encoder
                                     style in   style in
  ========== ============ ========= ========== =========== ============
  ours       yes          yes       yes        yes         conv+pBLSTM
  las        yes          yes       no         no          conv+pBLSTM
  seq2seq    no           no        no         no          LSTM
  cseq2seq   no           no        yes        yes         LSTM
  ========== ============ ========= ========== =========== ============

  Decisions the paper leaves open (with reasons):

  * Encoder RNNs are bidirectional (as LAS) for ``ours`` / ``las``; the
    vanilla seq2seq encoder is unidirectional and hands its final state to
    the decoder (Sutskever et al.).
  * One-hot styles, as the paper; an embedding would be equivalent after the
    first dense layer.
  * Decoder query: the attention uses the *updated* decoder state s_i (LAS
    ordering), and frames are predicted from [s_i, c_i].
  * A Tacotron-style pre-net (dense + ReLU + dropout) on the previous frame:
    without it a teacher-forced decoder learns to copy its input frame and
    drifts at inference. Unlike Tacotron, dropout is off at inference, so a
    model (and its exports) is deterministic.
  * ``reduction_factor`` frames per decoder step (Tacotron): fewer, cheaper
    steps; 2 by default.
  * A stop-token head (sigmoid) ends variable-length outputs (words); notes
    have fixed length and simply run to their target length.
  * Output: log-mel frames (normalised, see AudioConfig); MCD is computed
    on them. Linear magnitude for Griffin-Lim comes either from the
    front-end's mel inverse (``linear_output="mel_inverse"``, no parameters)
    or from a learned post-net predicting linear log-power
    (``"postnet"``, Tacotron). The default is chosen by measured audio
    quality: see ``bench/vocoder_paths.py`` and docs/design.md.

  * Output head (``output_head``, a name in ``model.heads.HEADS``):
    ``"direct"`` is the paper's, a dense layer from ``[s_i, c_i]`` to the
    frames; the others build each frame from what they read of the source
    (``model/heads/``). ``"auto"`` (default) is resolved by
    ``defaults.resolve``; Table 2 is run with ``direct`` for all four
    methods, the paper's comparison.

  Attributes:
    method: one of METHODS.
    num_styles: size of the style vocabulary (speakers / instruments).
    num_mel_bins: feature dimension of input and output frames.
    context_frames: conv front-end stride = kernel, in spectrogram frames
      (12.5 ms each); Table 3's 12.5/25/50/100/200 ms = 1/2/4/8/16.
    conv_filters: channels of the learned filterbank.
    encoder_units: LSTM units per direction.
    pyramid_layers: pBLSTM layers after the first BLSTM (each halves time).
    decoder_units: decoder LSTM units.
    attention_units: width of the additive attention (W s, V h).
    prenet_units: pre-net width (0 disables the pre-net).
    prenet_dropout: pre-net dropout rate in training.
    reduction_factor: frames emitted per decoder step.
    max_decoder_steps: inference cap on decoder steps.
    linear_output: how linear magnitude is reached, one of LINEAR_OUTPUTS.
    num_linear_bins: post-net output bins (fft_length // 2 + 1).
    postnet_filters: post-net convolution channels.
    postnet_layers: post-net convolutions.
    output_head: "auto" or a registered head's name (see above).
    envelope_coefficients: DCT coefficients of the source heads' envelope
      and offset curves over the mel bins (``--envelope_coefficients``;
      smoothness: no detail finer than about 2 * num_mel_bins /
      envelope_coefficients bins).
    postfilter: "auto" or one of POSTFILTERS: what ``generate`` applies to the
      decoder's frames (``global_variance``: the requested style's spread
      over time, calibrated after training).
    comb_chooser: "auto" or one of COMB_CHOOSERS: how the comb heads choose
      a clip's comb.
  """

  method: str = "ours"
  num_styles: int = 16
  num_mel_bins: int = 80
  context_frames: int = 2
  conv_filters: int = 128
  encoder_units: int = 128
  pyramid_layers: int = 2
  decoder_units: int = 256
  attention_units: int = 128
  prenet_units: int = 128
  prenet_dropout: float = 0.5
  reduction_factor: int = 2
  max_decoder_steps: int = 200
  linear_output: str = "mel_inverse"
  num_linear_bins: int = 1025
  postnet_filters: int = 256
  postnet_layers: int = 3
  output_head: str = "auto"
  envelope_coefficients: int = 12
  postfilter: str = "auto"
  comb_chooser: str = "auto"

  def __post_init__(self):
    if self.linear_output not in LINEAR_OUTPUTS:
      raise ValueError(f"ModelConfig: linear_output must be one of {LINEAR_OUTPUTS}. "
                       f"Received linear_output={self.linear_output!r}")
    if self.method not in METHODS:
      raise ValueError(f"ModelConfig: method must be one of {METHODS}. "
                       f"Received method={self.method!r}")
    for name in ("num_styles", "num_mel_bins", "context_frames", "conv_filters",
                 "encoder_units", "decoder_units", "attention_units",
                 "reduction_factor", "max_decoder_steps", "num_linear_bins",
                 "postnet_filters", "postnet_layers"):
      if getattr(self, name) < 1:
        raise ValueError(f"ModelConfig: {name} must be >= 1. "
                         f"Received {name}={getattr(self, name)}")
    if self.postfilter not in POSTFILTERS + ("auto",):
      raise ValueError(f"ModelConfig: postfilter must be auto or one of {POSTFILTERS}. "
                       f"Received postfilter={self.postfilter!r}")
    if self.comb_chooser not in COMB_CHOOSERS + ("auto",):
      raise ValueError(f"ModelConfig: comb_chooser must be auto or one of {COMB_CHOOSERS}. "
                       f"Received comb_chooser={self.comb_chooser!r}")
    if self.comb_chooser == "learned" and defaults.output_head(self) not in defaults.COMB_HEADS:
      raise ValueError(f"ModelConfig: comb_chooser='learned' needs a head that chooses a "
                       f"comb {defaults.COMB_HEADS}. Received output_head={self.output_head!r} "
                       f"(method={self.method!r})")
    if self.pyramid_layers < 0 or self.prenet_units < 0:
      raise ValueError("ModelConfig: pyramid_layers and prenet_units must be >= 0. "
                       f"Received pyramid_layers={self.pyramid_layers}, "
                       f"prenet_units={self.prenet_units}")
    if not 0.0 <= self.prenet_dropout < 1.0:
      raise ValueError(f"ModelConfig: prenet_dropout must be in [0, 1). "
                       f"Received {self.prenet_dropout}")
    # Head names and their own checks belong to the head registry
    # (model/heads, which imports Keras): make_run_config and make_head check
    # them before any work, so importing configs stays light.

  @property
  def uses_attention(self) -> bool:
    return self.method in ("ours", "las")

  @property
  def uses_conditioning(self) -> bool:
    return self.method in ("ours", "cseq2seq")

  @property
  def uses_pyramid(self) -> bool:
    return self.method in ("ours", "las")

  @property
  def time_reduction(self) -> int:
    """Spectrogram frames per encoder output step."""
    if not self.uses_pyramid:
      return 1
    return self.context_frames * 2 ** self.pyramid_layers


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
  """Optimisation settings; defaults are the paper's (sec. 3 "Optimization").

  Attributes:
    batch_size: global batch size.
    epochs: passes over the training split.
    learning_rate: Adam's initial learning rate.
    decay_per_epoch: the learning rate is multiplied by this after every epoch.
    beta_1, beta_2, epsilon: Adam's parameters.
    guided_attention: weight of the guided-attention loss
      (``losses.guided_attention_loss``; 0, the paper's loss, turns it off).
      None: "auto" (``defaults.resolve``).
    guided_attention_sigma: its width (ESPnet's 0.4).
    frame_loss: the spectrogram loss, "mse" (the paper's) or "l1" (mean
      absolute error). None: "auto" (``defaults.resolve``).
    sort_window: training batches hold pairs of similar length: windows of
      this many batches are sorted by length before batching, and the
      batches shuffled (``pipeline.sorted_in_windows``); 0 batches pairs in
      random order. Fixed-length notes are unchanged either way; words train
      faster (bench/length_sorting.py).
    unknown_source_share: the share of training pairs whose source style is
      hidden (id ``UNKNOWN_STYLE``, an all-zero one-hot), so that the model
      also converts recordings of a voice or instrument it never heard; 0 is
      the paper's training. None: "auto" (``defaults.resolve``).
  """

  batch_size: int = 128
  epochs: int = 20
  learning_rate: float = 1e-3
  decay_per_epoch: float = 0.99
  beta_1: float = 0.9
  beta_2: float = 0.999
  epsilon: float = 1e-8
  guided_attention: float | None = None
  guided_attention_sigma: float = 0.4
  frame_loss: str | None = None
  sort_window: int = 32
  unknown_source_share: float | None = None

  def __post_init__(self):
    if self.unknown_source_share is not None and not 0 <= self.unknown_source_share < 1:
      raise ValueError(f"TrainingConfig: unknown_source_share must be in [0, 1). "
                       f"Received {self.unknown_source_share}")
    if self.sort_window < 0:
      raise ValueError(f"TrainingConfig: sort_window must be >= 0. Received {self.sort_window}")
    if self.frame_loss not in (None,) + FRAME_LOSSES:
      raise ValueError(f"TrainingConfig: frame_loss must be one of {FRAME_LOSSES}. "
                       f"Received {self.frame_loss!r}")
    if (self.guided_attention is not None and self.guided_attention < 0) or \
        self.guided_attention_sigma <= 0:
      raise ValueError("TrainingConfig: need guided_attention >= 0 and "
                       f"guided_attention_sigma > 0. Received {self.guided_attention}, "
                       f"{self.guided_attention_sigma}")


@dataclasses.dataclass(frozen=True)
class Preset:
  """A named bundle of model and training settings."""

  model: ModelConfig
  training: TrainingConfig


PRESETS = {
    # Seconds per run: smoke tests and CI.
    "tiny": Preset(
        ModelConfig(conv_filters=16, encoder_units=16, pyramid_layers=1, decoder_units=32,
                    attention_units=16, prenet_units=16),
        TrainingConfig(batch_size=8, epochs=1)),
    # Trains in minutes on 2 CPU cores.
    "default": Preset(
        ModelConfig(conv_filters=128, encoder_units=128, pyramid_layers=2,
                    decoder_units=256, attention_units=128, prenet_units=128),
        TrainingConfig(batch_size=32, epochs=20)),
    # The paper's optimiser and batch, with LAS-sized layers (the paper does
    # not state widths): for a GPU.
    "paper": Preset(
        ModelConfig(conv_filters=256, encoder_units=256, pyramid_layers=3,
                    decoder_units=512, attention_units=256, prenet_units=256),
        TrainingConfig(batch_size=128, epochs=20)),
}


def get_preset(name: str) -> Preset:
  if name not in PRESETS:
    raise ValueError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}")
  return PRESETS[name]
