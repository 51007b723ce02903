"""Writes tests/fixtures/keras3/masks_layers.npz, masks_fit.npz and masks_compile_config.json: what Keras 3
computes where masks and sample weights matter, for tests/training/masks_fit_test.cc.

masks_layers.npz, per case "<case>.<array>":
  * merge_<kind>: two token inputs, each through Embedding(mask_zero) (the second without mask_zero in the
    *_unmasked kinds), merged (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate along the
    features or along the steps) and read by an LSTM, which skips the masked steps: the tokens, the
    weights w0, w1... (in model.weights order), the merge's output mask (compute_mask) and the predictions.
  * mha: MultiHeadAttention of a query and a value with their own Embedding(mask_zero) masks, then
    GlobalAveragePooling1D over the query's mask; self_mha the same with one input.
  * time_distributed: Embedding(mask_zero) on (batch, steps, words) ids, TimeDistributed(LSTM) (each step's
    mask reaches the LSTM), Flatten, Dense. max_pooling: GlobalMaxPooling1D, which ignores the mask.
  * softmax: Softmax with a mask of the input's shape, and the gradient of sum(y * r) for x.
  * batch_norm: BatchNormalization(momentum 0.9) in training with a (batch, steps) mask: the output, the
    gradient of sum(y * r) for x, gamma and beta, and the moving statistics after the step.
masks_fit.npz:
  * seq: sequence labelling, Embedding(mask_zero) -> BatchNormalization -> LSTM(return_sequences) ->
    TimeDistributed(Dense(softmax)), compiled with SGD(0.5), sparse categorical crossentropy, metrics
    ["accuracy"] and weighted_metrics ["accuracy"]: two train_on_batch steps with sample weights (their logs
    and the weights after each), then evaluate with sample weights.
  * binary: Dense(1, sigmoid) with weighted_metrics accuracy, AUC, Precision, Recall, mse and
    RootMeanSquaredError: evaluate with sample weights, then one epoch of fit with class_weight.
  * multi: Dense(3, softmax) with weighted_metrics accuracy, sparse_categorical_crossentropy and MeanIoU:
    evaluate with sample weights.
  * freq: which of 5 epochs validate with validation_freq=[1, 3, 4].
masks_compile_config.json: the binary model's compile config, as Keras 3 writes it in .keras files.

    .oracle-venv/bin/python tests/conformance/generate_masks_fit.py
"""

import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import keras
import tensorflow as tf
from keras import ops

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from generate_layers import write_npz  # noqa: E402  (fixed zip timestamps: the same arrays give the same bytes)

OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "keras3"
L = keras.layers

# Padding at the end, at the start, in the middle, everywhere; the second input's padding elsewhere.
TOKENS_A = np.array([[3, 5, 7, 0, 0],
                     [0, 2, 9, 4, 1],
                     [1, 0, 6, 0, 8],
                     [0, 0, 0, 0, 0]], dtype=np.int32)
TOKENS_B = np.array([[2, 2, 0, 0, 0],
                     [4, 0, 0, 3, 1],
                     [1, 5, 6, 7, 8],
                     [0, 0, 3, 0, 0]], dtype=np.int32)


def assign_weights(model, rng, arrays, prefix):
    for i, variable in enumerate(model.weights):
        # A variance must stay positive (BatchNormalization's moving_variance).
        low, high = (0.5, 1.5) if "variance" in variable.name else (-0.6, 0.6)
        value = rng.uniform(low, high, tuple(variable.shape)).astype(np.float32)
        variable.assign(value)
        arrays[f"{prefix}.w{i}"] = value


