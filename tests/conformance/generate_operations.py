"""Writes tests/fixtures/keras3/operations_*.keras and tests/fixtures/keras_h5/operations_tf_keras.h5, each
with an .npz: functional models that apply operations to symbolic tensors between their layers, as real
models do (Keras 3: keras.ops.* and the tensor operators, written as op entries of keras.src.ops.*; tf-keras
2: tf.* functions and operators, written as TFOpLambda / SlicingOpLambda layers). Each .npz holds inputs,
the model's predictions, a batch of targets and the predictions after one SGD(0.1) step on the mean
squared error. tests/keras_io/operations_test.cc checks that cairn loads each file, predicts the same
within 1e-5 and trains the same step.

    .oracle-venv/bin/python tests/conformance/generate_operations.py

With --check FILE.keras NPZ, Keras 3 loads a .keras file (cairn's) and compares its predictions with the
npz's "predictions" instead.
"""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from generate_layers import write_npz  # noqa: E402  (fixed zip timestamps: the same arrays give the same bytes)

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"


def randomize(model, rng):
    for variable in model.weights:
        variable.assign(rng.uniform(-0.6, 0.6, tuple(variable.shape)).astype(np.float32))


def record(model, path, inputs, rng, optimizer, compile_model):
    """Saves the model, then writes its predictions and those after one training step."""
    model.save(path)
    predictions = model.predict(inputs, verbose=0)
    targets = rng.uniform(-1, 1, predictions.shape).astype(np.float32)
    compile_model(model, optimizer)
    model.train_on_batch(inputs, targets)
    arrays = dict(inputs) if isinstance(inputs, dict) else {"x": inputs}
    arrays.update(predictions=predictions, targets=targets, trained_predictions=model.predict(inputs, verbose=0))
    write_npz(path.with_suffix(".npz"), arrays)


def keras3_models():
    import keras
    from keras import ops

    L = keras.layers
    rng = np.random.default_rng(11)
    out = FIXTURES / "keras3"
    out.mkdir(parents=True, exist_ok=True)

    def compile_model(model, _):
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")

    # Elementwise arithmetic with constants and tensors, shapes, reductions, slicing, concatenation.
    keras.utils.set_random_seed(11)
    x_in = keras.Input((6,), name="x")
    h = L.Dense(8, name="dense")(x_in)
    t = ops.tanh(h) * 2.0 + h
    t = 1.0 - t
    t = ops.maximum(t, -0.5) + ops.minimum(t, 0.25)
    r = ops.reshape(t, (-1, 2, 4))
    r = ops.transpose(r, (0, 2, 1))
    m = ops.mean(r, axis=-1)
    s = ops.squeeze(ops.sum(r, axis=1, keepdims=True), axis=1)
    g = r[:, 1:3, 0]
    e = ops.expand_dims(m, 1)[:, 0, ::1]
    c = ops.concatenate([m, s, g, e], axis=-1)
    c = ops.sqrt(ops.square(c) + 1.0)
    c = ops.exp(-c) / 3.0
    c = ops.log(c + 2.0) - ops.abs(c)
    y = L.Dense(3, name="scores")(c)
    y = ops.softmax(y)
    model = keras.Model(x_in, y, name="operations_arithmetic")
    randomize(model, rng)
    x = rng.uniform(-1, 1, (4, 6)).astype(np.float32)
    record(model, out / "operations_arithmetic.keras", x, rng, None, compile_model)

    # Attention by hand (matmul, softmax over an axis), activations, reductions, stack, power, cast.
    keras.utils.set_random_seed(12)
    seq_in = keras.Input((5, 4), name="seq")
    ids_in = keras.Input((3,), dtype="int32", name="ids")
    q = L.Dense(4, name="query")(seq_in)
    k = L.Dense(4, name="key")(seq_in)
    scores = ops.matmul(q, ops.transpose(k, (0, 2, 1))) / 2.0
    weights = ops.softmax(scores, axis=-1)
    context = ops.matmul(weights, seq_in)
    a = ops.relu(context) + ops.sigmoid(context) + ops.gelu(context) + ops.silu(context) * 0.5
    a = ops.leaky_relu(a - 1.0) + ops.elu(a - 1.5)
    top = ops.max(a, axis=1)
    low = ops.min(a, axis=1)
    both = ops.stack([top, low], axis=1)
    both = ops.abs(both - 0.5) ** 2
    flat = ops.reshape(both, (-1, 8))
    flat = ops.clip(flat, -1.0, 0.8)
    ids = ops.cast(ids_in, "float32") * 0.1
    merged = ops.concatenate([flat, ids], axis=1)
    y = L.Dense(2, name="scores")(merged)
    y = ops.log_softmax(y, axis=-1) + ops.relu6(y) + ops.softplus(y)
    model = keras.Model([seq_in, ids_in], y, name="operations_attention")
    randomize(model, rng)
    inputs = {"seq": rng.uniform(-1, 1, (3, 5, 4)).astype(np.float32),
              "ids": rng.integers(0, 9, (3, 3)).astype(np.int32)}
    record(model, out / "operations_attention.keras", inputs, rng, None, compile_model)


