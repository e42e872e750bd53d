"""SavedModel export: runs without this project's code, matches eager, rejects bad requests."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests import signals
from tf_transforms.core.configs import AudioConfig
from tf_transforms.export import saved_model
from tf_transforms.signal import melspec
from tf_transforms.training.run import RunConfig, load_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = AudioConfig()  # the paper's front-end

# Runs in a fresh interpreter in which importing this project fails, as in TF
# Serving: the SavedModel's signatures, then TF Hub's load and KerasLayer (one
# process for both: a process is ~10 s of TensorFlow start-up).
FRESH_PROCESS = r"""
import sys
sys.modules["tf_transforms"] = None   # any import of the project raises ImportError
sys.modules["tfds_builders"] = None
import numpy as np, tensorflow as tf, tensorflow_hub as hub, tf_keras
path, inputs, output = sys.argv[1:4]
x = np.load(inputs)
loaded = tf.saved_model.load(path)
result = loaded.signatures["serving_default"](
    waveform=tf.constant(x["waveform"]), source_style=tf.constant(x["source_style"]),
    target_style=tf.constant(x["target_style"]))
names = np.array([n.decode() for n in loaded.signatures["styles"]()["names"].numpy()])
np.savez(output, waveform=result["waveform"].numpy(), lengths=result["lengths"].numpy(),
         log_mel=result["log_mel"].numpy(), names=names)

w, s, t = (tf.constant(x[k]) for k in ("waveform", "source_style", "target_style"))
direct = hub.load(path).signatures["serving_default"](
    waveform=w, source_style=s, target_style=t)["waveform"].numpy()
layer = hub.KerasLayer(path, signature="serving_default", signature_outputs_as_dict=True)
spec = {"waveform": tf_keras.Input(shape=(None,), dtype=tf.float32),
        "source_style": tf_keras.Input(shape=(), dtype=tf.int32),
        "target_style": tf_keras.Input(shape=(), dtype=tf.int32)}
