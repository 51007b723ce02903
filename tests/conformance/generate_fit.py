"""Writes tests/conformance/fit/two_by_two.npz: Keras 3 training a functional model with two inputs and
two outputs for two steps with per-sample weights, so that tests/training/fit_oracle_test.cc compares
cairn's fit against it without Python.

Run in the oracle environment (scripts/setup --oracle):

    .oracle-venv/bin/python tests/conformance/generate_fit.py

The model: inputs a (3) and b (2), Concatenate, Dense "hidden" (6, relu), outputs Dense "flag" (1,
sigmoid) and Dense "kind" (3 logits). compile(SGD(0.1), loss={flag: binary_crossentropy, kind:
SparseCategoricalCrossentropy(from_logits=True)}, loss_weights={flag: 0.5, kind: 2.0}, metrics={flag:
[accuracy], kind: [accuracy]}); fit(batch_size=8, epochs=1, shuffle=False, sample_weight=w) on 16 rows:
two steps. Arrays: `a`, `b`, `flag`, `kind`, `sample_weight`; `initial.<layer>.<kernel|bias>` and
`trained.<layer>.<kernel|bias>`; `logs.<key>` (the epoch's logs, Keras 3's keys) and `evaluate.<key>`
(evaluate with the same sample weights after training, batch_size 16).

Deterministic: fixed seeds, one TensorFlow thread, float32 everywhere, fixed zip timestamps.
"""

import io
import os
import pathlib
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np
import tensorflow as tf
import keras

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

OUT = pathlib.Path(__file__).resolve().parent / "fit" / "two_by_two.npz"
LAYERS = ["hidden", "flag", "kind"]


def write_npz(path, arrays):
    """numpy.savez with fixed zip timestamps, so that the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(value), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())


def main():
    rng = np.random.default_rng(7)
    n = 16
    arrays = {
        "a": rng.uniform(-1, 1, (n, 3)).astype("float32"),
        "b": rng.uniform(-1, 1, (n, 2)).astype("float32"),
        "flag": (rng.uniform(0, 1, (n, 1)) > 0.5).astype("float32"),
        "kind": rng.integers(0, 3, n).astype("int64"),
        "sample_weight": rng.choice([0.0, 0.5, 1.0, 2.0], n).astype("float32"),
    }
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    h = keras.layers.Concatenate()([a, b])
    h = keras.layers.Dense(6, activation="relu", name="hidden")(h)
    flag = keras.layers.Dense(1, activation="sigmoid", name="flag")(h)
    kind = keras.layers.Dense(3, name="kind")(h)
    model = keras.Model([a, b], [flag, kind])
    for layer in LAYERS:
        kernel, bias = model.get_layer(layer).get_weights()
        kernel = rng.normal(0, 0.5, kernel.shape).astype("float32")
        bias = rng.normal(0, 0.1, bias.shape).astype("float32")
        model.get_layer(layer).set_weights([kernel, bias])
        arrays[f"initial.{layer}.kernel"], arrays[f"initial.{layer}.bias"] = kernel, bias
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss={"flag": "binary_crossentropy", "kind": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
        loss_weights={"flag": 0.5, "kind": 2.0},
        metrics={"flag": ["accuracy"], "kind": ["accuracy"]},
    )
    history = model.fit({"a": arrays["a"], "b": arrays["b"]}, [arrays["flag"], arrays["kind"]], batch_size=8,
                        epochs=1, shuffle=False, sample_weight=arrays["sample_weight"], verbose=0)
    for key, values in history.history.items():
        arrays[f"logs.{key}"] = np.array(values[-1], dtype="float64")
    for layer in LAYERS:
        kernel, bias = model.get_layer(layer).get_weights()
        arrays[f"trained.{layer}.kernel"], arrays[f"trained.{layer}.bias"] = kernel, bias
    evaluated = model.evaluate([arrays["a"], arrays["b"]], [arrays["flag"], arrays["kind"]], batch_size=16,
                               sample_weight=arrays["sample_weight"], return_dict=True, verbose=0)
    for key, value in evaluated.items():
        arrays[f"evaluate.{key}"] = np.array(value, dtype="float64")
    OUT.parent.mkdir(exist_ok=True)
    write_npz(OUT, arrays)
    print("wrote", OUT, sorted(k for k in arrays if k.startswith(("logs.", "evaluate."))))


if __name__ == "__main__":
    main()
