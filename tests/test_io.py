"""Audio I/O: formats, resampling, and every kind of bad file we could think of."""

import os

import numpy as np
import pytest
import scipy.signal
import soundfile

from tests import signals
from tf_transforms.core.errors import AudioError
from tf_transforms.signal import audio_files


def write(path, data, sample_rate=16000, **kwargs):
  soundfile.write(str(path), data, sample_rate, **kwargs)
  return str(path)


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("subtype, bits", [
    ("PCM_U8", 8), ("PCM_16", 16), ("PCM_24", 24), ("PCM_32", 32),
    ("FLOAT", 24), ("DOUBLE", 24),  # float: exact to float32 precision
])
def test_reads_wav_of_every_sample_format(tmp_path, rng, subtype, bits):
  x = rng.uniform(-0.9, 0.9, 1600).astype(np.float32)
  path = write(tmp_path / "x.wav", x, subtype=subtype)
  y = audio_files.read_audio(path)
  assert y.dtype == np.float32 and y.shape == x.shape
  np.testing.assert_allclose(y, x, atol=2.0 ** (1 - bits))  # one quantisation step


def test_reads_flac_losslessly(tmp_path, rng):
  x = (rng.integers(-2**15, 2**15, 3000) / 2**15).astype(np.float32)
  np.testing.assert_array_equal(audio_files.read_audio(write(tmp_path / "x.flac", x)), x)


def test_reads_ogg_vorbis(tmp_path):
  x = signals.harmonic_tone(seconds=0.5)
  y = audio_files.read_audio(write(tmp_path / "x.ogg", x, format="OGG", subtype="VORBIS"))
  assert abs(len(y) - len(x)) <= 1
  n = min(len(x), len(y))
  assert np.corrcoef(x[:n], y[:n])[0, 1] > 0.99  # lossy, but the same sound


@pytest.mark.parametrize("name", ["SA1.WAV", "sa1.wav", "sa1.sph"])
def test_reads_nist_sphere_as_timit_names_it(tmp_path, rng, name):
  x = (rng.integers(-2**15, 2**15, 2000) / 2**15).astype(np.float32)
  path = write(tmp_path / name, x, format="NIST", subtype="PCM_16")
  with open(path, "rb") as handle:
    assert handle.read(8) == b"NIST_1A\n"  # a real SPHERE header
  np.testing.assert_array_equal(audio_files.read_audio(path), x)


def test_stereo_is_averaged_to_mono(tmp_path, rng):
  left, right = rng.uniform(-0.5, 0.5, (2, 1000)).astype(np.float32)
  path = write(tmp_path / "s.wav", np.stack([left, right], 1), subtype="FLOAT")
  np.testing.assert_allclose(audio_files.read_audio(path), (left + right) / 2, atol=1e-7)


