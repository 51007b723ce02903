"""Writes the models whose layers have several outputs, as Keras 3 (.keras, tests/fixtures/keras3/) and
tf-keras 2 (.h5, tests/fixtures/keras_h5/) save them, with inputs and Keras's predictions (.npz):

  seq2seq_lstm   keras.io's lstm_seq2seq training model: an encoder LSTM(return_state=True) whose final
                 states h, c start the decoder LSTM(return_sequences=True, return_state=True) through
                 initial_state, then Dense(softmax)
  seq2seq_gru    the same with GRUs (one state, passed as initial_state=[h])
  bidirectional_outputs
                 Bidirectional(LSTM, merge_mode=None) -> its two outputs concatenated ->
                 Bidirectional(GRU(return_state=True), merge_mode="sum") -> its output and both final
                 states concatenated -> Dense; the model's outputs are the Dense's and the forward state

Each .npz holds the inputs under the model's input names and Keras's predictions, "predictions_<i>" for
output i. tests/keras_io/seq2seq_test.cc checks that cairn loads each file and predicts the same within
1e-5; tests/conformance/check_multi_output.sh has Keras judge the files cairn writes of them.

    .oracle-venv/bin/python tests/conformance/generate_seq2seq.py
"""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import keras
import tf_keras

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from generate_layers import write_npz  # noqa: E402  (fixed zip timestamps: the same arrays give the same bytes)

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
ENCODER_TOKENS, DECODER_TOKENS, UNITS = 6, 5, 4


def seq2seq(K, cell):
    L = K.layers
    encoder_inputs = K.Input((None, ENCODER_TOKENS), name="encoder_inputs")
    encoded = cell(UNITS, return_state=True, name="encoder")(encoder_inputs)
    states = encoded[1:]  # h (GRU), or h and c (LSTM)
    decoder_inputs = K.Input((None, DECODER_TOKENS), name="decoder_inputs")
    decoder = cell(UNITS, return_sequences=True, return_state=True, name="decoder")
    decoded = decoder(decoder_inputs, initial_state=list(states))[0]
    outputs = L.Dense(DECODER_TOKENS, activation="softmax", name="decoder_dense")(decoded)
    return K.Model([encoder_inputs, decoder_inputs], outputs, name=f"{cell.__name__.lower()}_seq2seq")


def bidirectional_outputs(K):
    L = K.layers
    x = K.Input((5, 3), name="series")
    forward, backward = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=None, name="both_ways")(x)
    both = L.Concatenate(name="directions")([forward, backward])
    summed, forward_h, backward_h = L.Bidirectional(L.GRU(2, return_state=True), merge_mode="sum", name="summary")(both)
    features = L.Concatenate(name="features")([summed, forward_h, backward_h])
    scores = L.Dense(2, name="scores")(features)
    return K.Model(x, [scores, forward_h], name="bidirectional_outputs")


def randomize(model, rng):
    for variable in model.weights:
        variable.assign(rng.uniform(-0.6, 0.6, tuple(variable.shape)).astype(np.float32))


def inputs_for(name, rng):
    if name.startswith("seq2seq"):
        return {"encoder_inputs": rng.uniform(0, 1, (3, 4, ENCODER_TOKENS)).astype(np.float32),
                "decoder_inputs": rng.uniform(0, 1, (3, 6, DECODER_TOKENS)).astype(np.float32)}
    return {"series": rng.uniform(-1, 1, (4, 5, 3)).astype(np.float32)}


def write(model, name, path, rng):
    inputs = inputs_for(name, rng)
    predictions = model.predict([inputs[k] for k in inputs], verbose=0)
    if not isinstance(predictions, list):
        predictions = [predictions]
    arrays = dict(inputs)
    for i, p in enumerate(predictions):
        arrays[f"predictions_{i}"] = p
    write_npz(path.with_suffix(".npz"), arrays)


def main():
    for generation, K, directory, suffix in (("keras3", keras, "keras3", ".keras"),
                                             ("tf_keras", tf_keras, "keras_h5", "_tfkeras.h5")):
        rng = np.random.default_rng(11)
        (FIXTURES / directory).mkdir(parents=True, exist_ok=True)
        builders = {"seq2seq_lstm": lambda: seq2seq(K, K.layers.LSTM),
                    "seq2seq_gru": lambda: seq2seq(K, K.layers.GRU),
                    "bidirectional_outputs": lambda: bidirectional_outputs(K)}
        for name, build in builders.items():
            K.backend.clear_session()
            K.utils.set_random_seed(7)
            model = build()
            randomize(model, rng)
            path = FIXTURES / directory / (name + suffix)
            model.save(path)
            write(model, name, FIXTURES / directory / (name + ("" if generation == "keras3" else "_tfkeras")), rng)
            print("wrote", path)


if __name__ == "__main__":
    main()
