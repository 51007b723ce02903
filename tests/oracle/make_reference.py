"""Makes tests/oracle/reference.npz: PyTorch's forward and backward of Dense, Conv2D, MaxPooling2D, LSTM
and Embedding, which tests/oracle/oracle_test.cc compares with cairn's (so CI needs no PyTorch).

Regenerate in the oracle environment (scripts/setup --oracle; the committed file was made with Debian's
PyTorch 1.13, so a regeneration changes its bytes, not what the test checks):

    .oracle-venv/bin/python tests/oracle/make_reference.py

The output is byte-for-byte the same on every run with the same PyTorch and NumPy: inputs come from fixed
seeds, PyTorch runs on one thread, and the archive is written with fixed timestamps (numpy.savez stamps
the current time into the zip).

Everything is stored in Keras layout under "<case>.<name>":
  x                      the layer input, float32 (int64 ids for Embedding)
  <weight>               each weight under the short name cairn's Layer::own_weights() gives it
                         (kernel, bias, recurrent_kernel, embeddings), float32
  w                      fixed random weights of the objective sum(output * w), float32
  y                      the output, float64
  grad.x, grad.<weight>  gradients of the objective, float64 (no grad.x for Embedding's integer ids)
  <compared>.torch32_error  for each float64 tensor: max|float32 result - float64 result| / max|float64
                         result| when PyTorch itself computes in float32, the yardstick for the tolerance
The float32 inputs are exactly what cairn computes with; the float64 results are PyTorch's on the same
values, so the difference the test sees is cairn's float32 rounding alone.

Layout conversions (Keras -> PyTorch): Dense kernel (in, out) -> weight (out, in); images NHWC -> NCHW;
Conv2D kernel (kh, kw, in, out) -> (out, in, kh, kw); LSTM kernel (in, 4u) -> weight_ih (4u, in),
recurrent_kernel (u, 4u) -> weight_hh (4u, u), bias -> bias_ih with bias_hh = 0 (both gate orders are
input, forget, cell, output). TensorFlow's 'same' padding puts the odd pixel after the image (bottom,
right); PyTorch pads symmetrically, so 'same' is emulated with an explicit F.pad (-inf for max pooling,
where padded positions must never win) and no padding in the op.
"""

import io
import math
import pathlib
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

OUTPUT = pathlib.Path(__file__).resolve().parent / "reference.npz"


