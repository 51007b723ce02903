"""Writes tests/conformance/vocabulary/*.npz: what Keras 3 computes for each activation, loss, optimizer,
learning-rate schedule and metric cairn implements, on fixed inputs, so that the C++ tests compare
against Keras without Python.

Run in the oracle environment (scripts/setup --oracle):

    .oracle-venv/bin/python tests/conformance/generate_vocabulary.py [--only GROUP]

Groups and their arrays (keys "<case>.<field>"):
* activations.npz: `x` (8, 16), `w` (8, 16); per activation `<name>.y` and `<name>.grad`, the gradient
  of sum(y * w) with respect to x.
* losses.npz: per case `<case>.y_true`, `<case>.y_pred`, `<case>.loss` (the Keras Loss object's value,
  reduction sum_over_batch_size) and `<case>.grad` (its gradient with respect to y_pred).
* optimizers.npz: `w0` (initial values of two variables `a` (3, 4) and `b` (4,)), `grads.<step>.<var>`;
  per case `<case>.<step>.<var>` (the variable after each step) and `<case>.slot.<var>.<name>` (every
  optimizer variable after the last step, by Keras 3's variable name).
* schedules.npz: per case `<case>.steps` and `<case>.lr` (the schedule's value at each step).
* metrics.npz: per case `<case>.y_true.<batch>`, `<case>.y_pred.<batch>` and `<case>.result.<batch>`
  (result() after each update_state).

Deterministic: fixed seeds, one TensorFlow thread, float32 everywhere, fixed zip timestamps.
"""

import argparse
import io
import os
import pathlib
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import tensorflow as tf
import keras

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

HERE = pathlib.Path(__file__).resolve().parent / "vocabulary"


