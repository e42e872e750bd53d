"""Data: TFDS examples to training pairs and batches.

``pipeline`` (index, content splits, pairs, tf.data batches), ``styles``
(style names <-> ids), ``soundfont`` (the note renderer behind gm_notes).
Importing this package imports none of them.
"""