def merges(rng, arrays):
    kinds = {
        "add": lambda: L.Add(),
        "subtract": lambda: L.Subtract(),
        "multiply": lambda: L.Multiply(),
        "average": lambda: L.Average(),
        "maximum": lambda: L.Maximum(),
        "minimum": lambda: L.Minimum(),
        "concatenate_features": lambda: L.Concatenate(axis=-1),
        "concatenate_steps": lambda: L.Concatenate(axis=1),
        "add_unmasked": lambda: L.Add(),
        "concatenate_unmasked": lambda: L.Concatenate(axis=-1),
    }
    for kind, make in kinds.items():
        a_in = keras.Input((5,), dtype="int32", name="a")
        b_in = keras.Input((5,), dtype="int32", name="b")
        embed_a = L.Embedding(10, 3, mask_zero=True, name="embed_a")
        embed_b = L.Embedding(10, 3, mask_zero=not kind.endswith("_unmasked"), name="embed_b")
        merge = make()
        out = L.LSTM(2, name="reader")(merge([embed_a(a_in), embed_b(b_in)]))
        model = keras.Model([a_in, b_in], out)
        prefix = "merge_" + kind
        assign_weights(model, rng, arrays, prefix)
        a, b = embed_a(TOKENS_A), embed_b(TOKENS_B)
        masks = [embed_a.compute_mask(TOKENS_A), embed_b.compute_mask(TOKENS_B)]
        mask = merge.compute_mask([a, b], masks)
        arrays[prefix + ".has_mask"] = np.array(mask is not None)
        if mask is not None:
            arrays[prefix + ".mask"] = ops.convert_to_numpy(mask).astype(np.float32)
        arrays[prefix + ".predictions"] = model.predict([TOKENS_A, TOKENS_B], verbose=0)


def attention(rng, arrays):
    q_in = keras.Input((5,), dtype="int32", name="query_tokens")
    v_in = keras.Input((5,), dtype="int32", name="value_tokens")
    query = L.Embedding(10, 4, mask_zero=True, name="embed_query")(q_in)
    value = L.Embedding(10, 4, mask_zero=True, name="embed_value")(v_in)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=3, name="attention")(query, value)
    model = keras.Model([q_in, v_in], L.GlobalAveragePooling1D(name="average")(attended))
    assign_weights(model, rng, arrays, "mha")
    tokens_q = TOKENS_A.copy()
    tokens_q[3, 1] = 4  # GlobalAveragePooling1D of a query without steps would be NaN
    tokens_v = TOKENS_B.copy()
    tokens_v[0] = 0  # nothing to attend to: Keras's masked softmax gives no weights at all
    arrays["mha.query"] = tokens_q
    arrays["mha.value"] = tokens_v
    arrays["mha.predictions"] = model.predict([tokens_q, tokens_v], verbose=0)

    x_in = keras.Input((5,), dtype="int32", name="tokens")
    x = L.Embedding(10, 4, mask_zero=True, name="embed")(x_in)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=3, name="attention")(x, x)
    model = keras.Model(x_in, L.GlobalAveragePooling1D(name="average")(attended))
    assign_weights(model, rng, arrays, "self_mha")
    arrays["self_mha.predictions"] = model.predict(tokens_q, verbose=0)


def time_distributed(rng, arrays):
    ids = np.array([[[3, 5, 0, 0], [0, 0, 0, 0]],
                    [[1, 2, 3, 4], [0, 7, 0, 2]],
                    [[9, 0, 0, 0], [5, 5, 5, 0]]], dtype=np.int32)
    model = keras.Sequential([
        keras.Input((2, 4), dtype="int32"),
        L.Embedding(10, 3, mask_zero=True),
        L.TimeDistributed(L.LSTM(2)),
        L.Flatten(),
        L.Dense(2),
    ])
    assign_weights(model, rng, arrays, "time_distributed")
    arrays["time_distributed.ids"] = ids
    arrays["time_distributed.predictions"] = model.predict(ids, verbose=0)

    model = keras.Sequential([
        keras.Input((5,), dtype="int32"),
        L.Embedding(10, 3, mask_zero=True),
        L.GlobalMaxPooling1D(),
        L.Dense(2),
    ])
    assign_weights(model, rng, arrays, "max_pooling")
    arrays["max_pooling.predictions"] = model.predict(TOKENS_B[:3], verbose=0)