def tf_keras_models():
    import tensorflow as tf
    import tf_keras

    L = tf_keras.layers
    rng = np.random.default_rng(13)
    out = FIXTURES / "keras_h5"
    out.mkdir(parents=True, exist_ok=True)

    def compile_model(model, _):
        model.compile(optimizer=tf_keras.optimizers.SGD(0.1), loss="mse")

    tf_keras.utils.set_random_seed(13)
    x_in = tf_keras.Input((6,), name="x")
    h = L.Dense(8, name="dense")(x_in)
    t = tf.math.tanh(h) * 2.0 + h
    t = 1.0 - t
    t = tf.nn.relu(t) + tf.math.sigmoid(t) - tf.maximum(t, 0.3) / 4.0
    r = tf.reshape(t, [-1, 2, 4])
    r = tf.transpose(r, perm=[0, 2, 1])
    m = tf.reduce_mean(r, axis=-1)
    s = tf.squeeze(tf.reduce_sum(r, axis=1, keepdims=True), axis=1)
    g = r[:, 1:3, 0]
    top = tf.reduce_max(r, axis=[1, 2])[:, None]
    e = tf.expand_dims(m, 1)[:, 0, :]
    c = tf.concat([m, s, g, top, e], axis=-1)
    c = tf.math.sqrt(tf.math.square(c) + 1.0)
    c = tf.nn.softmax(c)
    c = tf.math.l2_normalize(c, axis=1) + c
    stacked = tf.stack([c, c * 0.5], axis=1)
    gram = tf.matmul(stacked, tf.transpose(stacked, perm=[0, 2, 1]))
    flat = tf.reshape(gram, [-1, 4])
    flat = tf.tile(flat, [1, 2]) * 0.5 + tf.math.reduce_std(flat, axis=1, keepdims=True)
    flat = tf.concat([flat, tf.cast(x_in, tf.float32)[:, -2:] * 0.5], axis=1)
    y = L.Dense(3, name="scores")(flat)
    y = tf.nn.gelu(y) + tf.math.exp(-tf.abs(y))
    model = tf_keras.Model(x_in, y, name="operations_tf_keras")
    randomize(model, rng)
    x = rng.uniform(-1, 1, (4, 6)).astype(np.float32)
    record(model, out / "operations_tf_keras.h5", x, rng, None, compile_model)


def check(path, npz):
    import keras

    model = keras.models.load_model(path)
    arrays = np.load(npz)
    names = [name for name in arrays.files if name not in ("predictions", "targets", "trained_predictions")]
    inputs = arrays[names[0]] if len(names) == 1 else {name: arrays[name] for name in names}
    got = model.predict(inputs, verbose=0)
    error = float(np.max(np.abs(got - arrays["predictions"])))
    print(f"{path}: Keras 3 loads it; largest difference from the predictions {error:.2e}")
    return 0 if error < 1e-5 else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    keras3_models()
    tf_keras_models()
