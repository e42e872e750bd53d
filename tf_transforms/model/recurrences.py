"""Recurrences with hand-written gradients: the encoder's LSTMs and the
decoder's teacher-forced LSTM with attention.

Left to autodiff, a ``tf.while_loop``'s gradient saves every intermediate op
output on stacks in the forward loop and, in the backward loop, forms each
step's kernel gradients as separate products summed by ``AddN``. Here each
recurrence is a ``tf.custom_gradient``: the forward loop keeps the activated
gates, cells (and attention energies); the backward loop carries only the
state gradients (``dh``, ``dc``, the decoder's ``d context``) and writes each
step's gate gradients, and the kernel gradients are each one matrix product
over all steps after the loop (docs/design.md, "Training-step speed").
``tests/test_layers.py`` checks values and every gradient against autodiff of
Keras' ``LSTM`` (masked, both directions, in a ``Bidirectional`` and alone)
and of the decoder's own step.

The LSTM step is Keras' ``LSTMCell`` (gates in its order i, f, g, o), from
its input product and bias ``x_t`` computed before the loop::

  z_t = x_t + h_{t-1} R  (+ context_{t-1} K_x in the decoder)
  c_t = sig(f) * c_{t-1} + sig(i) * tanh(g);   h_t = sig(o) * tanh(c_t)

and the decoder then attends with its new state::

  e_t = tanh(keys + h_t W_q)                    [B, T, A]
  a_t = softmax(mask(e_t w));  context_t = a_t memory
"""

import tensorflow as tf

_NEG_INF = -1e9


def _cell(z, carry):
  """Keras LSTMCell's step from its pre-activations z [B, 4U] and carry [B, U]:
  the new hidden state and carry [B, U], and the activated gates (i, f, g, o),
  each [B, U]."""
  gate_in, gate_forget, candidate, gate_out = tf.split(z, 4, axis=-1)
  gate_in, gate_forget, gate_out = (tf.sigmoid(gate_in), tf.sigmoid(gate_forget),
                                    tf.sigmoid(gate_out))
  candidate = tf.tanh(candidate)
  carry = gate_forget * carry + gate_in * candidate
  return gate_out * tf.tanh(carry), carry, (gate_in, gate_forget, candidate, gate_out)


def lstm_step(inputs, recurrent_kernel, hidden, carry):
  """One step from its input product ``inputs`` [B, 4U]: the new ``hidden``
  and ``carry`` [B, U]."""
  hidden, carry, _ = _cell(inputs + tf.matmul(hidden, recurrent_kernel), carry)
  return hidden, carry


def _gates_backward(gates, carry, previous_carry, d_hidden, d_carry):
  """The gradient of ``_cell``: from the
  gradients of the step's output ``d_hidden`` and carry ``d_carry`` (from
  later steps), the pre-activations' ``d_z`` [B, 4U] and the previous carry's
  gradient."""
  gate_in, gate_forget, candidate, gate_out = tf.split(gates, 4, axis=-1)
  squashed = tf.tanh(carry)
  d_carry = d_carry + d_hidden * gate_out * (1.0 - tf.square(squashed))
  d_z = tf.concat([d_carry * candidate * gate_in * (1.0 - gate_in),
                   d_carry * previous_carry * gate_forget * (1.0 - gate_forget),
                   d_carry * gate_in * (1.0 - tf.square(candidate)),
                   d_hidden * squashed * gate_out * (1.0 - gate_out)], -1)
  return d_z, d_carry * gate_forget


def _over_steps(stack):
  """[S, B, X] -> [S * B, X]."""
  return tf.reshape(stack, [-1, stack.shape[-1]])


