"""A dataset's style vocabulary: style names <-> ids, stored as a run's styles.json."""

import dataclasses
import json

import tensorflow as tf

from tf_transforms.core.files import write_text


@dataclasses.dataclass(frozen=True)
class StyleVocabulary:
  """Style names <-> ids (ids are positions in the sorted name list)."""

  names: tuple

  def id(self, name: str) -> int:
    try:
      return self.names.index(name)
    except ValueError:
      raise KeyError(f"unknown style {name!r}; known styles: {list(self.names)}") from None

  def name(self, style_id: int) -> str:
    if not 0 <= style_id < len(self.names):
      raise KeyError(f"style id {style_id} out of range [0, {len(self.names)})")
    return self.names[style_id]

  def __len__(self):
    return len(self.names)

  def save(self, path):
    """Writes JSON ``{"styles": [...]}``; refuses to overwrite a different one."""
    if tf.io.gfile.exists(path):
      if StyleVocabulary.load(path) != self:
        raise FileExistsError(f"{path}: holds a different style vocabulary; refusing to "
                              "overwrite it")
      return
    write_text(path, json.dumps({"styles": list(self.names)}, indent=1))

  @classmethod
  def load(cls, path):
    with tf.io.gfile.GFile(path) as handle:
      return cls(tuple(json.load(handle)["styles"]))