def write_npz(path, arrays):
    """numpy.savez with fixed zip timestamps, so that the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(value), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())


def f32(a):
    return np.asarray(a, dtype=np.float32)


# ---- activations

ACTIVATIONS = ["relu", "leaky_relu", "relu6", "softmax", "elu", "selu", "softplus", "softsign", "silu",
               "swish", "gelu", "tanh", "sigmoid", "exponential", "hard_sigmoid", "hard_silu", "hard_swish",
               "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "celu", "squareplus", "sparse_plus",
               "linear", "mish", "log_softmax", "log_sigmoid"]


def activations():
    rng = np.random.default_rng(11)
    x = f32(rng.uniform(-5, 5, size=(8, 16)))
    # Keep away from the kinks (0, +-3, 6), where a numerical gradient says nothing.
    for kink in (0.0, 3.0, -3.0, 6.0, 1.0, -1.0, 0.5, -0.5):
        x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x).astype(np.float32)
    w = f32(rng.uniform(0.5, 1.5, size=(8, 16)))
    arrays = {"x": x, "w": w}
    cases = {name: keras.activations.get(name) for name in ACTIVATIONS}
    cases["gelu_tanh"] = lambda t: keras.activations.gelu(t, approximate=True)
    cases["leaky_relu_0.1"] = lambda t: keras.activations.leaky_relu(t, negative_slope=0.1)
    cases["elu_0.5"] = lambda t: keras.activations.elu(t, alpha=0.5)
    for name, fn in cases.items():
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = fn(xt)
            total = tf.reduce_sum(y * w)
        arrays[name + ".y"] = f32(y)
        arrays[name + ".grad"] = f32(tape.gradient(total, xt))
    return arrays


# ---- losses

def loss_data(kind, rng, shape=(6, 5)):
    if kind == "regression":
        return f32(rng.normal(size=shape)), f32(rng.normal(size=shape))
    if kind == "positive":
        return f32(rng.uniform(0.1, 3, size=shape)), f32(rng.uniform(0.1, 3, size=shape))
    if kind == "probabilities":  # soft targets and predictions that sum to 1 per row
        t = rng.uniform(0.05, 1, size=shape)
        p = rng.uniform(0.05, 1, size=shape)
        return f32(t / t.sum(-1, keepdims=True)), f32(p / p.sum(-1, keepdims=True))
    if kind == "one_hot":
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[0])]
        p = rng.uniform(0.05, 1, size=shape)
        return f32(t), f32(p / p.sum(-1, keepdims=True))
    if kind == "one_hot_logits":
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[0])]
        return f32(t), f32(rng.normal(size=shape) * 2)
    if kind == "binary":
        return f32(rng.integers(0, 2, size=shape)), f32(rng.uniform(0.02, 0.98, size=shape))
    if kind == "binary_logits":
        return f32(rng.integers(0, 2, size=shape)), f32(rng.normal(size=shape) * 2)
    if kind == "signs":
        return f32(rng.choice([-1.0, 1.0], size=shape)), f32(rng.normal(size=shape))
    raise ValueError(kind)


L = keras.losses
LOSS_CASES = [
    ("mean_absolute_error", L.MeanAbsoluteError(), "regression"),
    ("mean_absolute_percentage_error", L.MeanAbsolutePercentageError(), "positive"),
    ("mean_squared_logarithmic_error", L.MeanSquaredLogarithmicError(), "positive"),
    ("mean_squared_error", L.MeanSquaredError(), "regression"),
    ("huber", L.Huber(), "regression"),
    ("huber_delta_0.5", L.Huber(delta=0.5), "regression"),
    ("log_cosh", L.LogCosh(), "regression"),
    ("kl_divergence", L.KLDivergence(), "probabilities"),
    ("poisson", L.Poisson(), "positive"),
    ("hinge", L.Hinge(), "binary_logits"),
    ("hinge_signs", L.Hinge(), "signs"),
    ("squared_hinge", L.SquaredHinge(), "binary_logits"),
    ("categorical_hinge", L.CategoricalHinge(), "one_hot_logits"),
    ("cosine_similarity", L.CosineSimilarity(), "regression"),
    ("categorical_crossentropy_smoothing", L.CategoricalCrossentropy(label_smoothing=0.1), "one_hot"),
    ("categorical_crossentropy_logits_smoothing",
     L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), "one_hot_logits"),
    ("binary_crossentropy_smoothing", L.BinaryCrossentropy(label_smoothing=0.1), "binary"),
    ("binary_crossentropy_logits_smoothing",
     L.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), "binary_logits"),
    ("categorical_focal_crossentropy", L.CategoricalFocalCrossentropy(), "one_hot"),
    ("categorical_focal_crossentropy_args",
     L.CategoricalFocalCrossentropy(alpha=0.5, gamma=1.5, from_logits=True, label_smoothing=0.1),
     "one_hot_logits"),
    ("binary_focal_crossentropy", L.BinaryFocalCrossentropy(), "binary"),
    ("binary_focal_crossentropy_args",
     L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=3.0, from_logits=True,
                               label_smoothing=0.1), "binary_logits"),
]


def losses():
    rng = np.random.default_rng(12)
    arrays = {}
    for name, loss, kind in LOSS_CASES:
        y_true, y_pred = loss_data(kind, rng)
        p = tf.constant(y_pred)
        with tf.GradientTape() as tape:
            tape.watch(p)
            value = loss(tf.constant(y_true), p)
        arrays[name + ".y_true"] = y_true
        arrays[name + ".y_pred"] = y_pred
        arrays[name + ".loss"] = f32(value)
        arrays[name + ".grad"] = f32(tape.gradient(value, p))
    return arrays


# ---- optimizers

O = keras.optimizers
S = keras.optimizers.schedules
OPTIMIZER_STEPS = 3
OPTIMIZER_CASES = {
    "sgd_nesterov": lambda: O.SGD(0.1, momentum=0.9, nesterov=True),
    "adam_amsgrad": lambda: O.Adam(0.01, amsgrad=True),
    "adamw": lambda: O.AdamW(0.01, weight_decay=0.1),
    "adamw_amsgrad": lambda: O.AdamW(0.01, weight_decay=0.05, amsgrad=True),
    "nadam": lambda: O.Nadam(0.01),
    "adamax": lambda: O.Adamax(0.01),
    "adadelta": lambda: O.Adadelta(1.0),
    "ftrl": lambda: O.Ftrl(0.1),
    "ftrl_regularized": lambda: O.Ftrl(0.1, learning_rate_power=-0.7, initial_accumulator_value=0.2,
                                       l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                                       l2_shrinkage_regularization_strength=0.01, beta=0.1),
    "lion": lambda: O.Lion(0.01),
    "clipnorm": lambda: O.SGD(0.1, clipnorm=0.5),
    "clipvalue": lambda: O.Adam(0.01, clipvalue=0.1),
    "global_clipnorm": lambda: O.SGD(0.1, global_clipnorm=0.5),
    "weight_decay": lambda: O.SGD(0.1, weight_decay=0.05),
    "ema": lambda: O.SGD(0.1, momentum=0.5, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=2),
    "exponential_decay": lambda: O.SGD(S.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)),
    "cosine_decay_warmup": lambda: O.Adam(S.CosineDecay(0.001, decay_steps=4, warmup_target=0.01, warmup_steps=2)),
}
# Keras 3's slot names -> cairn's (tf.keras's legacy names, which TensorFlow checkpoints use).
KERAS3_SLOTS = {"momentum": "m", "velocity": "v", "velocity_hat": "vhat", "norm": "v",
                "accumulated_grad": "accum_grad", "accumulated_delta_var": "accum_var"}


def keras3_slot(optimizer, var_name, path):
    """(cairn slot name) of Keras 3's optimizer variable path "<optimizer>/<var>_<slot>"."""
    slot = path.split("/")[-1][len(var_name) + 1:]
    if isinstance(optimizer, O.SGD) and slot == "momentum":
        return "momentum"
    return KERAS3_SLOTS.get(slot, slot)