model = tf_keras.Model(spec, layer(spec)["waveform"])
wrapped = model({"waveform": w, "source_style": s, "target_style": t}).numpy()
assert direct.shape == wrapped.shape == x["waveform"].shape, (direct.shape, wrapped.shape)
assert np.allclose(direct, wrapped, atol=1e-6), float(np.abs(direct - wrapped).max())
print("tf hub: ok")
"""




@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_notes_run):
  """(the shared tiny run's model_dir, its SavedModel exported once for this module)."""
  path = saved_model.export_saved_model(tiny_notes_run,
                                   str(tmp_path_factory.mktemp("export") / "exports"))
  return tiny_notes_run, path


@pytest.fixture(scope="module")
def loaded(exported):
  """The exported SavedModel, loaded once for the module's request tests."""
  return tf.saved_model.load(exported[1])


def request(batch=2, seconds=0.5):
  waveform = np.stack([signals.harmonic_tone(f0=220.0 * (i + 1), seconds=seconds)
                       for i in range(batch)])
  return {"waveform": waveform, "source_style": np.arange(batch, dtype=np.int32) % 4,
          "target_style": (np.arange(batch, dtype=np.int32) + 1) % 4}


def run_audio_config(model_dir):
  """The run's front-end and vocoder (its run_config.json's AudioConfig): a
  notes run's mel inverse starts from the note's harmonics."""
  with open(os.path.join(model_dir, "run_config.json")) as handle:
    return RunConfig.from_json(handle.read()).audio


def eager_transform(model, x, config=AudioConfig(), return_log_mel=False):
  log_mel = melspec.normalize_log_spectrogram(melspec.log_mel_spectrogram(x["waveform"], config),
                                            config)
  frames = int(log_mel.shape[1])
  outputs = model.generate(log_mel, np.full([len(x["waveform"])], frames, np.int32),
                           x["source_style"], x["target_style"], num_frames=frames)
  vocoder = saved_model.Vocoder()  # the exported graphs' Griffin-Lim
  waveform = model.to_audio(outputs, config, length=x["waveform"].shape[1],
                            iterations=vocoder.iterations,
                            coarse_iterations=vocoder.coarse_iterations).numpy()
  return (waveform, outputs["frames"].numpy()) if return_log_mel else waveform


def test_layout_is_tf_serving_s_and_versions_are_never_overwritten(exported):
  model_dir, path = exported
  assert os.path.basename(path) == "1"
  assert os.path.exists(os.path.join(path, "saved_model.pb"))
  assert json.load(open(os.path.join(path, "assets.extra", "styles.json")))["styles"]
  with pytest.raises(FileExistsError, match="version 1 already exists"):
    saved_model.export_saved_model(model_dir, os.path.dirname(os.path.dirname(path)), version=1)
  assert saved_model.next_version(os.path.dirname(path)) == 2


def test_griffin_lim_iterations_can_be_set_at_export(exported, loaded, tmp_path):
  model_dir, _ = exported
  with pytest.raises(ValueError, match="griffin_lim_iters must be >= 1"):
    saved_model.export_saved_model(model_dir, str(tmp_path), griffin_lim_iters=0)
  with pytest.raises(ValueError, match="griffin_lim_coarse_iters must be >= 0"):
    saved_model.export_saved_model(model_dir, str(tmp_path), griffin_lim_coarse_iters=-1)
  assert not os.listdir(tmp_path)
  fewer = saved_model.export_saved_model(model_dir, str(tmp_path), griffin_lim_iters=2,
                                    griffin_lim_coarse_iters=0)
  x = request(batch=1)
  outputs = [model.signatures["serving_default"](
      waveform=tf.constant(x["waveform"], tf.float32), source_style=tf.constant(x["source_style"]),
      target_style=tf.constant(x["target_style"])) for model in (loaded,
                                                                 tf.saved_model.load(fewer))]
  np.testing.assert_allclose(outputs[0]["log_mel"], outputs[1]["log_mel"], atol=1e-5)
  assert np.abs(outputs[0]["waveform"] - outputs[1]["waveform"]).max() > 1e-3


def test_fresh_process_without_the_project_matches_the_eager_model_and_loads_by_tf_hub(
    exported, tmp_path):
  model_dir, path = exported
  x = request()
  np.savez(tmp_path / "in.npz", **x)
  result = subprocess.run([sys.executable, "-c", FRESH_PROCESS, path, str(tmp_path / "in.npz"),
                           str(tmp_path / "out.npz")], cwd=str(tmp_path), capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  assert result.returncode == 0 and "tf hub: ok" in result.stdout, result.stderr[-3000:]
  served = np.load(tmp_path / "out.npz")
  model = keras.saving.load_model(os.path.join(model_dir, "model.keras"))
  config = run_audio_config(model_dir)
  assert config.mel_inverse_prior == "harmonic"  # a notes run's: exported too
  expected, expected_log_mel = eager_transform(model, x, config, return_log_mel=True)
  assert served["waveform"].shape == expected.shape == x["waveform"].shape
  np.testing.assert_array_equal(served["lengths"], [x["waveform"].shape[1]] * 2)
  # The same float32 ops (the export writes the vocoder's loops out, the eager
  # model loops), the same Griffin-Lim seed: equal up to float32 round-off --
  # in the network's output to 1e-5 (normalised log-mel), and in the waveform
  # to 2e-3 of its peak, since Griffin-Lim's 34 momentum (0.99) iterations
  # amplify the round-off (measured: 1e-4 here, up to 4e-4 on speech-like
  # signals; tests/test_audio.py).
  np.testing.assert_allclose(served["log_mel"], expected_log_mel, atol=1e-5)
  np.testing.assert_allclose(served["waveform"], expected, atol=2e-3 * np.abs(expected).max())
  vocabulary = json.load(open(os.path.join(model_dir, "styles.json")))["styles"]
  assert served["names"].tolist() == vocabulary


@pytest.mark.parametrize("change, message", [
    (lambda x: {**x, "waveform": x["waveform"][0]}, "rank"),
    (lambda x: {**x, "waveform": x["waveform"][:, :0]}, "waveform is empty"),
    (lambda x: {**x, "waveform": x["waveform"][:, :799]}, "shorter than one analysis window"),
    (lambda x: {**x, "waveform": x["waveform"] * np.array([[1.0], [0.0]], np.float32)},
     "example is digital silence"),
    (lambda x: {**x, "waveform": np.round(x["waveform"] * 32767)},
     r"must be in \[-1, 1\].*divided by 32768"),
    (lambda x: {**x, "waveform": np.where(np.arange(x["waveform"].shape[1]) == 9, 1e30,
                                          x["waveform"]).astype(np.float32)}, r"in \[-1, 1\]"),
    (lambda x: {**x, "waveform": np.where(np.arange(x["waveform"].shape[1]) == 5, np.nan,
                                          x["waveform"]).astype(np.float32)}, "NaN or Inf"),
    (lambda x: {**x, "target_style": np.array([0, 7], np.int32)}, "target_style id out of range"),
    (lambda x: {**x, "source_style": np.array([-2, 0], np.int32)},
     r"source_style ids must be >= -1 \(-1: a source outside the training styles\)"),
    (lambda x: {**x, "source_style": np.array([0], np.int32)}, "one id per example"),
    (lambda x: {**x, "waveform": np.full((1, 16000 * 11), 0.01, np.float32),
                "source_style": np.array([0], np.int32),
                "target_style": np.array([1], np.int32)}, "longer than"),
    (lambda x: {"waveform": np.zeros((0, 8000), np.float32),
                "source_style": np.zeros([0], np.int32),
                "target_style": np.zeros([0], np.int32)}, "waveform batch is empty"),
])
def test_bad_requests_fail_with_a_clear_error(loaded, change, message):
  x = change(request())
  with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match=message):
    loaded.signatures["serving_default"](
        waveform=tf.constant(x["waveform"], tf.float32),
        source_style=tf.constant(x["source_style"]), target_style=tf.constant(x["target_style"]))


def test_an_unknown_source_is_taken_by_models_trained_for_it_only(exported, loaded):
  """The tiny run hid a quarter of its sources (the default): its export takes
  source style -1, says so in ``styles`` and assets.extra/styles.json, and
  its output depends on the source condition; a module of a model trained
  with every source named refuses -1 naming why."""
  model_dir, path = exported
  styles = loaded.signatures["styles"]()
  assert bool(styles["unknown_source"].numpy()) and float(styles["max_seconds"].numpy()) == 10.0
  stored = json.load(open(os.path.join(path, "assets.extra", "styles.json")))
  assert stored["unknown_source"] is True
  assert stored["styles"] == json.load(open(os.path.join(model_dir, "styles.json")))["styles"]
  x = request()

  def serve(source):
    return loaded.signatures["serving_default"](
        waveform=tf.constant(x["waveform"]), source_style=tf.constant(source, tf.int32),
        target_style=tf.constant([1, 2], tf.int32))["log_mel"].numpy()

  unknown, named = serve([-1, -1]), serve([0, 0])
  assert np.all(np.isfinite(unknown)) and np.abs(unknown - named).max() > 1e-4
  run = load_run(model_dir)
  module = saved_model.TransformModule(run.model, run.config.audio, run.vocabulary.names,
                                       fixed_length=True, unknown_source=False)
  with pytest.raises(tf.errors.InvalidArgumentError, match="trained with every source named"):
    module._transform(tf.constant(x["waveform"]), tf.constant([-1, 0]), tf.constant([1, 2]))


def log_mel_request(batch=2, frames=41):
  log_mel = np.random.default_rng(0).uniform(-1, 0, (batch, frames, 80)).astype(np.float32)
  return {"log_mel": log_mel, "lengths": np.full([batch], frames, np.int32),
          "source_style": np.arange(batch, dtype=np.int32) % 4,
          "target_style": (np.arange(batch, dtype=np.int32) + 1) % 4}


@pytest.mark.parametrize("change, message", [
    (lambda x: {**x, "log_mel": x["log_mel"][0]}, "log_mel must have rank 3"),
    (lambda x: {**x, "log_mel": x["log_mel"][:, :, :40]}, "log_mel must have 80 mel bands"),
    (lambda x: {**x, "lengths": np.array([-5, 41], np.int32)}, "lengths must be >= 1"),
    (lambda x: {**x, "lengths": np.array([100000, 41], np.int32)},
     "lengths must not exceed the frames given"),
    (lambda x: {**x, "lengths": np.array([41], np.int32)}, "lengths needs one value per example"),
    (lambda x: {**log_mel_request(batch=1, frames=802), "source_style": np.array([0], np.int32),
                "target_style": np.array([1], np.int32)},
     r"log_mel longer than this export.{0,2}s maximum of 801 frames"),
    (lambda x: {**x, "log_mel": x["log_mel"] * 11.5}, "values below -1, the normalised floor"),
    (lambda x: {**x, "log_mel": np.zeros((0, 41, 80), np.float32), "lengths": np.zeros([0], np.int32),
                "source_style": np.zeros([0], np.int32), "target_style": np.zeros([0], np.int32)},
     "log_mel batch is empty"),
    (lambda x: {**x, "target_style": np.array([0, 9], np.int32)}, "target_style id out of range"),
])
def test_bad_log_mel_requests_fail_naming_the_input(loaded, change, message):
  signature = loaded.signatures["transform_log_mel"]
  x = change(log_mel_request())
  with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match=message):
    signature(log_mel=tf.constant(x["log_mel"]), lengths=tf.constant(x["lengths"]),
              source_style=tf.constant(x["source_style"]),
              target_style=tf.constant(x["target_style"]))


