"""Writes tests/fixtures/keras3/masked_*.keras and their .npz: Keras 3 models whose masks matter, with
inputs padded to different lengths and Keras's predictions for them. masked_bidirectional_lstm masks
padding ids (Embedding(mask_zero=True)) and reads the sequence both ways (Bidirectional); masked_pooling
masks padding vectors (Masking) through TimeDistributed(Dense) and Dense into an LSTM whose sequence
GlobalAveragePooling1D averages over the unmasked steps; masked_functional has both kinds of masks in
a functional model, whose config holds Keras 3's mask operations (NotEqual, Any) as layers. tests/keras_io checks that cairn loads each file and
predicts the same within 1e-5.

    .oracle-venv/bin/python tests/conformance/generate_masked_bidirectional.py
"""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import keras

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from generate_layers import write_npz  # noqa: E402  (fixed zip timestamps: the same arrays give the same bytes)

OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "keras3"


def main():
    keras.utils.set_random_seed(7)
    L = keras.layers
    model = keras.Sequential([
        keras.Input((6,), dtype="int32", name="tokens"),
        L.Embedding(12, 4, mask_zero=True, name="embedding"),
        L.Bidirectional(L.LSTM(3, return_sequences=True), name="bidirectional_sequences"),
        L.Bidirectional(L.GRU(2), merge_mode="sum", name="bidirectional_last"),
        L.Dense(2, activation="softmax", name="probabilities"),
    ], name="masked_bidirectional_lstm")
    rng = np.random.default_rng(7)
    for variable in model.weights:
        variable.assign(rng.uniform(-0.6, 0.6, tuple(variable.shape)).astype(np.float32))
    # Padding at the end, at the start, in the middle, none, and a sequence that is all padding.
    tokens = np.array([[3, 5, 7, 0, 0, 0],
                       [0, 0, 2, 9, 11, 4],
                       [1, 0, 6, 0, 8, 2],
                       [4, 4, 10, 3, 1, 5],
                       [0, 0, 0, 0, 0, 0]], dtype=np.int32)
    OUT.mkdir(parents=True, exist_ok=True)
    model.save(OUT / "masked_bidirectional_lstm.keras")
    write_npz(OUT / "masked_bidirectional_lstm.npz", {"tokens": tokens, "predictions": model.predict(tokens, verbose=0)})

    # A Sequential: Keras 3 writes a functional model's mask computations as op layers (NotEqual, Any).
    pooling = keras.Sequential([
        keras.Input((5, 3), name="series"),
        L.Masking(mask_value=0.0, name="masking"),
        L.TimeDistributed(L.Dense(4, activation="tanh"), name="per_step"),
        L.Dense(4, name="mixed"),
        L.LSTM(3, return_sequences=True, name="reader"),
        L.GlobalAveragePooling1D(name="average"),
        L.Dense(2, name="scores"),
    ], name="masked_pooling")
    for variable in pooling.weights:
        variable.assign(rng.uniform(-0.6, 0.6, tuple(variable.shape)).astype(np.float32))
    series = rng.uniform(-1, 1, (5, 5, 3)).astype(np.float32)
    series[0, 3:] = 0  # padding at the end, at the start, in the middle
    series[1, :2] = 0
    series[2, 2] = 0
    series[3, 1, 0] = 0  # one zero feature among others is not padding
    pooling.save(OUT / "masked_pooling.keras")
    write_npz(OUT / "masked_pooling.npz", {"series": series, "predictions": pooling.predict(series, verbose=0)})

    # The same masks in a functional model, which Keras 3 writes with its mask operations as layers.
    vectors_in = keras.Input((5, 3), name="series")
    vectors = L.Masking(name="masking")(vectors_in)
    vectors = L.TimeDistributed(L.Dense(4, activation="tanh"), name="per_step")(vectors)
    vectors = L.LSTM(3, name="reader")(vectors)
    tokens_in = keras.Input((6,), dtype="int32", name="tokens")
    words = L.Embedding(12, 4, mask_zero=True, name="embedding")(tokens_in)
    words = L.Dense(3, activation="relu", name="projection")(words)
    words = L.GlobalAveragePooling1D(name="average")(words)
    merged = L.Concatenate(name="both")([vectors, words])
    functional = keras.Model([vectors_in, tokens_in], L.Dense(2, name="scores")(merged), name="masked_functional")
    for variable in functional.weights:
        variable.assign(rng.uniform(-0.6, 0.6, tuple(variable.shape)).astype(np.float32))
    functional_tokens = tokens.copy()
    functional_tokens[4, 0] = 5  # not all padding: Keras averages no steps to NaN
    functional.save(OUT / "masked_functional.keras")
    write_npz(OUT / "masked_functional.npz", {"series": series, "tokens": functional_tokens,
                                              "predictions": functional.predict([series, functional_tokens], verbose=0)})
    print("written to", OUT)


if __name__ == "__main__":
    main()