def optimizers():
    rng = np.random.default_rng(13)
    shapes = {"a": (3, 4), "b": (4,)}
    arrays = {}
    for name, shape in shapes.items():
        arrays["w0." + name] = f32(rng.normal(size=shape))
    for step in range(OPTIMIZER_STEPS):
        for name, shape in shapes.items():
            arrays[f"grads.{step}.{name}"] = f32(rng.normal(size=shape) * (1 + step))
    for case, make in OPTIMIZER_CASES.items():
        optimizer = make()
        variables = [keras.Variable(arrays["w0." + n], name=n) for n in shapes]
        for step in range(OPTIMIZER_STEPS):
            grads = [tf.constant(arrays[f"grads.{step}.{n}"]) for n in shapes]
            optimizer.apply_gradients(zip(grads, variables))
            for n, v in zip(shapes, variables):
                arrays[f"{case}.{step}.{n}"] = f32(v.numpy())
        for v in optimizer.variables:
            path = v.path
            if path.endswith("/iteration") or path.endswith("/learning_rate"):
                continue
            if path.split("/")[-1] == "variable":  # Nadam's u_product
                arrays[f"{case}.momentum_cache"] = f32(v.numpy())
                continue
            var_name = next(n for n in shapes if path.split("/")[-1].startswith(n + "_"))
            arrays[f"{case}.slot.{var_name}.{keras3_slot(optimizer, var_name, path)}"] = f32(v.numpy())
    return arrays


# ---- learning-rate schedules

SCHEDULE_STEPS = list(range(0, 25)) + [50, 99, 100, 101, 1000]
SCHEDULE_CASES = {
    "exponential_decay": S.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.5),
    "exponential_decay_staircase": S.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.5, staircase=True),
    "piecewise_constant_decay": S.PiecewiseConstantDecay([5, 10, 20], [1.0, 0.5, 0.1, 0.05]),
    "polynomial_decay": S.PolynomialDecay(0.1, decay_steps=20, end_learning_rate=0.01, power=2.0),
    "polynomial_decay_cycle": S.PolynomialDecay(0.1, decay_steps=6, end_learning_rate=0.01, power=0.5, cycle=True),
    "inverse_time_decay": S.InverseTimeDecay(0.1, decay_steps=3, decay_rate=0.5),
    "inverse_time_decay_staircase": S.InverseTimeDecay(0.1, decay_steps=3, decay_rate=0.5, staircase=True),
    "cosine_decay": S.CosineDecay(0.1, decay_steps=20, alpha=0.1),
    "cosine_decay_warmup": S.CosineDecay(0.0, decay_steps=15, warmup_target=0.1, warmup_steps=5),
    "cosine_decay_restarts": S.CosineDecayRestarts(0.1, first_decay_steps=4),
    "cosine_decay_restarts_args": S.CosineDecayRestarts(0.1, first_decay_steps=5, t_mul=1.0, m_mul=0.5, alpha=0.05),
}


def schedules():
    arrays = {}
    for case, schedule in SCHEDULE_CASES.items():
        arrays[case + ".steps"] = np.asarray(SCHEDULE_STEPS, dtype=np.int64)
        arrays[case + ".lr"] = f32([float(schedule(step)) for step in SCHEDULE_STEPS])
    return arrays


