"""Writes tests/fixtures/keras3/pattern_*.keras and tests/fixtures/keras_h5/pattern_*_tfkeras.h5 with their
.npz: small models, made by real Keras 3 and tf-keras, each holding one construct that keras.applications
models and transfer-learning models built on them use, and that cairn once failed to load or compute
(tests/conformance/check_applications.py found them). tests/keras_io/application_patterns_test.cc loads
each and predicts what Keras predicted, within 1e-5.

  squeeze_excite        Keras 3: EfficientNet's and MobileNetV3's squeeze-and-excitation, Multiply of
                        (batch, rows, cols, channels) by (batch, 1, 1, channels), Add of a lower-rank
                        (batch, channels) tensor (Keras's Merge broadcasting)
  dropout_noise_shape   Keras 3: EfficientNet's Dropout(noise_shape=(None, 1, 1, 1)) in a residual block
  rescaling_per_channel Keras 3 and tf-keras: EfficientNet's preprocessing with ImageNet weights,
                        Rescaling(1/255), Normalization, Rescaling([1/sqrt(stddev) per channel]), and an
                        offset per channel
  nested_fine_tuned     tf-keras and Keras 3 legacy .h5: a base model with BatchNormalization, its first
                        layers frozen, nested in a Sequential (the .h5 lists a nested model's trainable
                        weights first, then its non-trainable ones)
  nested_functional     Keras 3: base(inputs, training=False) in a functional model (Keras 3 numbers a
                        nested model's calls from 0, tf-keras from 1)
  nested_training_false tf-keras: the transfer-learning model of TensorFlow's tutorial, a base model called
                        as base(inputs, training=False) inside a functional model (tf-keras records the
                        call argument training=False)

    .oracle-venv/bin/python tests/conformance/generate_application_patterns.py
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


def randomize(model, rng):
    """Every weight drawn: positive variances and scales, the rest around 0."""
    for variable in model.weights:
        name = variable.name.split("/")[-1].split(":")[0]
        if name in ("moving_variance", "variance", "gamma"):
            values = rng.uniform(0.5, 1.5, tuple(variable.shape))
        elif "int" in str(variable.dtype):
            continue
        else:
            values = rng.uniform(-0.6, 0.6, tuple(variable.shape))
        variable.assign(values.astype(np.float32))
    finalize_states(model)


def finalize_states(layer):
    """Normalization computes with copies of its statistics, made again by finalize_state (as loading does)."""
    for inner in getattr(layer, "layers", []):
        finalize_states(inner)
    if hasattr(layer, "finalize_state"):
        layer.finalize_state()


def squeeze_excite(rng):
    L = keras.layers
    image = keras.Input((5, 5, 4), name="image")
    x = L.Conv2D(6, 3, padding="same", activation="swish", name="expand")(image)
    squeezed = L.GlobalAveragePooling2D(keepdims=True, name="se_squeeze")(x)
    squeezed = L.Conv2D(2, 1, activation="relu", name="se_reduce")(squeezed)
    squeezed = L.Conv2D(6, 1, activation="sigmoid", name="se_expand")(squeezed)
    x = L.Multiply(name="se_excite")([x, squeezed])  # (batch, 5, 5, 6) * (batch, 1, 1, 6)
    pooled = L.GlobalMaxPooling2D(name="pooled")(x)
    shift = L.Dense(6, name="shift")(pooled)
    x = L.Add(name="shifted")([x, shift])  # (batch, 5, 5, 6) + (batch, 6): Keras expands to (batch, 1, 1, 6)
    outputs = L.Dense(3, name="scores")(L.Flatten(name="flat")(x))
    model = keras.Model(image, outputs, name="squeeze_excite")
    randomize(model, rng)
    return model, rng.uniform(-1, 1, (3, 5, 5, 4)).astype(np.float32)


def dropout_noise_shape(rng):
    L = keras.layers
    image = keras.Input((4, 4, 3), name="image")
    x = L.Conv2D(3, 3, padding="same", name="conv")(image)
    x = L.Dropout(0.3, noise_shape=(None, 1, 1, 1), name="drop")(x)
    x = L.Add(name="residual")([x, image])
    outputs = L.Dense(2, name="scores")(L.GlobalAveragePooling2D(name="pool")(x))
    model = keras.Model(image, outputs, name="dropout_noise_shape")
    randomize(model, rng)
    return model, rng.uniform(-1, 1, (3, 4, 4, 3)).astype(np.float32)


def rescaling_per_channel(keras_module, rng):
    L = keras_module.layers
    stddev = [0.229 ** 2, 0.224 ** 2, 0.225 ** 2]
    image = keras_module.Input((4, 4, 3), name="image")
    x = L.Rescaling(1.0 / 255.0, name="to_unit")(image)
    x = L.Normalization(axis=-1, name="normalize")(x)
    x = L.Rescaling([1.0 / np.sqrt(s) for s in stddev], name="per_channel")(x)
    x = L.Rescaling([0.5, 1.0, 2.0], offset=[-1.0, 0.0, 1.0], name="scale_and_offset")(x)
    outputs = L.Dense(2, name="scores")(L.Flatten(name="flat")(x))
    model = keras_module.Model(image, outputs, name="rescaling_per_channel")
    randomize(model, rng)
    return model, rng.uniform(0, 255, (3, 4, 4, 3)).astype(np.float32)


def nested_training_false(rng):
    L = tf_keras.layers
    base_input = tf_keras.Input((6, 6, 3), name="base_image")
    x = L.Conv2D(4, 3, strides=2, padding="same", use_bias=False, name="stem")(base_input)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(6.0, name="stem_relu")(x)
    base = tf_keras.Model(base_input, x, name="base")
    base.trainable = False
    image = tf_keras.Input((6, 6, 3), name="image")
    x = base(image, training=False)
    x = L.GlobalAveragePooling2D(name="pool")(x)
    x = L.Dropout(0.2, name="drop")(x)
    model = tf_keras.Model(image, L.Dense(3, name="scores")(x), name="nested_training_false")
    randomize(model, rng)
    return model, rng.uniform(-1, 1, (3, 6, 6, 3)).astype(np.float32)


def small_base(keras_module, name):
    """A base model in the applications' style: convolutions with BatchNormalization, ReLU(6)."""
    L = keras_module.layers
    image = keras_module.Input((6, 6, 3), name=name + "_image")
    x = L.Conv2D(4, 3, strides=2, padding="same", use_bias=False, name="stem")(image)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(6.0, name="stem_relu")(x)
    x = L.DepthwiseConv2D(3, padding="same", use_bias=False, name="depthwise")(x)
    x = L.BatchNormalization(name="depthwise_bn")(x)
    x = L.Conv2D(5, 1, name="project")(x)
    return keras_module.Model(image, x, name=name)


