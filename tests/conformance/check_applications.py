"""keras.applications models, as real Keras writes them, loaded and run by cairn.

The most common Keras files users bring are keras.applications models and models built on them
(transfer learning: a base model nested in a Sequential or functional model, then GlobalAveragePooling2D
and Dense). For each application below this script builds it with weights=None at a small input size,
draws every weight (BatchNormalization's statistics and scales included) from a fixed seed, and has it in
four models:

  keras3/plain       Keras 3: the application with its classifier (10 classes, logits)
  keras3/nested      Keras 3: the application without its top nested in a transfer-learning model (a
                     Sequential for every other application, a functional model with base(x,
                     training=False) for the rest), then GlobalAveragePooling2D, Dropout and Dense(5)
  tf_keras/plain     tf-keras 2 (tf_keras.applications), as keras3/plain
  tf_keras/nested    tf-keras 2, nested the other way round from keras3/nested
  */tutorial         for MobileNetV2, the model of TensorFlow's transfer-learning tutorial: RandomFlip and
                     RandomRotation, mobilenet_v2.preprocess_input, the frozen base called with
                     training=False, GlobalAveragePooling2D, Dropout, Dense(1)

each saved in Keras 3's `.keras`, `.weights.h5` (with model.to_json() as --model) and legacy `.h5`, and in
tf-keras's legacy `.h5` and save_weights' TensorFlow checkpoint (save_format="tf", with the JSON config). cairn
predicts from each file (`cairn predict --raw --output`), for two random images, what Keras predicted. A
file passes when max|cairn - Keras| <= 1e-4 * max|Keras| (deep nets' float32 sums are taken in another
order). Known failures (KNOWN below) are listed with their reason and must fail with their message; one
that passes is reported so that it is taken off the list. Exits 0 when every other file passes; takes
about five minutes on two cores.

    .oracle-venv/bin/python tests/conformance/check_applications.py CAIRN [--only SUBSTRING] [--formats F,G]
        [--update-doc docs/conformance.md]

CAIRN is build/tools/cairn. Files go to a temporary directory that is removed at the end.
"""

import argparse
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.get_logger().setLevel("ERROR")

import keras  # noqa: E402
import tf_keras  # noqa: E402

TOLERANCE = 1e-4

# (application, input size, input range). The sizes are the smallest each accepts with weights=None (or
# near it); the models that preprocess inside (Rescaling, Normalization) take pixel values.
APPLICATIONS = [
    ("MobileNet", 32, (-1, 1)),
    ("MobileNetV2", 32, (-1, 1)),
    ("MobileNetV3Small", 32, (0, 255)),
    ("ResNet50", 32, (-1, 1)),
    ("ResNet50V2", 32, (-1, 1)),
    ("DenseNet121", 32, (-1, 1)),
    ("EfficientNetB0", 32, (0, 255)),
    ("EfficientNetV2B0", 32, (0, 255)),
    ("VGG16", 32, (-1, 1)),
    ("InceptionV3", 75, (-1, 1)),
    ("Xception", 71, (-1, 1)),
    ("NASNetMobile", 32, (-1, 1)),
    ("ConvNeXtTiny", 32, (0, 255)),
]

# The application of the "tutorial" models, TensorFlow's transfer-learning tutorial
# (tensorflow.org/tutorials/images/transfer_learning) at a small size.
TUTORIAL_BASE, TUTORIAL_MODULE = "MobileNetV2", "mobilenet_v2"

# "application/generation/variant/format" patterns (fnmatch) -> (a piece of cairn's message, why). Each
# must fail with that message (docs/conformance.md lists them).
KNOWN = {
    "MobileNetV2/*/tutorial/*": ("RandomFlip", "cairn has no image augmentation layers (RandomFlip, RandomRotation); "
                                 "Keras runs them as the identity at inference"),
    "MobileNetV3Small/keras3/*/h5": ("a call argument that is not a Keras tensor",
                                     "Keras 3's legacy .h5 config of keras.ops calls on a number (x + 3.0) is not read "
                                     "yet; its .keras is"),
}


def known_failure(name):
    for pattern, known in KNOWN.items():
        if fnmatch.fnmatchcase(name, pattern):
            return known
    return None


def weight_values(name, shape, dtype, rng):
    """Values that make every weight matter: positive scales and variances, small offsets, kernels as drawn."""
    if "int" in dtype:
        return None
    if name in ("moving_variance", "variance"):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if name == "gamma":
        return rng.uniform(0.7, 1.3, shape).astype(np.float32)
    if name in ("moving_mean", "mean", "beta", "bias"):
        return rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    return None  # kernels keep their (seeded) initial values


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        name = variable.name.split("/")[-1].split(":")[0]
        dtype = variable.dtype if isinstance(variable.dtype, str) else variable.dtype.name
        values = weight_values(name, tuple(variable.shape), dtype, rng)
        if values is not None:
            variable.assign(values)
    finalize_states(model)