def _forward(attending, memory_mask, inputs, keys, memory, context_kernel, recurrent_kernel,
             query_kernel, score_kernel, hidden, carry, context):
  """The recurrence (``teacher_forced_loop``'s arguments): step-major stacks of
  the outputs, carries, contexts, attention weights, activated gates and
  attention energies ``[S, B, T, A]``."""
  steps = tf.shape(inputs)[0]
  dtype = inputs.dtype
  score_vector = score_kernel[:, 0]                                    # [A]
  batch, time = tf.shape(memory)[0], tf.shape(memory)[1]

  def attend(hidden):
    if not attending:
      return context, tf.zeros([batch, time], dtype), tf.zeros([batch, time, 0], dtype)
    energies = tf.tanh(keys + tf.expand_dims(tf.matmul(hidden, query_kernel), 1))
    scores = tf.where(memory_mask, tf.tensordot(energies, score_vector, 1), _NEG_INF)
    weights = tf.nn.softmax(scores, axis=-1)                           # [B, T]
    return tf.linalg.matvec(memory, weights, transpose_a=True), weights, energies

  def step(i, hidden, carry, context, *written):
    z = inputs[i] + tf.matmul(context, context_kernel) + tf.matmul(hidden, recurrent_kernel)
    hidden, carry, gates = _cell(z, carry)
    gates = tf.concat(gates, -1)                                       # [B, 4U]
    context, weights, energies = attend(hidden)
    values = (hidden, carry, context, weights, gates, energies)
    return (i + 1, hidden, carry, context,
            *[array.write(i, value) for array, value in zip(written, values)])

  looped = tf.while_loop(lambda i, *_: i < steps, step,
                         (tf.constant(0), hidden, carry, context,
                          *[tf.TensorArray(dtype, size=steps) for _ in range(6)]),
                         maximum_iterations=steps)
  return [array.stack() for array in looped[4:]]


def teacher_forced_recurrence(inputs, keys, memory, memory_mask, context_kernel,
                              recurrent_kernel, query_kernel, score_kernel, hidden, carry,
                              context):
  """``teacher_forced_loop`` left to autodiff (bench/train_step.py's
  comparison)."""
  attending = memory.shape[-1] != 0
  hiddens, _, contexts, weights, _, _ = _forward(
      attending, memory_mask, inputs, keys, memory, context_kernel, recurrent_kernel,
      query_kernel, score_kernel, hidden, carry, context)
  return hiddens, contexts, weights


def teacher_forced_loop(inputs, keys, memory, memory_mask, context_kernel,
                        recurrent_kernel, query_kernel, score_kernel, hidden, carry,
                        context):
  """Runs the decoder's LSTM cell and attention over all teacher-forced steps.

  Args:
    inputs: ``[S, B, 4U]`` each step's input product and bias (``x_i``).
    keys: ``[B, T, A]`` the memory's attention keys (``V h_j + b``).
    memory: ``[B, T, D]`` the encoder outputs attended over (``D = 0``:
      no attention; ``keys``, ``query_kernel`` and ``score_kernel`` are then
      unused, and the weights returned are zeros).
    memory_mask: bool ``[B, T]``.
    context_kernel: ``[D, 4U]`` the cell kernel's rows for the context.
    recurrent_kernel: ``[U, 4U]``.
    query_kernel: ``[U, A]`` (``W``); score_kernel: ``[A, 1]`` (``w``).
    hidden, carry: ``[B, U]`` the initial state; context: ``[B, D]``.

  Returns:
    ``outputs [S, B, U]``, ``contexts [S, B, D]`` and attention ``weights
    [S, B, T]``, step-major.
  """
  attending = memory.shape[-1] != 0
  return _loop(attending, memory_mask, inputs, keys, memory, context_kernel,
               recurrent_kernel, query_kernel, score_kernel, hidden, carry, context)


