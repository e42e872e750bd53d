"""Training: the run directory, the loop, and what is fitted beside it.

``run`` (RunConfig, make_run_config, loading a finished run), ``run_files``
(a run's files, locks and checks; no TensorFlow), ``loop`` (resumable,
deterministic Keras fit), ``optimizer`` (Adam and its schedule),
``calibration`` (the comb chooser's fit data and the post-filter's
calibration), ``describe`` (``train.py --print_config``).
"""