def finalize_states(layer):
    """Normalization computes with copies of its statistics, made again by finalize_state (as loading does)."""
    for inner in getattr(layer, "layers", []):
        finalize_states(inner)
    if hasattr(layer, "finalize_state"):
        layer.finalize_state()


def build(keras_module, application, size, variant, functional_nesting):
    """The model of one case: the application itself, or nested in a transfer-learning model."""
    make = getattr(keras_module.applications, application)
    shape = (size, size, 3)
    L = keras_module.layers
    if variant == "plain":
        return make(weights=None, input_shape=shape, classes=10, classifier_activation=None)
    base = make(weights=None, input_shape=shape, include_top=False)
    if variant == "tutorial":
        # TensorFlow's transfer-learning tutorial, as written: augmentation, the application's own
        # preprocess_input on the symbolic tensor, the frozen base called with training=False.
        augmentation = keras_module.Sequential([L.RandomFlip("horizontal"), L.RandomRotation(0.2)])
        preprocess_input = getattr(keras_module.applications, TUTORIAL_MODULE).preprocess_input
        base.trainable = False
        inputs = keras_module.Input(shape)
        x = preprocess_input(augmentation(inputs))
        x = base(x, training=False)
        x = L.GlobalAveragePooling2D()(x)
        x = L.Dropout(0.2)(x)
        return keras_module.Model(inputs, L.Dense(1)(x))
    if functional_nesting:
        inputs = keras_module.Input(shape)
        x = base(inputs, training=False)
        x = L.GlobalAveragePooling2D()(x)
        x = L.Dropout(0.2)(x)
        return keras_module.Model(inputs, L.Dense(5)(x))
    return keras_module.Sequential([keras_module.Input(shape), base, L.GlobalAveragePooling2D(), L.Dropout(0.2), L.Dense(5)])


def run_cairn(cairn, arguments, y_path):
    """cairn's predictions, or the last line of its error."""
    try:
        done = subprocess.run([cairn, "predict", "--raw", "--output", y_path] + arguments,
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None, "timed out after 300 s"
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).strip().splitlines() if line.strip()]
        return None, lines[-1] if lines else f"exit status {done.returncode}"
    return np.load(y_path), None


# The files of each generation: (format, how it is saved: returns cairn predict's arguments after --input X).
def save_whole(model, stem, extension):
    model.save(stem + extension)
    return [stem + extension]


def save_weights_with_config(model, stem, weights_path, **options):
    with open(stem + ".json", "w") as out:
        out.write(model.to_json())
    model.save_weights(weights_path, **options)
    return ["--model", stem + ".json", weights_path]


FORMATS = {
    "keras3": [
        ("keras", lambda model, stem: save_whole(model, stem, ".keras")),
        ("weights_h5", lambda model, stem: save_weights_with_config(model, stem, stem + ".weights.h5")),
        ("h5", lambda model, stem: save_whole(model, stem, ".h5")),
    ],
    "tf_keras": [
        ("h5", lambda model, stem: save_whole(model, stem, ".h5")),
        ("tf_weights", lambda model, stem: save_weights_with_config(model, stem, os.path.join(stem + "-ckpt", "weights"),
                                                                    save_format="tf")),
    ],
}


def check(cairn, work, application, size, value_range, generation, variant, index, formats):
    """For each format: (nesting, error or None, max relative difference or None)."""
    keras_module = keras if generation == "keras3" else tf_keras
    keras_module.backend.clear_session()
    seed = zlib.crc32(f"{application}/{generation}/{variant}".encode())
    keras_module.utils.set_random_seed(seed % (2 ** 31))
    # Both kinds of nesting in each generation: the odd applications' roles are swapped.
    functional_nesting = (index % 2 == 1) == (generation == "keras3")
    nesting = "" if variant != "nested" else (" (functional)" if functional_nesting else " (Sequential)")
    model = build(keras_module, application, size, variant, functional_nesting)
    randomize(model, seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.uniform(value_range[0], value_range[1], (2, size, size, 3)).astype(np.float32)
    want = np.asarray(model(x, training=False))
    results = {}
    for fmt, save in FORMATS[generation]:
        if formats and fmt not in formats:
            continue
        case_dir = tempfile.mkdtemp(dir=work)
        stem = os.path.join(case_dir, application)
        np.save(stem + "-x.npy", x)
        try:
            arguments = save(model, stem)
        except Exception as e:  # Keras itself could not save it
            results[fmt] = (nesting, f"Keras: {type(e).__name__}: {e}".splitlines()[0], None)
            continue
        got, error = run_cairn(cairn, ["--input", stem + "-x.npy"] + arguments, stem + "-y.npy")
        shutil.rmtree(case_dir)
        if error is not None:
            error = error.replace(case_dir + os.sep, "")  # the file's name without the temporary directory
        if error is None and got.shape != want.shape:
            error = f"predictions of shape {got.shape}, Keras {want.shape}"
        difference = None
        if error is None:
            difference = float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30))
        results[fmt] = (nesting, error, difference)
    return results