@pytest.mark.parametrize("file_rate", [8000, 48000, 22050])
def test_resamples_to_16k_against_scipy_polyphase(tmp_path, file_rate):
  x = signals.sinusoid(440.0, seconds=1.0, sample_rate=file_rate)
  y = audio_files.read_audio(write(tmp_path / "r.wav", x, file_rate, subtype="FLOAT"))
  assert len(y) == 16000
  reference = scipy.signal.resample_poly(x, 16000 // np.gcd(16000, file_rate),
                                         file_rate // np.gcd(16000, file_rate))
  core = slice(400, -400)  # filter edge transients differ between resamplers
  np.testing.assert_allclose(y[core], reference[core], atol=5e-3)
  np.testing.assert_allclose(np.sqrt(np.mean(y[core] ** 2)), 0.5 / np.sqrt(2), rtol=1e-2)


def test_keeps_native_rate_when_asked(tmp_path):
  path = write(tmp_path / "n.wav", signals.sinusoid(sample_rate=8000), 8000)
  assert len(audio_files.read_audio(path, sample_rate=None)) == 8000


def test_silence_is_valid_audio(tmp_path):
  path = write(tmp_path / "quiet.wav", np.zeros(800, np.float32))
  np.testing.assert_array_equal(audio_files.read_audio(path), np.zeros(800, np.float32))


# ---------------------------------------------------------------- bad input


def assert_audio_error(path, reason):
  with pytest.raises(AudioError, match=reason) as error:
    audio_files.read_audio(path)
  assert str(path) in str(error.value)  # the message names the file


def test_missing_file(tmp_path):
  assert_audio_error(tmp_path / "nope.wav", "no such audio file")


def test_empty_file(tmp_path):
  path = tmp_path / "empty.wav"
  path.write_bytes(b"")
  assert_audio_error(path, "empty")


def test_zero_samples(tmp_path):
  path = write(tmp_path / "none.wav", np.zeros(0, np.float32))
  assert_audio_error(path, "zero audio samples")


def test_text_file_named_wav(tmp_path):
  path = tmp_path / "notes.wav"
  path.write_text("this is not audio\n" * 10)
  assert_audio_error(path, "cannot decode")


def test_truncated_header(tmp_path):
  full = write(tmp_path / "full.wav", signals.sinusoid(seconds=0.1))
  path = tmp_path / "cut.wav"
  path.write_bytes(open(full, "rb").read()[:30])
  assert_audio_error(path, "cannot decode")


def test_corrupt_header(tmp_path):
  full = write(tmp_path / "full.wav", signals.sinusoid(seconds=0.1))
  data = bytearray(open(full, "rb").read())
  data[8:12] = b"JUNK"  # RIFF type is no longer WAVE
  path = tmp_path / "corrupt.wav"
  path.write_bytes(bytes(data))
  assert_audio_error(path, "cannot decode")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_samples(tmp_path, value):
  x = np.zeros(100, np.float32)
  x[50] = value
  path = write(tmp_path / "bad.wav", x, subtype="FLOAT")
  assert_audio_error(path, "non-finite")


# ---------------------------------------------------------------- writing


def test_write_round_trip_and_refuses_to_overwrite(tmp_path):
  path = str(tmp_path / "out.wav")
  x = signals.sinusoid(seconds=0.1)
  audio_files.write_audio(path, x)
  np.testing.assert_allclose(audio_files.read_audio(path), x, atol=2.0 ** -15)
  with pytest.raises(FileExistsError, match="out.wav"):
    audio_files.write_audio(path, -x)
  np.testing.assert_allclose(audio_files.read_audio(path), x, atol=2.0 ** -15)  # untouched
  audio_files.write_audio(path, -x, overwrite=True)
  np.testing.assert_allclose(audio_files.read_audio(path), -x, atol=2.0 ** -15)


@pytest.mark.parametrize("audio, reason", [
    (np.zeros(0, np.float32), "zero samples"),
    (np.zeros((2, 10), np.float32), "mono"),
    (np.array([0.0, np.nan], np.float32), "non-finite"),
    (np.array([0.0, 1.5], np.float32), "clip"),
])
def test_write_rejects_bad_audio_and_leaves_nothing(tmp_path, audio, reason):
  with pytest.raises(AudioError, match=reason):
    audio_files.write_audio(tmp_path / "bad.wav", audio)
  assert os.listdir(tmp_path) == []


def test_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path):
  path = str(tmp_path / "keep.wav")
  x = signals.sinusoid(seconds=0.1)
  audio_files.write_audio(path, x)
  with pytest.raises(Exception):
    audio_files.write_audio(path, x, overwrite=True, subtype="NOT_A_SUBTYPE")
  assert os.listdir(tmp_path) == ["keep.wav"]
  np.testing.assert_allclose(audio_files.read_audio(path), x, atol=2.0 ** -15)


def test_float_subtype_allows_peaks_above_one(tmp_path):
  path = str(tmp_path / "loud.wav")
  audio_files.write_audio(path, np.array([0.0, 1.5, -2.0], np.float32), subtype="FLOAT")
  np.testing.assert_allclose(audio_files.read_audio(path), [0.0, 1.5, -2.0])


