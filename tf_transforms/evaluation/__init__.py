"""Evaluation on the field's scale with judges the model was not trained against.

``scoring`` (generate and score test pairs), ``report`` (evaluate.py's
orchestration), ``judges`` (style classifier, cache, speakers' F0),
``clip_analysis`` (WORLD, pyin and word recognition in worker processes),
``metrics`` (MCD), ``pitch`` and ``sparse_viterbi`` (pyin), ``recognition``
(pocketsphinx), ``tables``, ``figures``.
"""