def softmax(rng, arrays):
    x = rng.uniform(-2, 2, (3, 4, 5)).astype(np.float32)
    mask = rng.uniform(0, 1, (3, 4, 5)) > 0.35
    mask[0, 0] = False  # a row with nothing kept
    r = rng.uniform(0.5, 1.5, (3, 4, 5)).astype(np.float32)
    layer = L.Softmax()
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = layer(xv, mask=mask)
        objective = tf.reduce_sum(y * r)
    arrays.update({"softmax.x": x, "softmax.mask": mask.astype(np.float32), "softmax.r": r,
                   "softmax.y": y.numpy(), "softmax.dx": tape.gradient(objective, xv).numpy()})


def batch_norm(rng, arrays):
    x = rng.uniform(-2, 2, (4, 5, 3)).astype(np.float32)
    mask = np.ones((4, 5), dtype=bool)
    mask[0, 3:] = False
    mask[1, :2] = False
    mask[3, :] = False
    r = rng.uniform(0.5, 1.5, (4, 5, 3)).astype(np.float32)
    layer = L.BatchNormalization(momentum=0.9)
    layer.build((None, 5, 3))
    gamma = rng.uniform(0.5, 1.5, (3,)).astype(np.float32)
    beta = rng.uniform(-0.5, 0.5, (3,)).astype(np.float32)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = layer(xv, training=True, mask=mask)
        objective = tf.reduce_sum(y * r)
    dx, dgamma, dbeta = tape.gradient(objective, [xv, layer.gamma, layer.beta])
    arrays.update({"batch_norm.x": x, "batch_norm.mask": mask.astype(np.float32), "batch_norm.r": r,
                   "batch_norm.gamma": gamma, "batch_norm.beta": beta, "batch_norm.y": y.numpy(),
                   "batch_norm.dx": dx.numpy(), "batch_norm.dgamma": dgamma.numpy(), "batch_norm.dbeta": dbeta.numpy(),
                   "batch_norm.moving_mean": layer.moving_mean.numpy(),
                   "batch_norm.moving_variance": layer.moving_variance.numpy()})


def logs_array(logs, names):
    return np.array([float(logs[name]) for name in names], dtype=np.float64)


def sequence_fit(rng, arrays):
    model = keras.Sequential([
        keras.Input((5,), dtype="int32"),
        L.Embedding(8, 4, mask_zero=True),
        L.BatchNormalization(momentum=0.9),
        L.LSTM(5, return_sequences=True),
        L.TimeDistributed(L.Dense(3, activation="softmax")),
    ])
    assign_weights(model, rng, arrays, "seq")
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    x = np.array([[3, 5, 7, 0, 0],
                  [0, 2, 6, 4, 1],
                  [1, 0, 6, 0, 7],
                  [2, 2, 2, 2, 2],
                  [0, 0, 0, 0, 4],
                  [5, 1, 0, 0, 0]], dtype=np.int32)
    y = rng.integers(0, 3, (6, 5)).astype(np.int32)
    sample_weight = np.array([1.0, 0.5, 2.0, 1.5, 0.25, 1.0], dtype=np.float32)
    # Keras 3 cannot weigh a masked sequence output per sample (apply_mask multiplies the (6,) weights by
    # the (6, 5) mask and fails to broadcast); the same weight at every step of a sample is what cairn's
    # per-sample weights mean for a sequence output.
    per_step = np.repeat(sample_weight[:, None], x.shape[1], axis=1)
    names = ["loss", "accuracy", "weighted_accuracy"]
    arrays.update({"seq.x": x, "seq.y": y, "seq.sample_weight": sample_weight})
    for step in (1, 2):
        logs = model.train_on_batch(x, y, sample_weight=per_step, return_dict=True)
        assert sorted(logs) == sorted(names), logs
        arrays[f"seq.step{step}.logs"] = logs_array(logs, names)
        for i, variable in enumerate(model.weights):
            arrays[f"seq.step{step}.w{i}"] = variable.numpy()
    logs = model.evaluate(x, y, sample_weight=per_step, batch_size=6, verbose=0, return_dict=True)
    arrays["seq.evaluate.logs"] = logs_array(logs, names)