def test_decode_audio_from_bytes_matches_reading_the_file(tmp_path):
  path = write(tmp_path / "x.wav", signals.sinusoid(seconds=0.1), 22050, subtype="PCM_16")
  data = open(path, "rb").read()
  np.testing.assert_array_equal(audio_files.decode_audio(data, "x"), audio_files.read_audio(path))
  with pytest.raises(AudioError, match="synth output: empty"):
    audio_files.decode_audio(b"", "synth output")
  with pytest.raises(AudioError, match="synth output: cannot decode"):
    audio_files.decode_audio(b"not audio at all", "synth output")


def test_a_truncated_wav_is_refused_with_the_missing_byte_count(tmp_path):
  path = tmp_path / "whole.wav"
  audio_files.write_audio(path, np.zeros(1000, np.float32))
  data = path.read_bytes()
  cut = tmp_path / "cut.wav"
  cut.write_bytes(data[:len(data) - 500])
  with pytest.raises(AudioError, match=r"cut.wav: truncated WAV file: .* 500 more bytes"):
    audio_files.read_audio(cut)


def test_streamed_wavs_with_an_unknown_length_are_read():
  """espeak-ng --stdout writes 0x7FFFF000 as the data size: not a truncation."""
  header = (b"RIFF" + (0x7FFFF024).to_bytes(4, "little") + b"WAVEfmt " +
            (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") +
            (16000).to_bytes(4, "little") + (32000).to_bytes(4, "little") +
            (2).to_bytes(2, "little") + (16).to_bytes(2, "little") + b"data" +
            (0x7FFFF000).to_bytes(4, "little"))
  samples = (np.arange(200, dtype=np.int16) * 100).tobytes()
  waveform = audio_files.decode_audio(header + samples, "stream")
  np.testing.assert_allclose(waveform * 32768, np.arange(200) * 100, atol=0.5)


@pytest.mark.parametrize("rate", [1, 100, 1_000_000])
def test_an_implausible_sample_rate_is_refused(tmp_path, rate):
  path = str(tmp_path / "rate.wav")
  soundfile.write(path, np.zeros(100, np.float32), rate)
  with pytest.raises(AudioError, match=f"implausible sample rate {rate} Hz"):
    audio_files.read_audio(path)


def test_the_output_format_follows_the_extension(tmp_path):
  """.flac is FLAC (lossless at 16 bits), .ogg is Ogg Vorbis, .wav is WAV;
  another extension is refused before anything is written."""
  import soundfile
  x = signals.sinusoid(seconds=0.2)
  for name, expected in (("a.flac", "FLAC"), ("a.ogg", "OGG"), ("a.wav", "WAV")):
    audio_files.write_audio(str(tmp_path / name), x)
    assert soundfile.info(str(tmp_path / name)).format == expected
  np.testing.assert_allclose(audio_files.read_audio(str(tmp_path / "a.flac")), x,
                             atol=2.0 ** -15)
  with pytest.raises(AudioError, match=r"a.mp3: cannot write .mp3; give one of .wav, .flac, .ogg"):
    audio_files.write_audio(str(tmp_path / "a.mp3"), x)
  assert not os.path.exists(tmp_path / "a.mp3")


def test_anti_phase_stereo_is_read_with_a_warning(tmp_path):
  """Channels that cancel when averaged to mono are read (as the mix they
  are) with a warning naming the file; ordinary stereo warns of nothing."""
  import warnings
  x = signals.sinusoid(seconds=0.2)
  soundfile.write(str(tmp_path / "anti.wav"), np.stack([x, -x], 1), 16000, subtype="FLOAT")
  with pytest.warns(UserWarning, match=r"anti.wav: its 2 channels cancel when averaged"):
    audio_files.read_audio(str(tmp_path / "anti.wav"))
  soundfile.write(str(tmp_path / "stereo.wav"), np.stack([x, 0.5 * x], 1), 16000,
                  subtype="FLOAT")
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    audio_files.read_audio(str(tmp_path / "stereo.wav"))