def test_transform_checks_everything_before_inference(exported, loaded, tmp_path):
  """In-process (the command itself is run by the next test): each refusal is a
  TransformError / AudioError naming the flag, raised before the model loads --
  a bogus --model proves it for the checks that come first."""
  from tf_transforms.core.errors import AudioError, TransformError
  from tf_transforms.export import convert
  from tf_transforms.signal import audio_files
  _, path = exported
  names = loaded.signatures["styles"]()["names"].numpy()
  good = str(tmp_path / "in.wav")
  audio_files.write_audio(good, signals.harmonic_tone(seconds=0.5))
  styles = (names[0].decode(), names[1].decode())
  with pytest.raises(TransformError, match="does not exist"):
    convert.transform_file("no_model", good, str(tmp_path / "missing" / "o.wav"), *styles)
  with pytest.raises(TransformError, match="is a directory"):
    convert.transform_file("no_model", good, str(tmp_path), *styles)
  with pytest.raises(TransformError, match=r"o.mp3: cannot write .mp3; give .wav, .flac or .ogg"):
    convert.transform_file("no_model", good, str(tmp_path / "o.mp3"), *styles)
  short = str(tmp_path / "short.wav")
  audio_files.write_audio(short, np.zeros(1, np.float32))
  with pytest.raises(TransformError, match="0.1 ms of audio; at least 50 ms"):
    convert.transform_file("no_model", short, str(tmp_path / "o.wav"), *styles)
  with pytest.raises(AudioError, match="truncated WAV"):
    data = open(good, "rb").read()
    open(tmp_path / "cut.wav", "wb").write(data[:-100])
    convert.transform_file("no_model", str(tmp_path / "cut.wav"), str(tmp_path / "o.wav"),
                             *styles)
  with pytest.raises(TransformError, match="not a SavedModel version directory"):
    convert.transform_file(str(tmp_path), good, str(tmp_path / "o.wav"), *styles)
  long = str(tmp_path / "long.wav")
  audio_files.write_audio(long, np.full(16000 * 11, 0.01, np.float32))
  with pytest.raises(TransformError, match=r"longer than this export's maximum of 10 s .*"
                     r"176000 samples, 11.0000 s.*--max_seconds"):
    convert.transform_file(path, long, str(tmp_path / "o.wav"), *styles)
  silent = str(tmp_path / "silent.wav")
  audio_files.write_audio(silent, np.zeros(8000, np.float32))
  with pytest.raises(TransformError, match=r"silent.wav: is digital silence"):
    convert.transform_file("no_model", silent, str(tmp_path / "o.wav"), *styles)
  loud = str(tmp_path / "loud.wav")  # a float WAV whose samples are far outside [-1, 1]
  audio_files.write_audio(loud, 49.5 * signals.harmonic_tone(seconds=0.5), subtype="FLOAT")
  with pytest.raises(TransformError, match=r"loud.wav: has samples up to 1[0-9.]+, outside \[-1, 1\]"):
    convert.transform_file("no_model", loud, str(tmp_path / "o.wav"), *styles)
  assert not os.path.exists(tmp_path / "o.wav")


