"""The paper's head."""

from tf_transforms.model.heads.base import OutputHead, register_head


@register_head("direct")
class DirectHead(OutputHead):
  """``y_i = Dense([s_i, c_i])``, r frames per step."""

  def project(self, features, weights, prepared, step=None):
    del weights, prepared, step
    return self.linear(features)
