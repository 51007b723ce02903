"""The peers of build/bench/bench_layer_kernels: the same layers, shapes and step (forward in training
mode, gradients of sum(y * r) with respect to the inputs and the trainable weights) in PyTorch 2.13 and in
Keras 3 on TensorFlow 2.21, one thread each. Run in the oracle environment:

    .oracle-venv/bin/python bench/layer_peers.py --seconds 3 [--only LayerNormalization,GRU]

Prints one JSON line per layer and framework: {"framework", "layer", "shape", "step_ms"}.
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import tensorflow as tf
import keras
import torch

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
torch.set_num_threads(1)

L = keras.layers
CASES = [
    ("BatchNormalization", lambda: L.BatchNormalization(), lambda: torch.nn.BatchNorm2d(64), [(32, 16, 16, 64)]),
    ("LayerNormalization", lambda: L.LayerNormalization(), lambda: torch.nn.LayerNorm(256), [(32, 128, 256)]),
    ("GRU", lambda: L.GRU(64), lambda: torch.nn.GRU(32, 64, batch_first=True), [(32, 50, 32)]),
    ("SimpleRNN", lambda: L.SimpleRNN(64), lambda: torch.nn.RNN(32, 64, batch_first=True), [(32, 50, 32)]),
    ("MultiHeadAttention", lambda: L.MultiHeadAttention(4, 32),
     lambda: torch.nn.MultiheadAttention(128, 4, batch_first=True), [(16, 64, 128), (16, 64, 128)]),
    ("Conv1D", lambda: L.Conv1D(64, 5, padding="same"), lambda: torch.nn.Conv1d(64, 64, 5, padding=2),
     [(32, 128, 64)]),
    ("AveragePooling2D", lambda: L.AveragePooling2D(2), lambda: torch.nn.AvgPool2d(2), [(32, 32, 32, 32)]),
    ("GlobalAveragePooling2D", lambda: L.GlobalAveragePooling2D(), lambda: torch.nn.AdaptiveAvgPool2d(1),
     [(32, 16, 16, 64)]),
    # 'same' with stride 2 is PyTorch's padding 1 and output_padding 1 (the output doubles the input).
    ("Conv2DTranspose", lambda: L.Conv2DTranspose(32, 3, strides=2, padding="same"),
     lambda: torch.nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), [(32, 16, 16, 64)]),
    ("DepthwiseConv2D", lambda: L.DepthwiseConv2D(3, padding="same"),
     lambda: torch.nn.Conv2d(64, 64, 3, padding=1, groups=64), [(32, 32, 32, 64)]),
]


def timed(step, seconds):
    for _ in range(2):
        step()
    start, steps = time.perf_counter(), 0
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return 1000 * elapsed / steps


def keras_step(make, shapes, seconds):
    rng = np.random.default_rng(1)
    xs = [tf.constant(rng.uniform(-1, 1, s).astype(np.float32)) for s in shapes]
    layer = make()
    y = layer(*xs) if len(xs) > 1 else layer(xs[0])
    r = tf.constant(rng.uniform(-1, 1, tuple(y.shape)).astype(np.float32))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(xs)
            out = layer(*xs, training=True) if len(xs) > 1 else layer(xs[0], training=True)
            loss = tf.reduce_sum(out * r)
        return tape.gradient(loss, xs + layer.trainable_weights)

    return timed(step, seconds)


def channels_first(shape):
    """PyTorch's layout of a channels-last shape: (N, C, L) or (N, C, H, W)."""
    return (shape[0], shape[-1]) + tuple(shape[1:-1])


def torch_step(name, make, shapes, seconds):
    torch.manual_seed(1)
    module = make()
    if name in ("BatchNormalization", "Conv1D", "AveragePooling2D", "GlobalAveragePooling2D", "Conv2DTranspose",
                "DepthwiseConv2D"):
        shapes = [channels_first(s) for s in shapes]
    xs = [torch.empty(s).uniform_(-1, 1).requires_grad_() for s in shapes]

    def forward():
        if name == "MultiHeadAttention":  # query, key, value; the output without the attention weights
            return module(xs[0], xs[1], xs[1], need_weights=False)[0]
        if name in ("GRU", "SimpleRNN"):  # the last state, as Keras returns without return_sequences
            return module(xs[0])[1]
        return module(xs[0])

    r = torch.empty(forward().shape).uniform_(-1, 1)

    def step():
        loss = (forward() * r).sum()
        torch.autograd.grad(loss, xs + [p for p in module.parameters()])

    return timed(step, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--only", help="comma-separated layer names (default: every layer)")
    args = parser.parse_args()
    for name, make_keras, make_torch, shapes in CASES:
        if args.only and name not in args.only.split(","):
            continue
        shape = " ".join(str(tuple(s)) for s in shapes)
        for framework, ms in (("torch", torch_step(name, make_torch, shapes, args.seconds)),
                              ("keras3-tf", keras_step(make_keras, shapes, args.seconds))):
            print(json.dumps({"framework": framework, "layer": name, "shape": shape, "step_ms": round(ms, 3)}),
                  flush=True)


if __name__ == "__main__":
    main()
