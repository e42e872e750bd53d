"""Evaluation on unseen content, in the field's terms: Table 2 / Table 3 columns.

For every test pair (content never seen in training) a model generates
autoregressively -- for as many frames as the target for notes, until its
stop token for words -- and its output is vocoded by the model's in-graph
path (mel inverse or post-net, Griffin-Lim, de-emphasis). Three candidates
are judged against the *real target recording*, each by judges the model was
never trained against (``Judges``):

* the model's output; the source recording (copy-the-source baseline); the
  true target's log-mel through the same vocoder (the vocoder ceiling: what a
  perfect log-mel prediction would score).

Columns (``score_pair``, ``summarize``):

* **MCD** -- the field's (``metrics.standard_mcd``: WORLD, sp2mc, alpha 0.42,
  c1-c24, voiced frames, DTW) to the real target recording, mean ± 95% CI;
* **closer to target than source** -- per pair, is the output's MCD to the
  target recording below its MCD to the source recording (did it move?);
* **target / source style recognised** -- a logistic-regression classifier
  on per-clip log-mel statistics, trained on the training split's clips after
  the vocoding path (so Griffin-Lim's artifacts are not taken for style); its
  accuracy on vocoded test clips is its ceiling. "Source style recognised"
  should fall towards 0 for a conversion;
* **paper eq. (3)** -- the paper's formula on the log-mel prediction itself;
* notes: **pitch** within 50 cents of the note and median absolute cents
  (``pitch.py``, pyin);
* words: **word recognised** by pocketsphinx restricted to the dataset's word
  list (``recognition.py``), **duration ratio** output / target recording,
  and **F0 toward the target speaker**: the output's median F0 (WORLD) closer
  in log-F0 to the target speaker's median than to the source speaker's.

Shares come with 95% Wilson intervals. The real target recordings are judged
too (pitch, words): the judges' own ceiling.
"""

import time

import numpy as np
import tensorflow as tf

from tf_transforms.core.configs import UNKNOWN_STYLE
from tf_transforms.data import pipeline
from tf_transforms.evaluation import metrics
from tf_transforms.evaluation.judges import Judges, score_pair
from tf_transforms.signal import melspec, vocoding
from tf_transforms.training.run import Run


def count_test_pairs(index: pipeline.Index, max_pairs=None, split="test", pairs=None) -> int:
  """How many pairs ``evaluate_run`` scores: one per ``split`` example whose
  content has another style (``pipeline.count_pairs``), or ``len(pairs)``
  for explicit pairs; at most ``max_pairs``."""
  total = pipeline.count_pairs(index, split) if pairs is None else len(pairs)
  return total if max_pairs is None else min(total, max_pairs)