def uniform(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def nchw_to_nhwc(t):
    return t.permute(0, 2, 3, 1)


def tf_same_padding(size, window, stride):
    """(before, after) padding of TensorFlow's 'same' along one axis."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def spatial_padding(x_nhwc_shape, window, strides, padding):
    """F.pad's (left, right, top, bottom) for an NCHW tensor."""
    if padding == "valid":
        return (0, 0, 0, 0)
    top, bottom = tf_same_padding(x_nhwc_shape[1], window[0], strides[0])
    left, right = tf_same_padding(x_nhwc_shape[2], window[1], strides[1])
    return (left, right, top, bottom)


# Each runner takes the Keras-layout arrays (float32 numpy) and a torch dtype, converts them to PyTorch's
# layout as leaf tensors, and returns the output in Keras layout and, per Keras name, the leaf and the
# function that brings its gradient back to Keras layout.

def leaf(array, dtype):
    return torch.tensor(array, dtype=dtype, requires_grad=True)


def identity(grad):
    return grad


def run_dense(arrays, dtype):
    x = leaf(arrays["x"], dtype)
    weight = leaf(arrays["kernel"].T, dtype)  # (out, in)
    bias = leaf(arrays["bias"], dtype)
    y = F.linear(x, weight, bias)
    return y, {"x": (x, identity), "kernel": (weight, lambda g: g.T), "bias": (bias, identity)}


def conv_runner(strides, padding):
    def run(arrays, dtype):
        x = leaf(np.transpose(arrays["x"], (0, 3, 1, 2)), dtype)  # NHWC -> NCHW
        # (kh, kw, in, out) -> (out, in, kh, kw)
        weight = leaf(np.transpose(arrays["kernel"], (3, 2, 0, 1)), dtype)
        bias = leaf(arrays["bias"], dtype)
        pads = spatial_padding(arrays["x"].shape, arrays["kernel"].shape[:2], strides, padding)
        y = nchw_to_nhwc(F.conv2d(F.pad(x, pads), weight, bias, stride=strides))
        return y, {"x": (x, nchw_to_nhwc), "kernel": (weight, lambda g: g.permute(2, 3, 1, 0)),
                   "bias": (bias, identity)}
    return run


def pool_runner(pool_size, strides, padding):
    def run(arrays, dtype):
        x = leaf(np.transpose(arrays["x"], (0, 3, 1, 2)), dtype)
        pads = spatial_padding(arrays["x"].shape, pool_size, strides, padding)
        y = nchw_to_nhwc(F.max_pool2d(F.pad(x, pads, value=-math.inf), pool_size, stride=strides))
        return y, {"x": (x, nchw_to_nhwc)}
    return run


def lstm_runner(return_sequences):
    def run(arrays, dtype):
        features, four_units = arrays["kernel"].shape
        lstm = torch.nn.LSTM(features, four_units // 4, batch_first=True).to(dtype)
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.from_numpy(arrays["kernel"].T))
            lstm.weight_hh_l0.copy_(torch.from_numpy(arrays["recurrent_kernel"].T))
            lstm.bias_ih_l0.copy_(torch.from_numpy(arrays["bias"]))
            lstm.bias_hh_l0.zero_()  # Keras has one bias where PyTorch adds two
        x = leaf(arrays["x"], dtype)
        sequence, _ = lstm(x)
        y = sequence if return_sequences else sequence[:, -1]
        transpose = lambda g: g.T
        return y, {"x": (x, identity), "kernel": (lstm.weight_ih_l0, transpose),
                   "recurrent_kernel": (lstm.weight_hh_l0, transpose), "bias": (lstm.bias_ih_l0, identity)}
    return run


def run_embedding(arrays, dtype):
    table = leaf(arrays["embeddings"], dtype)
    y = F.embedding(torch.from_numpy(arrays["x"]), table)
    return y, {"embeddings": (table, identity)}


def forward_backward(run, arrays, dtype):
    """The output and the gradients of sum(output * w), in Keras layout, as numpy arrays."""
    y, leaves = run(arrays, dtype)
    (y * torch.tensor(arrays["w"], dtype=dtype)).sum().backward()
    grads = {f"grad.{name}": to_keras(t.grad) for name, (t, to_keras) in leaves.items()}
    return {name: t.detach().contiguous().numpy() for name, t in {"y": y, **grads}.items()}


def conv_case(rng, x_shape, kernel_hw, filters, strides, padding):
    channels = x_shape[3]
    inputs = {"x": uniform(rng, x_shape),
              "kernel": uniform(rng, (*kernel_hw, channels, filters), -0.5, 0.5),
              "bias": uniform(rng, (filters,), -0.5, 0.5)}
    return inputs, conv_runner(strides, padding)


def lstm_case(rng, x_shape, units, return_sequences):
    features = x_shape[2]
    inputs = {"x": uniform(rng, x_shape),
              "kernel": uniform(rng, (features, 4 * units), -0.5, 0.5),
              "recurrent_kernel": uniform(rng, (units, 4 * units), -0.5, 0.5),
              "bias": uniform(rng, (4 * units,), -0.5, 0.5)}
    return inputs, lstm_runner(return_sequences)


def make_cases(rng):
    """(name, Keras-layout inputs, runner). The C++ test builds the same layers under the same names."""
    return [
        ("dense", {"x": uniform(rng, (4, 6)), "kernel": uniform(rng, (6, 5), -0.5, 0.5),
                   "bias": uniform(rng, (5,), -0.5, 0.5)}, run_dense),
        # 6x5 'same' 3x3 stride 1: one pixel of padding on every side.
        ("conv2d_same_stride1", *conv_case(rng, (2, 6, 5, 3), (3, 3), 4, (1, 1), "same")),
        # 9x8 'valid' 3x3 stride 2: 4x3 outputs, the last row and column of the input unused.
        ("conv2d_valid_stride2", *conv_case(rng, (2, 9, 8, 3), (3, 3), 4, (2, 2), "valid")),
        # 7x9 'same' 4x3 stride 2: rows padded 1 above and 2 below (TensorFlow's asymmetric split).
        ("conv2d_same_stride2_odd", *conv_case(rng, (2, 7, 9, 3), (4, 3), 4, (2, 2), "same")),
        # 8x6 'same' 3x3 stride 2: padded 0 before and 1 after on both axes, where PyTorch would pad 1/1.
        ("conv2d_same_stride2_even", *conv_case(rng, (2, 8, 6, 2), (3, 3), 3, (2, 2), "same")),
        ("max_pooling2d_valid_2x2", {"x": uniform(rng, (2, 6, 7, 3))}, pool_runner((2, 2), (2, 2), "valid")),
        # 7x8 'same' 3x3 stride 2: rows padded 1/1, columns 0/1.
        ("max_pooling2d_same_3x3", {"x": uniform(rng, (2, 7, 8, 3))}, pool_runner((3, 3), (2, 2), "same")),
        # 5x7 'same' 2x2 stride 2: the last row and column of windows hold a single padded line.
        ("max_pooling2d_same_2x2", {"x": uniform(rng, (2, 5, 7, 2))}, pool_runner((2, 2), (2, 2), "same")),
        ("lstm_sequences", *lstm_case(rng, (3, 5, 4), 6, True)),
        ("lstm_last", *lstm_case(rng, (2, 7, 3), 5, False)),
        # 18 ids drawn from 7 values must repeat, so rows of the table gather several gradients.
        ("embedding", {"embeddings": uniform(rng, (10, 4)),
                       "x": rng.integers(0, 7, size=(3, 6)).astype(np.int64)}, run_embedding),
    ]


def relative_error(approx, exact):
    scale = np.max(np.abs(exact))
    return np.max(np.abs(approx.astype(np.float64) - exact)) / scale


def build_reference():
    rng = np.random.default_rng(20240611)
    stored = {}
    for name, inputs, run in make_cases(rng):
        output_shape = tuple(run(inputs, torch.float64)[0].shape)
        inputs["w"] = uniform(rng, output_shape)
        exact = forward_backward(run, inputs, torch.float64)
        approx = forward_backward(run, inputs, torch.float32)
        for key, value in inputs.items():
            stored[f"{name}.{key}"] = value
        for key, value in exact.items():
            stored[f"{name}.{key}"] = value
            error = relative_error(approx[key], value)
            stored[f"{name}.{key}.torch32_error"] = np.array(error)
            print(f"{name:26s} {key:22s} shape {str(value.shape):14s} PyTorch float32 error {error:.2e}")
    return stored


def write_npz(path, arrays):
    """Like numpy.savez, but with fixed timestamps and permissions so that the bytes are reproducible."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(value, order="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def main():
    torch.set_num_threads(1)
    arrays = build_reference()
    write_npz(OUTPUT, arrays)
    with np.load(OUTPUT) as check:  # readable by numpy, and nothing lost
        assert sorted(check.files) == sorted(arrays)
        assert all(np.array_equal(check[k], v) for k, v in arrays.items())
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(arrays)} arrays)")


if __name__ == "__main__":
    main()