def test_log_mel_signature_and_saved_model_cli(exported, loaded):
  _, path = exported
  log_mel = melspec.normalize_log_spectrogram(melspec.log_mel_spectrogram(request()["waveform"], PAPER), PAPER)
  out = loaded.signatures["transform_log_mel"](
      log_mel=log_mel, lengths=tf.constant([41, 41]), source_style=tf.constant([0, 1]),
      target_style=tf.constant([1, 2]))
  assert out["log_mel"].shape == log_mel.shape
  # What `saved_model_cli show --all` lists, read from the loaded SavedModel
  # (another process would only add TensorFlow's start-up).
  assert set(loaded.signatures) == {"serving_default", "transform_log_mel", "styles"}
  inputs = loaded.signatures["serving_default"].structured_input_signature[1]
  assert set(inputs) == {"waveform", "source_style", "target_style"}
  # saved_model_cli run loads with a session, as TF Serving's C++ loader does.
  cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
  np.save(os.path.join(os.path.dirname(path), "note.npy"), request(batch=1)["waveform"])
  ran = subprocess.run([cli, "run", "--dir", path, "--tag_set", "serve", "--signature_def",
                        "serving_default", "--inputs",
                        f"waveform={os.path.join(os.path.dirname(path), 'note.npy')}",
                        "--input_exprs", "source_style=[0];target_style=[1]"],
                       capture_output=True, text=True, timeout=300)
  assert ran.returncode == 0, ran.stderr[-2000:]
  assert "Result for output key waveform" in ran.stdout