def nested_fine_tuned(keras_module, rng):
    """A Sequential around a base model whose first layers are frozen (fine-tuning): in a legacy .h5 the
    base's weights are listed trainable first, then the rest (moving statistics, frozen layers)."""
    L = keras_module.layers
    base = small_base(keras_module, "base")
    for layer in base.layers[:3]:
        layer.trainable = False
    model = keras_module.Sequential([keras_module.Input((6, 6, 3)), base, L.GlobalAveragePooling2D(name="pool"),
                                     L.Dense(3, name="scores")], name="nested_fine_tuned")
    randomize(model, rng)
    return model, rng.uniform(-1, 1, (3, 6, 6, 3)).astype(np.float32)


def nested_functional(rng):
    """Keras 3: base(inputs, training=False) in a functional model; Keras 3 numbers the base's calls from 0."""
    L = keras.layers
    base = small_base(keras, "base")
    image = keras.Input((6, 6, 3), name="image")
    x = base(image, training=False)
    x = L.GlobalAveragePooling2D(name="pool")(x)
    model = keras.Model(image, L.Dense(3, name="scores")(x), name="nested_functional")
    randomize(model, rng)
    return model, rng.uniform(-1, 1, (3, 6, 6, 3)).astype(np.float32)


def save(model, x, path, extension=None):
    """The model and its inputs and inference predictions beside it (path without extension)."""
    model.save(str(path) + (extension or (".keras" if isinstance(model, keras.Model) else ".h5")))
    write_npz(str(path) + ".npz", {"x": x, "predictions": np.asarray(model(x, training=False))})


def main():
    keras.utils.set_random_seed(11)
    tf_keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    (FIXTURES / "keras3").mkdir(parents=True, exist_ok=True)
    (FIXTURES / "keras_h5").mkdir(parents=True, exist_ok=True)
    save(*squeeze_excite(rng), FIXTURES / "keras3" / "pattern_squeeze_excite")
    save(*dropout_noise_shape(rng), FIXTURES / "keras3" / "pattern_dropout_noise_shape")
    save(*rescaling_per_channel(keras, rng), FIXTURES / "keras3" / "pattern_rescaling_per_channel")
    save(*rescaling_per_channel(tf_keras, rng), FIXTURES / "keras_h5" / "pattern_rescaling_per_channel_tfkeras")
    save(*nested_training_false(rng), FIXTURES / "keras_h5" / "pattern_nested_training_false_tfkeras")
    save(*nested_fine_tuned(tf_keras, rng), FIXTURES / "keras_h5" / "pattern_nested_fine_tuned_tfkeras")
    save(*nested_fine_tuned(keras, rng), FIXTURES / "keras_h5" / "pattern_nested_fine_tuned_keras3", ".h5")
    save(*nested_functional(rng), FIXTURES / "keras3" / "pattern_nested_functional")
    print("written to", FIXTURES)


if __name__ == "__main__":
    main()
