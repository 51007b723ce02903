#!/usr/bin/env python3
"""Peer figures from Keras 3 on TensorFlow 2.21 on the seed workloads: the models, batch sizes and
optimizers of bench/pytorch_peer.py, with its flags and its JSON lines:
  {"workload": ..., "threads": N, "samples_per_s": ..., "step_ms": ..., "peer": ...}
  {"workload": "save_state_dict", "mb": ..., "save_mb_per_s": ..., "load_mb_per_s": ...}
The checkpoint figure is TensorFlow's own format (tf.train.Checkpoint), fsynced like the others.

    scripts/setup --oracle
    .oracle-venv/bin/python bench/keras_peer.py --threads 1 [--only mnist_mlp,mnist_cnn] [--seconds 5]

TensorFlow runs in its best configuration for this machine unless told otherwise:
  * --threads N sets TensorFlow's intra-op pool to N and its inter-op pool to 1: a training step is one
    chain of ops, and a second pool only competes for the 2 cores;
  * oneDNN's CPU kernels on (TF_ENABLE_ONEDNN_OPTS=1, TensorFlow's default on x86);
  * each step is Keras's own train_step (forward, loss, gradients, optimizer update) in one tf.function
    on tensors made beforehand, as Model.fit runs it minus the data pipeline;
  * XLA (jit_compile) off by default (--jit-compile 1 turns it on): measured here on one thread,
    --seconds 3 (a shared machine: load 3.5-4.5), samples/s without / with XLA:
        moons_mlp 388k / 164k, mnist_mlp 27.0k / 1.8k, mnist_cnn 5.4k / 1.0k, imdb_lstm 342 / 214,
        iris_dnn 81k / 81k
    XLA's CPU code is slower on every workload but the smallest, where the two tie. At 2 threads
    (2 s runs, alternating, a loaded machine): iris_dnn 72k-73k / 44k-58k, mnist_mlp 7.9k / 2.6k-2.7k.
"""
import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import numpy as np
import tensorflow as tf
import keras
from keras import layers


def moons_mlp():
    return keras.Sequential([keras.Input((2,)), layers.Dense(10, activation="relu"), layers.Dense(2)])


def mnist_mlp():  # seed: Dense(512, relu) -> Dropout(0.2) -> Dense(10, softmax)
    return keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                             layers.Dense(10)])


def mnist_cnn():  # seed: conv5x5x16 same, pool2, conv5x5x36 same, pool2, fc128, fc10
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(36, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10)])


def imdb_lstm():  # seed: IMDB sentiment LSTM (Embedding 5000x32, LSTM 100, Dense 1 sigmoid)
    return keras.Sequential([keras.Input((500,), dtype="int32"), layers.Embedding(5000, 32), layers.LSTM(100),
                             layers.Dense(1)])


def iris_dnn():  # seed: DNNClassifier(hidden_units=[10, 10], n_classes=3)
    return keras.Sequential([keras.Input((4,)), layers.Dense(10, activation="relu"),
                             layers.Dense(10, activation="relu"), layers.Dense(3)])


rng = np.random.default_rng(0)
classes = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
WORKLOADS = {
    # name: (model factory, input maker, target maker, loss, optimizer factory, batch), as the PyTorch peer
    "moons_mlp": (moons_mlp, lambda b: rng.standard_normal((b, 2), np.float32),
                  lambda b: rng.integers(0, 2, b), classes, lambda: keras.optimizers.SGD(0.5), 80),
    "mnist_mlp": (mnist_mlp, lambda b: rng.random((b, 784), np.float32),
                  lambda b: rng.integers(0, 10, b), classes, lambda: keras.optimizers.Adam(), 32),
    "mnist_cnn": (mnist_cnn, lambda b: rng.random((b, 28, 28, 1), np.float32),
                  lambda b: rng.integers(0, 10, b), classes, lambda: keras.optimizers.Adam(1e-4), 64),
    "imdb_lstm": (imdb_lstm, lambda b: rng.integers(0, 5000, (b, 500), dtype=np.int32),
                  lambda b: rng.integers(0, 2, (b, 1)).astype(np.float32),
                  keras.losses.BinaryCrossentropy(from_logits=True), lambda: keras.optimizers.Adam(), 64),
    "iris_dnn": (iris_dnn, lambda b: rng.standard_normal((b, 4), np.float32),
                 lambda b: rng.integers(0, 3, b), classes, lambda: keras.optimizers.Adagrad(0.05), 32),
}


def train_rate(name, seconds, jit_compile):
    make, xin, yin, loss, opt, batch = WORKLOADS[name]
    keras.utils.set_random_seed(0)
    model = make()
    model.compile(optimizer=opt(), loss=loss)
    xs = [tf.constant(xin(batch)) for _ in range(8)]
    ys = [tf.constant(yin(batch)) for _ in range(8)]
    train_step = tf.function(lambda x, y: model.train_step((x, y)), jit_compile=jit_compile)

    def step(i):
        # .numpy() waits for the step, as PyTorch's eager step does before the next one.
        train_step(xs[i % 8], ys[i % 8])["loss"].numpy()

    for i in range(3):
        step(i)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(steps)
        steps += 1
    elapsed = time.perf_counter() - start
    return {"workload": name, "batch": batch, "steps": steps,
            "samples_per_s": round(steps * batch / elapsed, 1),
            "step_ms": round(1000 * elapsed / steps, 4)}


def checkpoint_rate(megabytes):
    n = megabytes * 1024 * 1024 // 4 // 16
    variables = {f"layer{i}_weight": tf.Variable(tf.random.normal([n])) for i in range(16)}
    with tempfile.TemporaryDirectory(dir=os.environ.get("PEER_TMP")) as d:
        prefix = os.path.join(d, "model")
        start = time.perf_counter()
        path = tf.train.Checkpoint(**variables).write(prefix)
        for f in os.listdir(d):
            with open(os.path.join(d, f), "rb+") as handle:
                os.fsync(handle.fileno())
        save_s = time.perf_counter() - start
        back = {key: tf.Variable(tf.zeros([n])) for key in variables}
        start = time.perf_counter()
        tf.train.Checkpoint(**back).read(path).assert_consumed()
        load_s = time.perf_counter() - start
        assert all(np.array_equal(back[k].numpy(), variables[k].numpy()) for k in variables)
    return {"workload": "save_state_dict", "mb": megabytes,
            "save_mb_per_s": round(megabytes / save_s, 1), "load_mb_per_s": round(megabytes / load_s, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--only", default=",".join(list(WORKLOADS) + ["save_state_dict"]))
    ap.add_argument("--checkpoint-mb", type=int, default=512)
    ap.add_argument("--jit-compile", type=int, choices=(0, 1), default=0, help="XLA for the train step")
    args = ap.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    for name in args.only.split(","):
        if name == "save_state_dict":
            row = checkpoint_rate(args.checkpoint_mb)
        else:
            row = train_rate(name, args.seconds, bool(args.jit_compile))
        row["threads"] = args.threads
        row["peer"] = f"keras {keras.__version__} tensorflow {tf.__version__}"
        if args.jit_compile:
            row["jit_compile"] = True
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