def test_transform_command_by_style_names(exported, tmp_path):
  model_dir, path = exported
  names = json.load(open(os.path.join(model_dir, "styles.json")))["styles"]
  source = str(tmp_path / "in.wav")
  from tf_transforms.signal import audio_files
  audio_files.write_audio(source, signals.harmonic_tone(f0=261.6, seconds=0.5))
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)

  def run(*args):
    return subprocess.run([sys.executable, "transform.py", f"--model={path}",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

  output = str(tmp_path / "out.wav")
  ok = run(f"--input={source}", f"--output={output}", f"--source_style={names[0]}",
           f"--target_style={names[1]}")
  assert ok.returncode == 0, ok.stderr[-2000:]
  waveform = audio_files.read_audio(output)
  assert len(waveform) == 8000 and np.all(np.isfinite(waveform))
  again = run(f"--input={source}", f"--output={output}", f"--source_style={names[0]}",
              f"--target_style={names[1]}")
  assert again.returncode != 0 and "already exists" in again.stderr
  # The same checks in this process (the command's one-line form is shown above;
  # another process would only add TensorFlow's start-up).
  from tf_transforms.core.errors import AudioError, TransformError
  from tf_transforms.export import convert
  with pytest.raises(TransformError, match="'tuba' is not a style"):
    convert.transform_file(path, source, str(tmp_path / "x.wav"), names[0], "tuba")
  (tmp_path / "text.wav").write_text("not audio")
  with pytest.raises(AudioError, match="cannot decode audio"):
    convert.transform_file(path, str(tmp_path / "text.wav"), str(tmp_path / "y.wav"),
                             names[0], names[1])
  assert not (tmp_path / "x.wav").exists() and not (tmp_path / "y.wav").exists()


# Each variant's tolerance on the log-mel outputs (test below).
TFLITE_TOLERANCES = {"float32": 1e-4, "float16": 0.05, "dynamic_range": 0.2}


def test_tflite_builtins_only_runs_on_litert_and_matches(exported, tmp_path):
  """The three variants, converted by one call (the graphs traced and saved
  once; one test, so that one worker does it), each checked against the
  SavedModel and the Keras model (``check_tflite_variant``), whose outputs
  are computed once for all three (``tflite_references``)."""
  model_dir, _ = exported
  paths = {v: str(tmp_path / f"model.{v}.tflite") for v in saved_model.TFLITE_VARIANTS}
  sizes = saved_model.export_tflite_variants(model_dir, paths)
  assert set(sizes) == set(TFLITE_TOLERANCES)
  references = tflite_references(exported)
  for variant, path in paths.items():
    assert sizes[variant] == os.path.getsize(path) > 0, variant
    with pytest.raises(FileExistsError, match="already exists"):
      saved_model.export_tflite(model_dir, path, variant)
    check_tflite_variant(exported, references, path, variant, TFLITE_TOLERANCES[variant])


STYLES = np.array([0], np.int32), np.array([2], np.int32)


def tflite_references(exported):
  """What every TFLite variant is compared with: the Keras model's network
  output for random log-mels of two lengths ({frames: (log_mel, frames)}),
  and the SavedModel's serving output for notes of two durations
  ({seconds: (request, outputs)})."""
  model_dir, saved_model = exported
  model = keras.saving.load_model(os.path.join(model_dir, "model.keras"))
  network = {}
  for frames in (23, 41):  # any input length, one converted model
    log_mel = np.random.default_rng(frames).uniform(-1, 0, (1, frames, 80)).astype(np.float32)
    network[frames] = log_mel, model.generate(log_mel, np.array([frames], np.int32), *STYLES,
                                              num_frames=frames)["frames"].numpy()
  loaded = tf.saved_model.load(saved_model).signatures["serving_default"]
  serving = {}
  for seconds in (0.4, 0.75):
    x = request(batch=1, seconds=seconds)
    serving[seconds] = x, {k: v.numpy() for k, v in loaded(
        waveform=tf.constant(x["waveform"], tf.float32),
        source_style=tf.constant(x["source_style"]),
        target_style=tf.constant(x["target_style"])).items()}
  return network, serving


def check_tflite_variant(exported, references, path, variant, tolerance):
  """The TFLite file holds the SavedModel's whole serving path (front-end,
  model, mel inverse, Griffin-Lim, de-emphasis) and the network alone.

  Tolerances: log-mel outputs (max abs, normalised log-mel in [-1, ~1]):
  float32 is exact up to round-off; quantised weights are allowed visible
  differences. Audio: float32 must match the SavedModel's waveform sample by
  sample to 2% of its peak (Griffin-Lim's 32 momentum iterations amplify
  the round-off differences between TF's and TFLite's kernels: 0.6% of the
  peak is seen) and within a standard MCD of 0.1 dB; every variant must vocode
  its own log-mel within 0.75 dB MCD of how well the SavedModel vocodes its
  own (bench/tflite.py reports each variant's MCD change against targets).
  float16 stores the vocoder's constants in half precision: on the tiny run
  of 0.8 (harmonic_levels head), whose log-mel float16 matches to 5e-4, it
  vocodes the two clips 0.14 and 0.57 dB worse than the SavedModel (the
  tiny run's self-error is ~15 dB; 0.7's run stayed under 0.5)."""
  from ai_edge_litert.interpreter import Interpreter

  from tf_transforms.evaluation import metrics
  model_dir, _ = exported
  network_references, serving_references = references
  interpreter = Interpreter(model_path=path)
  assert set(interpreter.get_signature_list()) == {"serving_default", "transform_log_mel"}
  network = interpreter.get_signature_runner("transform_log_mel")
  for frames, (log_mel, reference) in network_references.items():
    lite = network(log_mel=log_mel, source_style=STYLES[0], target_style=STYLES[1])
    assert lite["log_mel"].shape == reference.shape == (1, frames, 80)
    np.testing.assert_allclose(lite["log_mel"], reference, atol=tolerance, err_msg=variant)
  serve = interpreter.get_signature_runner("serving_default")
  for x, want in serving_references.values():
    lite = serve(waveform=x["waveform"].astype(np.float32), source_style=x["source_style"],
                 target_style=x["target_style"])
    assert lite["waveform"].shape == want["waveform"].shape == x["waveform"].shape
    np.testing.assert_array_equal(lite["lengths"], want["lengths"])
    np.testing.assert_allclose(lite["log_mel"], want["log_mel"], atol=tolerance,
                               err_msg=variant)
    peak = np.abs(want["waveform"]).max()
    if variant == "float32":
      np.testing.assert_allclose(lite["waveform"], want["waveform"], atol=2e-2 * peak)
      heard = [melspec.log_mel_spectrogram(w[0], PAPER).numpy() for w in (lite["waveform"],
                                                                  want["waveform"])]
      assert metrics.log_mel_cepstral_distance(*heard) < 0.1
    # Every variant vocodes its own log-mel as faithfully as the SavedModel
    # does its own (the analysed audio's MCD to the predicted log-mel).
    def vocoding_error(result):
      predicted = melspec.denormalize_log_spectrogram(result["log_mel"][0], PAPER).numpy()
      heard = melspec.log_mel_spectrogram(result["waveform"][0], PAPER).numpy()
      return metrics.log_mel_cepstral_distance(predicted, heard[:len(predicted)])
    assert vocoding_error(lite) < vocoding_error(want) + 0.75, variant
  if variant == "float32":
    check_lite_wrapper(path, model_dir, serve)


def check_lite_wrapper(path, model_dir, serve):
  """lite.LiteTransform refuses what the file would silently get wrong, and
  otherwise returns what the file returns."""
  from tf_transforms.core.errors import LiteError
  from tf_transforms.export.lite import LiteTransform
  lite = LiteTransform(path, os.path.join(model_dir, "styles.json"))
  wave = signals.harmonic_tone(seconds=0.5)
  names = lite.styles
  direct = serve(waveform=wave[np.newaxis], source_style=np.array([0], np.int32),
                 target_style=np.array([1], np.int32))
  np.testing.assert_allclose(lite.transform(wave, names[0], names[1]),
                             direct["waveform"][0, :int(direct["lengths"][0])], atol=1e-6)
  bad = wave.copy()
  bad[10] = np.nan
  for arguments, message in [
      ((bad, 0, 1), "1 NaN or Inf samples"),
      ((wave, 0, len(names)), "target_style id 4 out of range"),
      ((wave, "tuba", 1), "source_style='tuba' is not a style"),
      ((wave[:100], 0, 1), "100 samples; at least 800"),
      ((np.zeros(16000 * 11, np.float32), 0, 1), r"the limit is 160000 \(10 s"),
      ((np.zeros(160001, np.float32), 0, 1), r"160001 samples \(10.0001 s\)"),
      ((np.stack([wave, wave]), 0, 1), "one mono clip"),
      ((np.round(wave * 32767), 0, 1), "looks like integer samples given as floats; divide by "
                                       "32768"),
      ((np.where(np.arange(wave.size) == 9, 1e30, wave), 0, 1), r"outside \[-1, 1\]"),
      ((np.zeros(8000, np.float32), 0, 1), "is digital silence"),
  ]:
    with pytest.raises(LiteError, match=message):
      lite.transform(*arguments)
  # One instance from several threads at once: each call gets its own answer
  # (an interpreter per thread; one shared interpreter crashed the process).
  import concurrent.futures
  clips = [signals.harmonic_tone(f0=180.0 + 40 * i, seconds=0.3 + 0.05 * i) for i in range(8)]
  alone = [lite.transform(clip, names[0], names[1]) for clip in clips]
  with concurrent.futures.ThreadPoolExecutor(8) as pool:
    together = list(pool.map(lambda clip: lite.transform(clip, names[0], names[1]),
                             clips * 2))
  for got, expected in zip(together, alone * 2):
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
  # No source style: an unknown source, if the file's model was trained for it
  # (the export's styles.json says so; the run's says nothing, so it refuses).
  with pytest.raises(LiteError, match="source_style is needed: this model was trained with"):
    lite.transform(wave, None, names[1])
  knowing = LiteTransform(path, names, unknown_source=True)
  unknown = serve(waveform=wave[np.newaxis], source_style=np.array([-1], np.int32),
                  target_style=np.array([1], np.int32))
  np.testing.assert_allclose(knowing.transform(wave, None, names[1]),
                             unknown["waveform"][0, :int(unknown["lengths"][0])], atol=1e-6)
  with pytest.raises(LiteError, match="below -1, the normalised floor"):
    lite.transform_log_mel(np.full((12, 80), -11.5, np.float32), 0, 1)
  with pytest.raises(LiteError, match="must have shape \\[frames, 80\\]"):
    lite.transform_log_mel(np.zeros((10, 40), np.float32), 0, 1)
  frames, length = lite.transform_log_mel(np.full((12, 80), -0.5, np.float32), 0, 1)
  assert frames.shape == (12, 80) and length == 12


def test_a_second_export_py_into_the_same_model_folder_is_refused_naming_the_first(
    tiny_notes_run, tmp_path):
  """export.py holds <export_dir>/<name> while it writes (``.export.lock``): a
  second one is refused with the holder's PID, before TensorFlow starts."""
  from tests.commands import without_tensorflow
  from tf_transforms.training import run_files
  models = tmp_path / "exports" / "tf_transforms"
  with run_files.directory_lock(str(models), run_files.EXPORT_LOCK_FILE, "--export_dir",
                                "export.py"):
    result = subprocess.run([sys.executable, "export.py", f"--model_dir={tiny_notes_run}",
                             f"--export_dir={tmp_path / 'exports'}"], cwd=ROOT,
                            env=without_tensorflow(tmp_path), capture_output=True, text=True,
                            timeout=300)
  assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
  assert f"in use by another export.py process (PID {os.getpid()})" in result.stderr
