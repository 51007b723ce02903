"""Writes tests/conformance/layers/: for each case, one Keras 3 layer, its config as Keras serializes it,
inputs and weights, and what Keras computes: the forward pass in inference and in training, the
gradients of a fixed objective, and the weights after one SGD step. The layer contract test
(tests/layer_contract/) reads them without Python and checks every registered layer class against them.

Run in the oracle environment (scripts/setup --oracle):

    .oracle-venv/bin/python tests/conformance/generate_layers.py [--only SUBSTRING | --cases NAME...]

Adding a layer to cairn adds its cases to CASES below (the contract test fails for a registered class that
has none). Runs are deterministic: fixed seeds, one TensorFlow thread, TensorFlow's deterministic ops,
oneDNN's reordered float math off, npz files with fixed zip timestamps.

Each case's arrays (<case>.npz):
  x0, x1...      the inputs; float inputs are distinct values at least 2/n apart (n: all the inputs'
                 elements), away from 0, so that a numerical gradient's small steps never cross a kink of
                 the layer or a tie between inputs (activations inside layers are smooth for that reason)
  w0, w1...      the layer's weights before the step, in `layer.weights` order
  y_infer        layer(x, training=False)
  r              fixed weights of the objective: loss = sum(layer(x, training=True) * r)
  y_train        layer(x, training=True) (not for layers that draw random numbers in training)
  gx0..., gw0... d loss / d input and d loss / d trainable weight (in `layer.trainable_weights` order)
  after0...      every weight after the training call and one SGD(learning_rate=0.1) step
"""

import argparse
import io
import json
import os
import pathlib
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import tensorflow as tf
import keras
from keras.src.applications.convnext import LayerScale

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
tf.get_logger().setLevel("ERROR")

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "layers"
L = keras.layers