def _loop(attending, memory_mask, *differentiable):
  # The mask and the static flag stay outside the custom gradient's arguments.

  @tf.custom_gradient
  def loop(inputs, keys, memory, context_kernel, recurrent_kernel, query_kernel,
           score_kernel, hidden0, carry0, context0):
    hiddens, carries, contexts, weights, gates, energies = _forward(
        attending, memory_mask, inputs, keys, memory, context_kernel, recurrent_kernel,
        query_kernel, score_kernel, hidden0, carry0, context0)
    steps, dtype = tf.shape(inputs)[0], inputs.dtype
    batch, time = tf.shape(memory)[0], tf.shape(memory)[1]
    score_vector = score_kernel[:, 0]

    def gradient(d_outputs, d_contexts, d_weights):
      d_outputs = tf.zeros_like(hiddens) if d_outputs is None else d_outputs
      d_contexts = tf.zeros_like(contexts) if d_contexts is None else d_contexts
      d_weights = tf.zeros_like(weights) if d_weights is None else d_weights
      previous_carries = tf.concat([carry0[None], carries[:-1]], 0)

      def backward(j, d_hidden, d_carry, d_context, d_keys, *written):
        i = steps - 1 - j
        d_context = d_context + d_contexts[i]
        if not attending:
          d_query = tf.zeros([batch, query_kernel.shape[-1]], dtype)
          d_scores = tf.zeros([batch, time], dtype)
        else:
          step_weights = weights[i]
          d_step_weights = d_weights[i] + tf.linalg.matvec(memory, d_context)
          d_scores = step_weights * (d_step_weights - tf.reduce_sum(
              step_weights * d_step_weights, -1, keepdims=True))       # softmax
          d_energies = (tf.expand_dims(d_scores, -1) * score_vector
                        * (1.0 - tf.square(energies[i])))               # [B, T, A]
          d_keys = d_keys + d_energies
          d_query = tf.reduce_sum(d_energies, 1)
          d_hidden = d_hidden + tf.matmul(d_query, query_kernel, transpose_b=True)
        d_hidden = d_hidden + d_outputs[i]
        d_z, d_carry = _gates_backward(gates[i], carries[i], previous_carries[i], d_hidden,
                                       d_carry)
        values = (d_z, d_query, d_scores, d_context)
        return (j + 1, tf.matmul(d_z, recurrent_kernel, transpose_b=True),
                d_carry, tf.matmul(d_z, context_kernel, transpose_b=True),
                d_keys, *[array.write(i, value) for array, value in zip(written, values)])

      state = (tf.constant(0), tf.zeros_like(hidden0), tf.zeros_like(carry0),
               tf.zeros_like(context0), tf.zeros_like(keys))
      looped = tf.while_loop(lambda j, *_: j < steps, backward,
                             (*state, *[tf.TensorArray(dtype, size=steps) for _ in range(4)]),
                             maximum_iterations=steps)
      d_hidden0, d_carry0, d_context0, d_keys = looped[1:5]
      d_z, d_query, d_scores, d_context = [a.stack() for a in looped[5:]]
      previous_hiddens = tf.concat([hidden0[None], hiddens[:-1]], 0)
      previous_contexts = tf.concat([context0[None], contexts[:-1]], 0)
      flat_d_z = _over_steps(d_z)
      d_context_kernel = tf.matmul(_over_steps(previous_contexts), flat_d_z, transpose_a=True)
      d_recurrent_kernel = tf.matmul(_over_steps(previous_hiddens), flat_d_z, transpose_a=True)
      d_query_kernel = tf.matmul(_over_steps(hiddens), _over_steps(d_query), transpose_a=True)
      # sum over steps, batch and time of the energies times the score gradient
      d_score_kernel = tf.matmul(tf.reshape(energies, [-1, energies.shape[-1]]),
                                 tf.reshape(d_scores, [-1, 1]), transpose_a=True)
      # memory: sum over steps of a_i^T d context_i, per example: [B, T, D]
      d_memory = tf.matmul(tf.transpose(weights, [1, 2, 0]), tf.transpose(d_context, [1, 0, 2]))
      return (d_z, d_keys, d_memory, d_context_kernel, d_recurrent_kernel, d_query_kernel,
              d_score_kernel, d_hidden0, d_carry0, d_context0)

    return (hiddens, contexts, weights), gradient

  return loop(*differentiable)