def generate_test_pairs(run: Run, index: pipeline.Index, *, batch_size=16, max_pairs=None,
                        seed=0, split="test", target_known=None, pairs=None,
                        hide_source=False):
  """Generates and vocodes every test pair (content never seen in training);
  ``split="valid"``: the validation split's pairs instead (content never seen
  in training either), for choosing settings without the test split.

  Notes are generated for exactly the target's frame count; words until the
  stop token. Outputs and the true targets are vocoded by the model's own
  in-graph path (``model.to_audio``). ``pairs``: explicit (source row, target
  row) pairs instead (``pipeline.foreign_pairs``); ``hide_source``: the
  model is told every source's style is unknown (``UNKNOWN_STYLE``) instead
  of its own (a foreign source's: its nearest training style, ``Index.style``).

  Yields, per pair, a dict: ``source_row``, ``target_row``, ``source_style``,
  ``target_style`` (ids), ``content``; natural-log mel [T, F] ``source``,
  ``target`` and ``prediction``; float waveforms ``waveform`` (the output)
  and ``target_waveform`` (the true target's log-mel, vocoded; None for a
  batch whose target rows ``target_known(rows)`` says are judged already:
  vocoding them would cost as much as vocoding the outputs).
  """
  audio_config = run.config.audio
  fixed = run.spec.fixed_length
  total = count_test_pairs(index, max_pairs, split, pairs)
  test = _pairs(index, split, batch_size, seed, audio_config, pairs)
  vocode = tf.function(lambda outputs: run.model.to_audio(outputs, audio_config),
                       reduce_retracing=True)  # words: a new length every batch
  vocode_targets = _target_vocoder(audio_config)
  # Traced, the decoder's loop runs as one graph (eagerly, op by op from Python:
  # 5x slower for the tiny preset). Notes' frame count is a tensor argument, so a
  # new length does not retrace; words (None) run to the stop token.
  generate = tf.function(
      lambda source, length, source_style, target_style, frames: run.model.generate(
          source, length, source_style, target_style, num_frames=frames,
          return_alignments=False), reduce_retracing=True)

  def natural(frames, length):  # normalised [T, F] -> natural-log mel, trimmed
    return melspec.denormalize_log_spectrogram(
        np.asarray(frames[:int(length)], np.float32), audio_config).numpy()

  done = 0
  for batch in test:
    source_style = batch["source_style"]
    if hide_source:
      source_style = tf.fill(tf.shape(source_style), tf.constant(UNKNOWN_STYLE, tf.int32))
    outputs = generate(batch["source"], batch["source_length"], source_style,
                       batch["target_style"],
                       tf.reduce_max(batch["target_length"]) if fixed else None)
    waveforms = vocode(outputs).numpy()
    known = target_known is not None and target_known(batch["target_row"].numpy())
    target_waveforms = None if known else vocode_targets(batch["target"]).numpy()
    lengths = outputs["lengths"].numpy()
    for i in range(int(batch["source"].shape[0])):
      if done >= total:
        return
      target_length = int(batch["target_length"][i])
      length = target_length if fixed else int(lengths[i])
      target_row = int(batch["target_row"][i])
      done += 1
      yield {"source_row": int(batch["source_row"][i]), "target_row": target_row,
             "source_style": int(batch["source_style"][i]),
             "target_style": int(batch["target_style"][i]),
             "content": index.content[target_row].item(),
             "source": natural(batch["source"][i], batch["source_length"][i]),
             "target": natural(batch["target"][i], target_length),
             "prediction": natural(outputs["frames"][i], length),
             "waveform": _trimmed(waveforms[i], length, audio_config),
             "target_waveform": (None if target_waveforms is None
                                 else _trimmed(target_waveforms[i], target_length, audio_config))}


def _trimmed(waveform, frames, audio_config):
  """A vocoded clip [samples] cut to ``frames`` frames' worth (at least one sample)."""
  return waveform[:max(1, (int(frames) - 1) * audio_config.frame_step)]


def _pairs(index, split, batch_size, seed, audio_config, pairs=None):
  """The batches of ``split``'s pairs (or of ``pairs``), in the order
  ``evaluate_run`` scores them."""
  return pipeline.pair_dataset(index, split, batch_size, seed=seed, epochs=1, cache_features=True,
                               audio_config=audio_config, pairs=pairs)


def _target_vocoder(audio_config):
  """Normalised log-mel [B, T, F] -> waveforms [B, samples]: the vocoding path
  of every model without a post-net (``AudioTransformModel.to_audio`` on
  frames), which the vocoded true target takes whatever the model."""
  return tf.function(lambda frames: vocoding.log_mel_to_audio(
      melspec.denormalize_log_spectrogram(frames, audio_config), audio_config),
                     reduce_retracing=True)  # words: a new length every batch


def _target_clip(waveform, content, target_row, audio_config):
  """The vocoded true target of ``target_row`` as ``Judges.judge_many`` takes
  it, keyed for the judges' cache (waveform None: judged already)."""
  key = f"oracle/{target_row}"
  if waveform is None:
    return (None, None, content, key)
  return (waveform, melspec.log_mel_spectrogram(waveform, audio_config).numpy(), content, key)