# ---- metrics

M = keras.metrics
METRIC_BATCHES = 2


def metric_data(kind, rng):
    if kind == "binary":
        return f32(rng.integers(0, 2, size=(16, 1))), f32(rng.uniform(0, 1, size=(16, 1)))
    if kind == "binary_logits":
        return f32(rng.integers(0, 2, size=(16, 1))), f32(rng.normal(size=(16, 1)) * 2)
    if kind == "one_hot":
        return f32(np.eye(6)[rng.integers(0, 6, size=12)]), f32(rng.uniform(0, 1, size=(12, 6)))
    if kind == "sparse":
        return np.asarray(rng.integers(0, 6, size=(12,)), dtype=np.int64), f32(rng.uniform(0, 1, size=(12, 6)))
    if kind == "regression":
        return f32(rng.normal(size=(8, 3))), f32(rng.normal(size=(8, 3)))
    if kind == "positive":
        return f32(rng.uniform(0.5, 2, size=(8, 3))), f32(rng.uniform(0.5, 2, size=(8, 3)))
    if kind == "segments":
        return (np.asarray(rng.integers(0, 4, size=(10,)), dtype=np.int64),
                np.asarray(rng.integers(0, 4, size=(10,)), dtype=np.int64))
    if kind == "segment_scores":
        return np.asarray(rng.integers(0, 4, size=(10,)), dtype=np.int64), f32(rng.uniform(0, 1, size=(10, 4)))
    if kind == "multi_label":
        return f32(rng.integers(0, 2, size=(10, 4))), f32(rng.uniform(0, 1, size=(10, 4)))
    raise ValueError(kind)


METRIC_CASES = [
    ("auc_roc", lambda: M.AUC(), "binary"),
    ("auc_pr", lambda: M.AUC(curve="PR"), "binary"),
    ("auc_logits", lambda: M.AUC(num_thresholds=50, from_logits=True), "binary_logits"),
    ("precision", lambda: M.Precision(), "binary"),
    ("precision_threshold", lambda: M.Precision(thresholds=0.3), "binary"),
    ("recall", lambda: M.Recall(), "binary"),
    ("top_k", lambda: M.TopKCategoricalAccuracy(k=2), "one_hot"),
    ("sparse_top_k", lambda: M.SparseTopKCategoricalAccuracy(k=3), "sparse"),
    ("mean_absolute_error", lambda: M.MeanAbsoluteError(), "regression"),
    ("root_mean_squared_error", lambda: M.RootMeanSquaredError(), "regression"),
    ("mean_absolute_percentage_error", lambda: M.MeanAbsolutePercentageError(), "positive"),
    ("mean_io_u", lambda: M.MeanIoU(num_classes=4), "segments"),
    ("mean_io_u_scores", lambda: M.MeanIoU(num_classes=4, sparse_y_pred=False, ignore_class=0), "segment_scores"),
    ("f1_macro", lambda: M.F1Score(average="macro"), "multi_label"),
    ("f1_micro_threshold", lambda: M.F1Score(average="micro", threshold=0.4), "multi_label"),
    ("f1_weighted", lambda: M.F1Score(average="weighted", threshold=0.5), "multi_label"),
]


def metrics():
    rng = np.random.default_rng(14)
    arrays = {}
    for case, make, kind in METRIC_CASES:
        metric = make()
        for batch in range(METRIC_BATCHES):
            y_true, y_pred = metric_data(kind, rng)
            metric.update_state(y_true, y_pred)
            arrays[f"{case}.y_true.{batch}"] = y_true
            arrays[f"{case}.y_pred.{batch}"] = y_pred
            arrays[f"{case}.result.{batch}"] = f32(metric.result())
    return arrays


GROUPS = {"activations": activations, "losses": losses, "optimizers": optimizers, "schedules": schedules,
          "metrics": metrics}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="one group: " + ", ".join(GROUPS))
    args = parser.parse_args()
    HERE.mkdir(exist_ok=True)
    for group, make in GROUPS.items():
        if args.only and args.only != group:
            continue
        arrays = make()
        write_npz(HERE / (group + ".npz"), arrays)
        print(f"{group}.npz: {len(arrays)} arrays")


if __name__ == "__main__":
    main()