def lstm_sequence(inputs, mask, recurrent_kernel, hidden, carry, zero_output_for_mask=False):
  """Keras' masked LSTM loop (``keras.src.backend.tensorflow.rnn``) over
  time-major steps, from the input products.

  A masked step keeps the state and outputs the previous step's output (or
  zeros, ``zero_output_for_mask``); the first step's previous output is zeros.

  Args:
    inputs: ``[T, B, 4U]`` each step's ``x W + b``, in the order processed.
    mask: bool ``[T, B]``, or None (every step valid).
    recurrent_kernel: ``[U, 4U]``.
    hidden, carry: ``[B, U]`` the initial state.

  Returns:
    ``outputs [T, B, U]`` and the final ``hidden``, ``carry`` ``[B, U]``.
  """
  if mask is None:
    mask = tf.ones(tf.shape(inputs)[:2], tf.bool)
  return _lstm(tf.cast(mask, tf.bool), bool(zero_output_for_mask), inputs, recurrent_kernel,
               hidden, carry)


def _lstm(mask, zero_output_for_mask, *differentiable):

  @tf.custom_gradient
  def loop(inputs, recurrent_kernel, hidden0, carry0):
    steps, dtype = tf.shape(inputs)[0], inputs.dtype

    def step(t, hidden, carry, output, *written):
      valid = tf.expand_dims(mask[t], -1)                                # [B, 1]
      new_hidden, new_carry, gates = _cell(inputs[t] + tf.matmul(hidden, recurrent_kernel),
                                           carry)
      gates = tf.concat(gates, -1)                                     # [B, 4U]
      output = tf.where(valid, new_hidden, tf.zeros_like(output) if zero_output_for_mask
                        else output)
      values = (gates, new_carry, output, hidden, carry)
      return (t + 1, tf.where(valid, new_hidden, hidden), tf.where(valid, new_carry, carry),
              output, *[array.write(t, value) for array, value in zip(written, values)])

    looped = tf.while_loop(lambda t, *_: t < steps, step,
                           (tf.constant(0), hidden0, carry0, tf.zeros_like(hidden0),
                            *[tf.TensorArray(dtype, size=steps) for _ in range(5)]),
                           maximum_iterations=steps)
    hidden, carry = looped[1:3]
    # previous_*: the state each step started from (the last valid step's)
    gates, new_carries, outputs, previous_hiddens, previous_carries = [
        array.stack() for array in looped[4:]]

    def gradient(d_outputs, d_hidden, d_carry):
      d_outputs = tf.zeros_like(outputs) if d_outputs is None else d_outputs
      d_hidden = tf.zeros_like(hidden0) if d_hidden is None else d_hidden
      d_carry = tf.zeros_like(carry0) if d_carry is None else d_carry
      valid = tf.expand_dims(tf.cast(mask, dtype), -1)                    # [T, B, 1]

      def backward(j, d_hidden, d_carry, d_previous_output, *written):
        t = steps - 1 - j
        d_output = d_outputs[t] + d_previous_output
        d_new_hidden = valid[t] * (d_hidden + d_output)
        d_z, d_carry_from_step = _gates_backward(gates[t], new_carries[t], previous_carries[t],
                                                 d_new_hidden, valid[t] * d_carry)
        kept = 1.0 - valid[t]
        d_previous_output = (tf.zeros_like(d_output) if zero_output_for_mask
                             else kept * d_output)
        return (j + 1,
                kept * d_hidden + tf.matmul(d_z, recurrent_kernel, transpose_b=True),
                kept * d_carry + d_carry_from_step, d_previous_output, written[0].write(t, d_z))

      looped = tf.while_loop(lambda j, *_: j < steps, backward,
                             (tf.constant(0), d_hidden, d_carry, tf.zeros_like(hidden0),
                              tf.TensorArray(dtype, size=steps)),
                             maximum_iterations=steps)
      d_hidden0, d_carry0 = looped[1:3]
      d_z = looped[4].stack()
      d_recurrent_kernel = tf.matmul(_over_steps(previous_hiddens), _over_steps(d_z),
                                     transpose_a=True)
      return d_z, d_recurrent_kernel, d_hidden0, d_carry0

    return (outputs, hidden, carry), gradient

  return loop(*differentiable)