# (case name, layer factory, input shapes with the batch axis, options). Options: "ints": the inputs are
# integer ids below this bound; "random": the layer draws random numbers in training (its training
# output and gradients are not compared); "training_differs": training and inference differ;
# "positional": Keras takes the inputs as positional arguments (query, value, key), cairn as a list.
CASES = [
    ("dense", lambda: L.Dense(3, activation="tanh"), [(2, 4)], {}),
    ("dense_3d_no_bias", lambda: L.Dense(2, use_bias=False), [(2, 3, 4)], {}),
    ("dropout", lambda: L.Dropout(0.5, seed=1), [(2, 6)], {"random": True, "training_differs": True}),
    ("flatten", lambda: L.Flatten(), [(2, 2, 3, 2)], {}),
    ("activation_sigmoid", lambda: L.Activation("sigmoid"), [(2, 5)], {}),
    ("conv2d_same", lambda: L.Conv2D(3, 2, padding="same", activation="tanh"), [(2, 4, 4, 2)], {}),
    ("conv2d_valid_strided", lambda: L.Conv2D(2, (3, 2), strides=(2, 1)), [(2, 5, 4, 2)], {}),
    ("conv1d", lambda: L.Conv1D(3, 2, activation="tanh"), [(2, 5, 2)], {}),
    ("conv1d_same_strided", lambda: L.Conv1D(2, 3, strides=2, padding="same"), [(2, 5, 3)], {}),
    # The convolution variants: dilation, groups and causal padding; transposed, depthwise and separable.
    ("conv2d_dilated_same", lambda: L.Conv2D(3, 3, padding="same", dilation_rate=2, activation="tanh"),
     [(2, 6, 6, 2)], {}),
    ("conv2d_dilated_valid", lambda: L.Conv2D(2, (2, 3), dilation_rate=(2, 1)), [(2, 5, 5, 3)], {}),
    ("conv2d_grouped_same", lambda: L.Conv2D(4, 3, groups=2, padding="same"), [(2, 4, 4, 4)], {}),
    ("conv2d_grouped_strided", lambda: L.Conv2D(6, 2, strides=2, groups=3), [(2, 5, 5, 3)], {}),
    ("conv1d_dilated_causal", lambda: L.Conv1D(2, 3, padding="causal", dilation_rate=2), [(2, 7, 2)], {}),
    ("conv1d_causal_strided", lambda: L.Conv1D(3, 3, strides=2, padding="causal", activation="tanh"),
     [(2, 7, 2)], {}),
    ("conv1d_grouped_dilated", lambda: L.Conv1D(4, 2, groups=2, dilation_rate=2, padding="same"), [(2, 6, 4)], {}),
    ("conv2d_transpose", lambda: L.Conv2DTranspose(3, 3), [(2, 3, 3, 2)], {}),
    ("conv2d_transpose_same_strided", lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same", activation="tanh"),
     [(2, 3, 3, 2)], {}),
    ("conv2d_transpose_valid_output_padding",
     lambda: L.Conv2DTranspose(2, (3, 2), strides=(2, 3), output_padding=(1, 2)), [(2, 3, 2, 2)], {}),
    ("conv2d_transpose_same_output_padding", lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same",
                                                                       output_padding=1), [(1, 3, 3, 2)], {}),
    ("conv2d_transpose_no_bias", lambda: L.Conv2DTranspose(2, 2, padding="same", use_bias=False), [(2, 3, 3, 2)], {}),
    ("conv2d_transpose_stride_above_kernel", lambda: L.Conv2DTranspose(2, 2, strides=3), [(2, 2, 2, 1)], {}),
    ("depthwise_conv2d", lambda: L.DepthwiseConv2D(3), [(2, 4, 4, 2)], {}),
    ("depthwise_conv2d_multiplier_same_strided",
     lambda: L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, activation="tanh"),
     [(2, 5, 5, 3)], {}),
    ("depthwise_conv2d_dilated", lambda: L.DepthwiseConv2D((2, 3), dilation_rate=(2, 1), depth_multiplier=3,
                                                           use_bias=False), [(1, 5, 5, 2)], {}),
    ("depthwise_conv2d_strided_dilated", lambda: L.DepthwiseConv2D(2, strides=2, dilation_rate=2, padding="same"),
     [(2, 6, 5, 2)], {}),
    ("separable_conv2d", lambda: L.SeparableConv2D(3, 2), [(2, 4, 4, 2)], {}),
    ("separable_conv2d_multiplier_same_strided",
     lambda: L.SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2, activation="tanh"),
     [(2, 5, 5, 2)], {}),
    ("separable_conv2d_dilated", lambda: L.SeparableConv2D(2, 2, dilation_rate=2, use_bias=False), [(2, 5, 5, 3)],
     {}),
    ("max_pooling1d", lambda: L.MaxPooling1D(2), [(2, 5, 3)], {}),
    ("max_pooling1d_same", lambda: L.MaxPooling1D(3, strides=2, padding="same"), [(2, 5, 2)], {}),
    ("max_pooling2d", lambda: L.MaxPooling2D(2), [(2, 4, 4, 2)], {}),
    ("max_pooling2d_same", lambda: L.MaxPooling2D(2, strides=1, padding="same"), [(2, 3, 3, 2)], {}),
    ("average_pooling1d", lambda: L.AveragePooling1D(2), [(2, 5, 3)], {}),
    ("average_pooling1d_same", lambda: L.AveragePooling1D(3, strides=2, padding="same"), [(2, 5, 2)], {}),
    ("average_pooling2d", lambda: L.AveragePooling2D(2), [(2, 4, 4, 2)], {}),
    ("average_pooling2d_same", lambda: L.AveragePooling2D(2, strides=1, padding="same"), [(2, 3, 3, 2)], {}),
    ("zero_padding1d", lambda: L.ZeroPadding1D((1, 2)), [(2, 3, 2)], {}),
    ("zero_padding2d", lambda: L.ZeroPadding2D(((1, 0), (2, 1))), [(2, 2, 3, 2)], {}),
    ("cropping1d", lambda: L.Cropping1D((1, 2)), [(2, 5, 2)], {}),
    ("cropping2d", lambda: L.Cropping2D(((1, 0), (0, 1))), [(2, 3, 4, 2)], {}),
    ("up_sampling1d", lambda: L.UpSampling1D(3), [(2, 2, 3)], {}),
    ("up_sampling2d", lambda: L.UpSampling2D((2, 3)), [(2, 2, 2, 2)], {}),
    ("gaussian_noise", lambda: L.GaussianNoise(0.5, seed=3), [(2, 6)], {"random": True, "training_differs": True}),
    ("gaussian_dropout", lambda: L.GaussianDropout(0.3, seed=3), [(2, 6)],
     {"random": True, "training_differs": True}),
    ("spatial_dropout1d", lambda: L.SpatialDropout1D(0.5, seed=3), [(2, 3, 4)],
     {"random": True, "training_differs": True}),
    ("spatial_dropout2d", lambda: L.SpatialDropout2D(0.5, seed=3), [(2, 2, 2, 3)],
     {"random": True, "training_differs": True}),
    ("rescaling", lambda: L.Rescaling(0.5, offset=-0.25), [(2, 4)], {}),
    ("embedding", lambda: L.Embedding(7, 3), [(2, 4)], {"ints": 7}),
    ("lstm", lambda: L.LSTM(3), [(2, 4, 2)], {}),
    ("lstm_sequences", lambda: L.LSTM(2, return_sequences=True), [(2, 3, 2)], {}),
    ("gru", lambda: L.GRU(3), [(2, 4, 2)], {}),
    ("gru_reset_before_sequences", lambda: L.GRU(2, reset_after=False, return_sequences=True), [(2, 3, 2)], {}),
    ("gru_backwards_relu", lambda: L.GRU(2, activation="relu", go_backwards=True, return_sequences=True),
     [(2, 3, 2)], {}),
    ("simple_rnn", lambda: L.SimpleRNN(3), [(2, 4, 2)], {}),
    ("simple_rnn_sequences_backwards", lambda: L.SimpleRNN(2, return_sequences=True, go_backwards=True),
     [(2, 3, 3)], {}),
    # Masks, go_backwards, activations and dropout of the recurrent layers; Bidirectional's merge modes.
    ("masking", lambda: L.Masking(), [(2, 3, 2)], {}),
    ("embedding_mask_zero", lambda: L.Embedding(6, 3, mask_zero=True), [(2, 4)], {"ints": 6}),
    ("rnn_backwards_lstm_softsign", lambda: L.LSTM(2, activation="softsign", go_backwards=True, return_sequences=True),
     [(2, 3, 2)], {}),
    ("rnn_backwards_lstm_last", lambda: L.LSTM(3, go_backwards=True), [(2, 4, 2)], {}),
    ("rnn_dropout_lstm", lambda: L.LSTM(3, dropout=0.3, recurrent_dropout=0.2, seed=2), [(2, 4, 2)],
     {"random": True, "training_differs": True}),
    ("rnn_dropout_gru", lambda: L.GRU(2, dropout=0.4, seed=2, return_sequences=True), [(2, 3, 2)],
     {"random": True, "training_differs": True}),
    ("rnn_dropout_simple_rnn", lambda: L.SimpleRNN(2, recurrent_dropout=0.5, seed=2), [(2, 3, 2)],
     {"random": True, "training_differs": True}),
    ("bidirectional_lstm_concat", lambda: L.Bidirectional(L.LSTM(2)), [(2, 4, 3)], {}),
    ("bidirectional_lstm_ave_sequences", lambda: L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="ave"),
     [(2, 3, 2)], {}),
    ("bidirectional_gru_sum_sequences", lambda: L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="sum"),
     [(2, 3, 2)], {}),
    ("bidirectional_simple_rnn_mul", lambda: L.Bidirectional(L.SimpleRNN(3), merge_mode="mul"), [(2, 3, 2)], {}),
    ("bidirectional_gru_explicit_backward",
     lambda: L.Bidirectional(L.GRU(2, return_sequences=True),
                             backward_layer=L.GRU(2, reset_after=False, go_backwards=True, return_sequences=True)),
     [(2, 3, 2)], {}),
    ("time_distributed_dense", lambda: L.TimeDistributed(L.Dense(3, activation="tanh")), [(2, 3, 4)], {}),
    ("time_distributed_conv2d", lambda: L.TimeDistributed(L.Conv2D(2, 2, padding="same")), [(2, 3, 3, 3, 2)], {}),
    ("time_distributed_dropout", lambda: L.TimeDistributed(L.Dropout(0.5, seed=3)), [(2, 3, 4)],
     {"random": True, "training_differs": True}),
    ("multi_head_attention", lambda: L.MultiHeadAttention(2, 3), [(2, 3, 4), (2, 2, 4)], {"positional": True}),
    ("multi_head_attention_key_value_dim", lambda: L.MultiHeadAttention(2, 2, value_dim=3, use_bias=False),
     [(2, 3, 4), (2, 4, 3), (2, 4, 5)], {"positional": True}),
    ("concatenate", lambda: L.Concatenate(axis=-1), [(2, 3), (2, 2)], {}),
    ("add", lambda: L.Add(), [(2, 3), (2, 3)], {}),
    ("multiply", lambda: L.Multiply(), [(2, 3), (2, 3), (2, 3)], {}),
    ("subtract", lambda: L.Subtract(), [(2, 4), (2, 4)], {}),
    ("average", lambda: L.Average(), [(2, 3), (2, 3)], {}),
    ("maximum", lambda: L.Maximum(), [(2, 3), (2, 3)], {}),
    ("minimum", lambda: L.Minimum(), [(2, 3), (2, 3)], {}),
    ("batch_normalization", lambda: L.BatchNormalization(), [(4, 3)], {"training_differs": True}),
    ("batch_normalization_image", lambda: L.BatchNormalization(momentum=0.9, epsilon=0.01), [(2, 2, 2, 3)],
     {"training_differs": True}),
    ("batch_normalization_no_scale", lambda: L.BatchNormalization(center=False, scale=False), [(3, 2)],
     {"training_differs": True}),
    ("layer_normalization", lambda: L.LayerNormalization(), [(2, 5)], {}),
    ("layer_normalization_3d", lambda: L.LayerNormalization(epsilon=1e-5, center=False), [(2, 3, 4)], {}),
    ("global_average_pooling1d", lambda: L.GlobalAveragePooling1D(), [(2, 3, 4)], {}),
    ("global_average_pooling2d", lambda: L.GlobalAveragePooling2D(keepdims=True), [(2, 3, 2, 2)], {}),
    ("global_max_pooling1d", lambda: L.GlobalMaxPooling1D(keepdims=True), [(2, 3, 4)], {}),
    ("global_max_pooling2d", lambda: L.GlobalMaxPooling2D(), [(2, 3, 2, 2)], {}),
    ("reshape", lambda: L.Reshape((3, -1)), [(2, 6, 2)], {}),
    ("permute", lambda: L.Permute((3, 1, 2)), [(2, 2, 3, 4)], {}),
    ("repeat_vector", lambda: L.RepeatVector(3), [(2, 4)], {}),
    ("relu", lambda: L.ReLU(), [(2, 6)], {}),
    ("relu_capped_leaky", lambda: L.ReLU(max_value=0.5, negative_slope=0.1), [(2, 6)], {}),
    ("leaky_relu", lambda: L.LeakyReLU(), [(2, 6)], {}),
    ("elu", lambda: L.ELU(alpha=0.7), [(2, 6)], {}),
    ("softmax", lambda: L.Softmax(), [(2, 5)], {}),
    ("softmax_axis1", lambda: L.Softmax(axis=1), [(2, 3, 4)], {}),
    ("prelu", lambda: L.PReLU(), [(2, 3, 2)], {}),
    ("prelu_shared", lambda: L.PReLU(shared_axes=[1]), [(2, 3, 2)], {}),
    ("dot", lambda: L.Dot(axes=1), [(2, 4), (2, 4)], {}),
    ("dot_normalize_3d", lambda: L.Dot(axes=(1, 2), normalize=True), [(2, 3, 4), (2, 2, 3)], {}),
    ("dot_2d_3d", lambda: L.Dot(axes=-1), [(2, 3), (2, 4, 3)], {}),
    ("normalization_adapted", lambda: L.Normalization(), [(3, 4)], {}),
    ("normalization_adapted_axes", lambda: L.Normalization(axis=(1, 2)), [(2, 3, 2)], {}),
    ("normalization_given", lambda: L.Normalization(mean=[0.5, -1.0, 2.0], variance=[4.0, 0.25, 1.0]), [(2, 3)], {}),
    ("normalization_scalar_inverted", lambda: L.Normalization(axis=None, mean=0.25, variance=2.0, invert=True),
     [(2, 3, 2)], {}),
    # Attention layers called on [query, value] or [query, value, key].
    ("attention", lambda: L.Attention(), [(2, 3, 4), (2, 2, 4)], {}),
    ("attention_scaled_key", lambda: L.Attention(use_scale=True), [(2, 3, 4), (2, 2, 3), (2, 2, 4)], {}),
    ("attention_concat_scaled", lambda: L.Attention(score_mode="concat", use_scale=True), [(2, 3, 3), (2, 4, 3)], {}),
    ("attention_concat_key", lambda: L.Attention(score_mode="concat"), [(1, 2, 3), (1, 3, 2), (1, 3, 3)], {}),
    ("attention_dropout", lambda: L.Attention(dropout=0.5, seed=1), [(2, 3, 4), (2, 2, 4)],
     {"random": True, "training_differs": True}),
    ("additive_attention", lambda: L.AdditiveAttention(), [(2, 3, 4), (2, 2, 4)], {}),
    ("additive_attention_no_scale_key", lambda: L.AdditiveAttention(use_scale=False), [(2, 2, 3), (2, 3, 2), (2, 3, 3)],
     {}),
    # Normalizations without batch statistics; Identity.
    ("group_normalization", lambda: L.GroupNormalization(groups=2), [(2, 3, 4)], {}),
    ("group_normalization_image", lambda: L.GroupNormalization(groups=3, epsilon=0.01, center=False), [(2, 2, 2, 6)],
     {}),
    ("group_normalization_instance_axis1", lambda: L.GroupNormalization(groups=-1, axis=1, scale=False), [(2, 3, 4)],
     {}),
    ("unit_normalization", lambda: L.UnitNormalization(), [(2, 5)], {}),
    ("unit_normalization_axes", lambda: L.UnitNormalization(axis=[1, 2]), [(2, 3, 2)], {}),
    ("rms_normalization", lambda: L.RMSNormalization(), [(2, 3, 4)], {}),
    ("rms_normalization_axes", lambda: L.RMSNormalization(axis=[-2, -1], epsilon=1e-3), [(2, 3, 4)], {}),
    ("identity", lambda: L.Identity(), [(2, 3)], {}),
    # The 1-D forms of the transposed, depthwise and separable convolutions.
    ("conv1d_transpose", lambda: L.Conv1DTranspose(3, 3), [(2, 4, 2)], {}),
    ("conv1d_transpose_same_strided", lambda: L.Conv1DTranspose(2, 3, strides=2, padding="same", activation="tanh"),
     [(2, 3, 2)], {}),
    ("conv1d_transpose_output_padding", lambda: L.Conv1DTranspose(2, 2, strides=3, output_padding=1, use_bias=False),
     [(2, 3, 2)], {}),
    ("depthwise_conv1d", lambda: L.DepthwiseConv1D(3), [(2, 5, 2)], {}),
    ("depthwise_conv1d_multiplier_same_strided",
     lambda: L.DepthwiseConv1D(3, strides=2, padding="same", depth_multiplier=2, activation="tanh"), [(2, 5, 3)], {}),
    ("depthwise_conv1d_dilated", lambda: L.DepthwiseConv1D(2, dilation_rate=2, use_bias=False), [(2, 5, 2)], {}),
    ("separable_conv1d", lambda: L.SeparableConv1D(3, 2), [(2, 4, 2)], {}),
    ("separable_conv1d_multiplier_same_strided",
     lambda: L.SeparableConv1D(4, 3, strides=2, padding="same", depth_multiplier=2, activation="tanh"), [(2, 5, 2)],
     {}),
    ("separable_conv1d_dilated", lambda: L.SeparableConv1D(2, 2, dilation_rate=2, use_bias=False), [(2, 5, 3)], {}),
    ("alpha_dropout", lambda: L.AlphaDropout(0.3, seed=3), [(2, 6)], {"random": True, "training_differs": True}),
    # Not in keras.layers, but in every ConvNeXt file (keras.applications.convnext).
    ("layer_scale", lambda: LayerScale(0.5, 4), [(2, 3, 4)], {}),
]


