"""Makes tests/keras_io/testdata/kotlindl_lstm_reference.npz: the output of the real tf.keras 2.4 model in
tests/fixtures/keras_h5 (kotlindl_lstm_model.json + kotlindl_lstm_weights_only.h5) on a fixed input,
computed here with NumPy alone, so that lstm_fixture_test.cc checks cairn's model_from_json + load_weights
against an independent forward pass (and CI needs neither Python nor h5py).

Regenerate with Debian's python3-h5py and python3-numpy (from the repository root):

    /usr/bin/python3 tests/keras_io/lstm_reference.py

The model (see the JSON): LSTM(64, return_sequences) -> Dropout -> LSTM(64, return_sequences) -> Dropout
-> LSTM(64) -> Dropout -> Dense(41, linear) -> Activation(softmax), inputs (batch, 40, 41). Every LSTM
has activation tanh and recurrent_activation sigmoid (checked below). Dropout is the identity at
inference. The weights file's layer names (lstm_9, ...) differ from the JSON's (lstm_3, ...): Keras's
load_weights matches the layers that have weights by order, and so does this script, reading each
layer's datasets in the order of its weight_names attribute.

Keras's LSTM (tf.keras 2.x, keras/layers/recurrent.py): z = x_t @ kernel + h @ recurrent_kernel + bias,
split along the last axis into four blocks in gate order i, f, c, o; i, f, o = sigmoid(blocks),
c_t = f * c + i * tanh(block c), h_t = o * tanh(c_t); h and c start at zero.

Arrays: x float32 (2, 40, 41), uniform in [-1, 1) from a fixed seed; y float64 (2, 41), the softmax
output computed in float64 from the float32 weights and input.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "keras_h5")
OUTPUT = os.path.join(HERE, "testdata", "kotlindl_lstm_reference.npz")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm(x, kernel, recurrent_kernel, bias, return_sequences):
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    outputs = []
    for t in range(steps):
        z = x[:, t, :] @ kernel + h @ recurrent_kernel + bias
        i = sigmoid(z[:, :units])
        f = sigmoid(z[:, units:2 * units])
        g = np.tanh(z[:, 2 * units:3 * units])
        o = sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def saved_layers_with_weights(path):
    """[(layer name, [weight arrays in weight_names order])] for the layers that have weights, in order."""
    out = []
    with h5py.File(path, "r") as f:
        for name in f.attrs["layer_names"]:
            name = name.decode() if isinstance(name, bytes) else name
            group = f[name]
            weight_names = [w.decode() if isinstance(w, bytes) else w for w in group.attrs["weight_names"]]
            if weight_names:
                out.append((name, [np.asarray(group[w], dtype=np.float32) for w in weight_names]))
    return out


def main():
    with open(os.path.join(FIXTURES, "kotlindl_lstm_model.json")) as f:
        config = json.load(f)
    layers = [layer for layer in config["config"]["layers"] if layer["class_name"] != "InputLayer"]
    with_weights = [layer for layer in layers if layer["class_name"] in ("LSTM", "Dense")]
    saved = saved_layers_with_weights(os.path.join(FIXTURES, "kotlindl_lstm_weights_only.h5"))
    assert len(saved) == len(with_weights), (len(saved), len(with_weights))
    weights = {layer["config"]["name"]: arrays for layer, (_, arrays) in zip(with_weights, saved)}

    x = np.random.default_rng(20240601).uniform(-1.0, 1.0, size=(2, 40, 41)).astype(np.float32)
    h = x.astype(np.float64)
    for layer in layers:
        kind, cfg = layer["class_name"], layer["config"]
        if kind == "LSTM":
            assert cfg["activation"] == "tanh" and cfg["recurrent_activation"] == "sigmoid", cfg
            assert cfg["use_bias"] and not cfg["go_backwards"] and not cfg["stateful"], cfg
            kernel, recurrent_kernel, bias = (w.astype(np.float64) for w in weights[cfg["name"]])
            h = lstm(h, kernel, recurrent_kernel, bias, cfg["return_sequences"])
        elif kind == "Dropout":
            pass  # the identity at inference
        elif kind == "Dense":
            assert cfg["activation"] == "linear" and cfg["use_bias"], cfg
            kernel, bias = (w.astype(np.float64) for w in weights[cfg["name"]])
            h = h @ kernel + bias
        elif kind == "Activation":
            assert cfg["activation"] == "softmax", cfg
            h = softmax(h)
        else:
            raise ValueError(kind)

    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    # Like numpy.savez, with fixed timestamps so that the bytes are reproducible.
    with zipfile.ZipFile(OUTPUT, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, value in (("x", x), ("y", h)):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())
    print(f"wrote {OUTPUT}: y[0, :4] = {h[0, :4]}, row sums {h.sum(axis=-1)}")


if __name__ == "__main__":
    main()
