r"""An export's signatures and outputs for one fixed input, to compare two exports.

Usage:
  python scripts/export_fingerprint.py EXPORT_DIR OUT.npz

EXPORT_DIR is an ``export.py --export_dir`` (its first ``tf_transforms/<version>``
SavedModel, and the first ``.tflite`` file under it, are run). OUT.npz holds each
signature's inputs and the SavedModel's and TFLite file's outputs for 1 s of a
noisy 220 Hz tone, source style 0 -> target style 3; two exports of the same
run that behave the same give equal files (``np.array_equal`` per key).
Needs only TensorFlow and ai-edge-litert, not this project.
"""
import glob
import json
import sys

from ai_edge_litert.interpreter import Interpreter
import numpy as np
import tensorflow as tf

export, out = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
t = np.arange(16000) / 16000
wave = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(16000)).astype(np.float32)
version = sorted(glob.glob(export + "/tf_transforms/*/saved_model.pb"))[0].rsplit("/", 1)[0]
loaded = tf.saved_model.load(version)
rec = {}
for name, fn in loaded.signatures.items():
  rec["sig_" + name] = json.dumps({k: str(v) for k, v in fn.structured_input_signature[1].items()}, sort_keys=True)
res = loaded.signatures["serving_default"](waveform=tf.constant(wave[None]), source_style=tf.constant([0]), target_style=tf.constant([3]))
for k, v in res.items(): rec["sm_" + k] = v.numpy()
lite = sorted(glob.glob(export + "/**/*.tflite", recursive=True))
print(lite)
if lite:
  it = Interpreter(model_path=lite[0]); runner = it.get_signature_runner("serving_default")
  feed = {"waveform": wave[None], "source_style": np.array([0], np.int32), "target_style": np.array([3], np.int32)}
  r = runner(**{k: feed[k] for k in runner.get_input_details()})
  for k, v in r.items(): rec["tfl_" + k] = v
np.savez(out, **{k: np.asarray(v) for k, v in rec.items()})
print({k: np.asarray(v).shape for k, v in rec.items()})