def binary_metrics(rng, arrays):
    model = keras.Sequential([keras.Input((4,)), L.Dense(1, activation="sigmoid")])
    assign_weights(model, rng, arrays, "binary")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy", keras.metrics.AUC(num_thresholds=20), keras.metrics.Precision(),
                                    keras.metrics.Recall(), "mse", keras.metrics.RootMeanSquaredError()])
    x = rng.uniform(-1, 1, (12, 4)).astype(np.float32)
    y = (rng.uniform(0, 1, (12, 1)) > 0.5).astype(np.float32)
    sample_weight = rng.uniform(0, 2, (12,)).astype(np.float32)
    names = ["loss", "accuracy", "weighted_accuracy", "auc", "precision", "recall", "mse", "root_mean_squared_error"]
    logs = model.evaluate(x, y, sample_weight=sample_weight, batch_size=5, verbose=0, return_dict=True)
    assert sorted(logs) == sorted(names), logs
    arrays.update({"binary.x": x, "binary.y": y, "binary.sample_weight": sample_weight,
                   "binary.evaluate.logs": logs_array(logs, names)})
    history = model.fit(x, y, class_weight={0: 0.5, 1: 2.0}, batch_size=12, epochs=1, shuffle=False, verbose=0)
    arrays["binary.fit.logs"] = np.array([history.history[name][0] for name in names], dtype=np.float64)
    with open(OUT / "masks_compile_config.json", "w") as out:
        json.dump(model.get_compile_config(), out, indent=1, sort_keys=True)
        out.write("\n")


def multiclass_metrics(rng, arrays):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax")])
    assign_weights(model, rng, arrays, "multi")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  weighted_metrics=["accuracy", "sparse_categorical_crossentropy",
                                    keras.metrics.MeanIoU(num_classes=3, sparse_y_pred=False)])
    x = rng.uniform(-1, 1, (10, 4)).astype(np.float32)
    y = rng.integers(0, 3, (10,)).astype(np.int32)
    # Whole weights: Keras 3's MeanIoU counts in integers and truncates fractional weights (it warns so).
    sample_weight = rng.integers(0, 4, (10,)).astype(np.float32)
    names = ["loss", "accuracy", "sparse_categorical_crossentropy", "mean_io_u"]
    logs = model.evaluate(x, y, sample_weight=sample_weight, batch_size=4, verbose=0, return_dict=True)
    assert sorted(logs) == sorted(names), logs
    arrays.update({"multi.x": x, "multi.y": y, "multi.sample_weight": sample_weight,
                   "multi.evaluate.logs": logs_array(logs, names)})


def validation_freq(rng, arrays):
    model = keras.Sequential([keras.Input((2,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    validated = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: validated.append("val_loss" in logs))
    x = rng.uniform(-1, 1, (4, 2)).astype(np.float32)
    model.fit(x, x[:, :1], epochs=5, validation_data=(x, x[:, :1]), validation_freq=[1, 3, 4], verbose=0,
              callbacks=[record])
    arrays["freq.validated"] = np.array(validated)


def main():
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    OUT.mkdir(parents=True, exist_ok=True)
    layers_arrays = {"tokens_a": TOKENS_A, "tokens_b": TOKENS_B}
    merges(rng, layers_arrays)
    attention(rng, layers_arrays)
    time_distributed(rng, layers_arrays)
    softmax(rng, layers_arrays)
    batch_norm(rng, layers_arrays)
    write_npz(OUT / "masks_layers.npz", layers_arrays)
    fit_arrays = {}
    sequence_fit(rng, fit_arrays)
    binary_metrics(rng, fit_arrays)
    multiclass_metrics(rng, fit_arrays)
    validation_freq(rng, fit_arrays)
    write_npz(OUT / "masks_fit.npz", fit_arrays)
    print("written to", OUT)


if __name__ == "__main__":
    main()