def prepare_judgements(index: pipeline.Index, judges: Judges, audio_config, *, batch_size=16,
                       max_pairs=None, seed=0, split="test", progress=print):
  """The model-independent half of ``evaluate_run``, done before there is a
  model: judges the real recordings and the vocoded true targets of the
  pairs ``evaluate_run`` will score (the same batches through the same
  vocoder: the same vocoded targets to float32 round-off, tested) into
  ``judges.cache``, and saves it after every batch. An evaluation
  afterwards judges only the model's outputs. ``scripts/main.sh`` runs it
  beside the training (``evaluate.py --warm_cache``).

  Returns:
    How many pairs' judgements were prepared.
  """
  total = count_test_pairs(index, max_pairs, split)
  vocode_targets = _target_vocoder(audio_config)
  started, done = time.monotonic(), 0
  for batch in _pairs(index, split, batch_size, seed, audio_config):
    size = min(int(batch["source"].shape[0]), total - done)
    if size <= 0:
      break
    target_rows = batch["target_row"].numpy()[:size]
    judges.prepare_recordings(np.concatenate([batch["source_row"].numpy()[:size],
                                              target_rows]))
    if not all(judges.is_cached(f"oracle/{row}") for row in target_rows):
      waveforms = vocode_targets(batch["target"]).numpy()
      judges.judge_many([
          _target_clip(_trimmed(waveforms[i], batch["target_length"][i], audio_config),
                       index.content[row].item(), int(row), audio_config)
          for i, row in enumerate(target_rows)])
    done += size
    judges.cache.save()
    progress(f"{done}/{total} {split} pairs' recordings and vocoded targets judged "
             f"({time.monotonic() - started:.0f} s)")
  return done


def score_generated(pairs, judges: Judges, run: Run) -> list:
  """The records of generated pairs (``generate_test_pairs``), one dict each:
  the judges' measures (``judges.score_pair``) for the output, copy-the-source
  and the vocoded true target, plus the paper's eq. (3) on the log-mel itself.
  The clips' analyses run in the judges' worker processes, all at once."""
  audio_config = run.config.audio

  def output_clip(waveform, content):
    return (waveform, melspec.log_mel_spectrogram(waveform, audio_config).numpy(), content, None)

  judges.prepare_recordings([p[side] for p in pairs for side in ("source_row", "target_row")])
  judged = iter(judges.judge_many([
      clip for p in pairs
      for clip in (output_clip(p["waveform"], p["content"]),
                   _target_clip(p["target_waveform"], p["content"], p["target_row"],
                                audio_config))]))
  records = []
  for pair in pairs:
    content = pair["content"]
    output, oracle = next(judged), next(judged)
    candidates = {"": output, "copy_": judges.recording(pair["source_row"]), "oracle_": oracle}
    records.append({
        "source_row": pair["source_row"], "target_row": pair["target_row"],
        "content": content,
        "source_style": judges.index.style_name(pair["source_row"]),
        "target_style": run.vocabulary.name(pair["target_style"]),
        **({"nearest_source_style": run.vocabulary.name(pair["source_style"])}
           if judges.index.is_foreign(pair["source_row"]) else {}),
        "paper_mcd": metrics.paper_mcd(pair["target"], pair["prediction"]),
        "copy_paper_mcd": metrics.paper_mcd(pair["target"], pair["source"]),
        **score_pair(judges, candidates, candidates["copy_"],
                     judges.recording(pair["target_row"]), pair["source_style"],
                     pair["target_style"], content)})
  return records


def evaluate_run(run: Run, index: pipeline.Index, judges: Judges, *, batch_size=16,
                 max_pairs=None, seed=0, keep=4, progress=print, split="test", pairs=None,
                 hide_source=False):
  """Generates every pair of ``split`` (test: the paper's unseen content) with
  ``run`` and scores it.

  Returns:
    (records: one dict per pair (``score_generated``), examples: the first
    ``keep`` generated pairs with their record and real recordings, for
    Figure 2 and the example WAVs).
  """
  total = count_test_pairs(index, max_pairs, split, pairs)
  records, examples, waiting = [], [], []
  started = time.monotonic()

  def score(pairs):
    records.extend(score_generated(pairs, judges, run))
    for pair, record in zip(pairs, records[-len(pairs):]):
      if len(examples) < keep:
        examples.append({**pair, "record": record,
                         "source_audio": index.audio(pair["source_row"]),
                         "target_audio": index.audio(pair["target_row"])})
    progress(f"{run.label}: {len(records)}/{total} {split} pairs scored "
             f"({time.monotonic() - started:.0f} s)")

  def target_known(rows):
    return all(judges.is_cached(f"oracle/{row}") for row in rows)

  for pair in generate_test_pairs(run, index, batch_size=batch_size, max_pairs=max_pairs,
                                  seed=seed, split=split, target_known=target_known,
                                  pairs=pairs, hide_source=hide_source):
    waiting.append(pair)
    if len(waiting) == batch_size:
      score(waiting)
      waiting = []
  if waiting:
    score(waiting)
  return records, examples