def write_npz(path, arrays):
    """numpy.savez with fixed zip timestamps, so that the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(value, order="C"), allow_pickle=False)  # keeps 0-d
            archive.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())


def spaced_values(shape, rng):
    """Distinct values (k + 0.5) / n * 2 - 1 in a random order: never 0, never closer than 2 / n."""
    n = int(np.prod(shape))
    values = (np.arange(n, dtype=np.float64) + 0.5) / n * 2 - 1
    return rng.permutation(values).reshape(shape).astype(np.float32)


def weight_values(variable, rng):
    """Values that make every weight matter: positive scales and variances, the rest around 0."""
    name = variable.path.split("/")[-1]
    shape = tuple(variable.shape)
    if "int" in variable.dtype:  # counters (Normalization's count, which Keras 3 leaves at 0)
        return np.zeros(shape, variable.dtype)
    if name in ("gamma", "moving_variance", "variance"):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return rng.uniform(-0.5, 0.5, shape).astype(np.float32)


def make_case(name, factory, shapes, options):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(sum(map(ord, name)))  # a seed per case, the same every run
    if "ints" in options:
        xs = [rng.integers(0, options["ints"], size=s).astype(np.int32) for s in shapes]
    else:  # spaced across all the inputs, so that merges (Maximum) never see a tie either
        joint = spaced_values((sum(int(np.prod(s)) for s in shapes),), rng)
        ends = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
        xs = [joint[a:b].reshape(s) for a, b, s in zip(ends[:-1], ends[1:], shapes)]
    layer = factory()

    def invoke(inputs, training=None):
        if options.get("positional"):
            return layer(*inputs, training=training)
        return layer(inputs if len(inputs) > 1 else inputs[0], training=training)

    invoke(xs)  # builds
    for variable in layer.weights:
        variable.assign(weight_values(variable, rng))
    if hasattr(layer, "finalize_state"):  # Normalization computes with copies of its statistics
        layer.finalize_state()
    arrays = {f"x{i}": x for i, x in enumerate(xs)}
    arrays.update({f"w{i}": v.numpy() for i, v in enumerate(layer.weights)})
    arrays["y_infer"] = np.asarray(invoke(xs, training=False))

    tensors = [tf.constant(x) for x in xs]
    float_inputs = "ints" not in options
    y_probe = invoke(tensors, training=False)
    r = rng.uniform(0.5, 1.5, tuple(y_probe.shape)).astype(np.float32)
    arrays["r"] = r
    with tf.GradientTape(persistent=True) as tape:
        if float_inputs:
            for t in tensors:
                tape.watch(t)
        y = invoke(tensors, training=True)
        loss = tf.reduce_sum(y * r)
    if not options.get("random"):
        arrays["y_train"] = y.numpy()
        if float_inputs:
            for i, g in enumerate(tape.gradient(loss, tensors)):
                arrays[f"gx{i}"] = g.numpy()
    grads = tape.gradient(loss, layer.trainable_weights)
    for i, g in enumerate(grads):
        if not options.get("random"):
            arrays[f"gw{i}"] = tf.convert_to_tensor(g).numpy()
    if layer.trainable_weights and not options.get("random"):
        keras.optimizers.SGD(learning_rate=0.1).apply_gradients(zip(grads, layer.trainable_weights))
    if not options.get("random"):
        arrays.update({f"after{i}": v.numpy() for i, v in enumerate(layer.weights)})
    write_npz(OUT / f"{name}.npz", arrays)
    return {
        "name": name,
        "class_name": layer.__class__.__name__,
        "config": keras.saving.serialize_keras_object(layer),
        "inputs": len(xs),
        "int_inputs": not float_inputs,
        "random_in_training": bool(options.get("random")),
        "training_differs": bool(options.get("training_differs")),
        "weights": [v.path.split("/")[-1] for v in layer.weights],
        "weight_paths": [v.path for v in layer.weights],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="remake only the cases whose name contains this")
    parser.add_argument("--cases", nargs="+", default=[], help="remake only the cases of these exact names")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    index_path = OUT / "index.json"

    def chosen(name):
        return name in args.cases if args.cases else args.only in name

    partial = bool(args.only or args.cases)
    index = json.loads(index_path.read_text()) if partial and index_path.exists() else {"cases": []}
    kept = [c for c in index["cases"] if not chosen(c["name"])] if partial else []
    made = [make_case(*case) for case in CASES if chosen(case[0])]
    order = {case[0]: i for i, case in enumerate(CASES)}
    cases = sorted(kept + made, key=lambda c: order.get(c["name"], len(order)))
    index = {
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "tolerance": {"forward": 1e-5, "train_step": 1e-5,
                      "scale": "an error is max|got - want| / max(1, max|want|), per array"},
        "cases": cases,
    }
    index_path.write_text(json.dumps(index, indent=1) + "\n")
    print(f"{len(made)} cases written to {OUT}")


if __name__ == "__main__":
    main()