HEADING = "## keras.applications models, written by Keras, read by cairn"


def update_doc(path, rows, summary):
    """Replaces the section HEADING (to the end of the file) of `path`, or adds it."""
    with open(path) as f:
        text = f.read()
    at = text.find(HEADING)
    kept = (text if at < 0 else text[:at]).rstrip("\n") + "\n\n"
    lines = [HEADING, "",
             "Generated by `tests/conformance/check_applications.py build/tools/cairn --update-doc docs/conformance.md` "
             "(scripts/conformance runs it): keras.applications models built by Keras 3.15 and tf-keras 2.21 with "
             "weights=None, every weight drawn, plain and nested in a transfer-learning model, saved in each format; "
             "a file passes when cairn predicts what Keras predicted within 1e-4 of the output's scale. See the "
             "script's docstring for the models and formats.", "",
             "| application / generation / model / format | result |", "| --- | --- |"]
    lines += [f"| {case} | {result.replace('|', '/')} |" for case, result in rows]
    lines += ["", summary + ".", "",
              "A call recorded with training=False, as transfer-learning models call their base, is read as a plain "
              "call (cairn's caller says training): predictions agree, and a frozen base (trainable false, as the file "
              "says) keeps its BatchNormalization in inference mode while fitting, as in Keras; but fitting with the "
              "base trainable, cairn trains its BatchNormalization statistics, which Keras keeps fixed under "
              "training=False."]
    with open(path, "w") as f:
        f.write(kept + "\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cairn", help="build/tools/cairn")
    parser.add_argument("--only", default="", help="check only the cases whose name contains this")
    parser.add_argument("--formats", default="", help="only these formats, comma-separated (keras, weights_h5, h5, tf_weights)")
    parser.add_argument("--update-doc", metavar="FILE",
                        help="write the results as the section '%s' at the end of FILE (docs/conformance.md)" % HEADING)
    args = parser.parse_args()

    rows, failures = [], []
    formats = set(args.formats.split(",")) if args.formats else set()
    with tempfile.TemporaryDirectory(prefix="cairn-applications-") as work:
        for index, (application, size, value_range) in enumerate(APPLICATIONS):
            for generation in ("keras3", "tf_keras"):
                for variant in ("plain", "nested") + (("tutorial",) if application == TUTORIAL_BASE else ()):
                    case = f"{application}/{generation}/{variant}"
                    if args.only not in case:
                        continue
                    start = time.time()
                    try:
                        results = check(args.cairn, work, application, size, value_range, generation, variant, index,
                                        formats)
                    except Exception as e:  # Keras itself could not build it
                        results = {"-": ("", f"Keras: {type(e).__name__}: {e}".splitlines()[0], None)}
                    seconds = time.time() - start
                    for fmt, (nesting, error, difference) in results.items():
                        name = f"{case}/{fmt}"
                        known = known_failure(name)
                        if error is not None and len(error) > 300:
                            error = error[:300] + "..."
                        if error is None and difference <= TOLERANCE:
                            result = f"pass (max relative difference {difference:.1e})"
                            if known:
                                failures.append(f"{name}: passes now; take it off KNOWN")
                        elif error is None:
                            result = f"predicts differently: max relative difference {difference:.3g}"
                            failures.append(f"{name}: {result}")
                        elif known and known[0] in error:
                            result = f"known: {error} ({known[1]})"
                        else:
                            result = f"fails: {error}"
                            failures.append(f"{name}: {result}")
                        print(f"{name}{nesting}: {result}", flush=True)
                        rows.append((name + nesting, result))
                    print(f"  [{case}: {seconds:.1f} s]", flush=True)
    passed = sum(1 for _, result in rows if result.startswith("pass"))
    summary = f"{passed} of {len(rows)} files pass"
    print(summary)
    if args.update_doc:
        update_doc(args.update_doc, rows, summary)
    for failure in failures:
        print("FAILED " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
