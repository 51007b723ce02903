"""Real Keras and TensorFlow judge files that cairn wrote: each is loaded the way a Keras user would load
it, predicts, and (where it holds an optimizer) trains one more step, and the results are compared with
what cairn recorded. Exits 0 when every file agrees, 1 with a report of each disagreement, 2 on bad usage.

    .oracle-venv/bin/python tests/conformance/check_cairn_files.py CASE_DIR [CASE_DIR ...] [--list-keys]

CASE_DIR holds a case.json in the schema generate.py writes (README.md), naming the files to check and
the data file, and the files themselves. What each file is read with, per its "format":
  keras          load_model (Keras 3, or tf-keras for "keras": "tf_keras")
  h5             load_model of the legacy whole-model HDF5 file
  weights_h5     the model built from its config, then load_weights (Keras 3's .weights.h5 layout)
  h5_weights     the model built from its config, then load_weights (the legacy HDF5 weights layout)
  tf_weights, tf_weights_sharded
                 tf-keras's load_weights of a TensorFlow checkpoint prefix, every value consumed
  tf_checkpoint  tf.train.Checkpoint(model=, optimizer=).restore(prefix).assert_consumed()
  saved_model    tf-keras's load_model, or tf.saved_model.load and its `serve` signature for Keras 3
The training check runs where Keras restores the optimizer state a file holds: not for weights-only
files, SavedModels (tf-keras revives their optimizer with fresh slots) or, in Keras 3, legacy .h5 files
(Keras 3.15 cannot step the optimizer it loads from one, even from its own files).
Every TensorFlow checkpoint is also listed by tf.train.load_checkpoint (--list-keys prints it).

The model is built from case.json's "model_config" (a Keras JSON config file in CASE_DIR) when it has
one, else from its "model" name in models.py. The data file holds "x" and cairn's predictions "y_pred"
(a model of several inputs: the arrays case.json's "inputs" names; of "outputs" > 1: "y_pred_<i>" each);
for the training check also "x_next", "y_next" and cairn's weights after that step, "next_weight_NN" in
the order of case.json's "weights" (the order of the model's layers, then of each layer's weights).
"""

import argparse
import json
import os
import pathlib
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import tensorflow as tf
import keras
import tf_keras

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.get_logger().setLevel("ERROR")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import models  # noqa: E402

GENERATIONS = {"keras3": keras, "tf_keras": tf_keras}


class Mismatch(Exception):
    pass


# Cases whose next training step in Keras is not the step its configuration describes, so that a faithful
# copy of the model (cairn's, or cairn's files loaded back into Keras) steps elsewhere; the same list, with
# the same reasons, as kKnownTrainingDifferences in tests/keras_io/conformance_test.cc.
SOFTMAX_BCE = ("Keras trains binary cross-entropy on a softmax output as sigmoid cross-entropy of the "
               "softmax's logits")
KNOWN_TRAINING_DIFFERENCES = {
    "keras3-loss_binary_crossentropy": SOFTMAX_BCE,
    "tf_keras-loss_binary_crossentropy": SOFTMAX_BCE,
    "keras3-embedding_lstm": "Keras 3 on TensorFlow squares an Embedding's gradient per occurrence of a token "
                             "(IndexedSlices) in Adam's second moment",
}


# Files of cairn's that Keras refuses, by "<case>/<file path>", with the reason: gaps cairn knows of, reported
# without failing the run; a file here that Keras loads fails it (remove the entry).
MHA_SHAPES = ("tf-keras rebuilds a MultiHeadAttention from the query_shape, key_shape and value_shape in its "
              "config, which cairn does not write (Keras 3 refuses those keys)")
KNOWN_REFUSALS = {
    "keras3-attention/model.h5": ("Keras 3 builds a MultiHeadAttention of a legacy .h5 from a build_config of "
                                  "query_shape, value_shape and key_shape; cairn writes input_shape"),
    "tf_keras-attention/model.keras": MHA_SHAPES,
    "tf_keras-attention/model.h5": MHA_SHAPES,
    "tf_keras-attention/model.weights.h5": ("tf-keras reads a MultiHeadAttention's projections of this layout "
                                            "under _query_dense..., cairn writes Keras 3's query_dense..."),
}


def scaled_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        raise Mismatch(f"shape {list(got.shape)} where cairn has {list(want.shape)}")
    if want.size == 0:
        return 0.0
    return float(np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want)))))


def compare(what, got, want, tolerance):
    error = scaled_error(got, want)
    if not error <= tolerance:  # also catches NaN
        raise Mismatch(f"{what}: scaled error {error:.3g} exceeds {tolerance:g}")
    return error


class Case:
    def __init__(self, case_dir):
        self.dir = pathlib.Path(case_dir)
        self.spec = json.loads((self.dir / "case.json").read_text())
        self.K = GENERATIONS[self.spec["keras"]]
        with np.load(self.dir / self.spec["data"], allow_pickle=False) as data:
            self.data = {key: data[key] for key in data.files}
        self.tolerance = self.spec["tolerance"]

    def build_model(self, compiled=True):
        self.K.backend.clear_session()
        if "model_config" in self.spec:
            model = self.K.models.model_from_json((self.dir / self.spec["model_config"]).read_text())
        else:
            model = models.build_model(self.K, self.spec["model"])
        if compiled:
            model.compile(optimizer=models.make_optimizer(self.K, self.spec["optimizer"]),
                          loss=self.spec["loss"], metrics=self.spec.get("metrics", []))
        return model

    def build_optimizer_variables(self, model):
        """Creates the optimizer's slots now, so that a restore must fill them (assert_consumed)."""
        opt = model.optimizer
        if hasattr(opt, "get_slot_names"):  # tf-keras's legacy optimizers make slots on the first step
            opt._create_all_weights(model.trainable_variables)
        else:
            opt.build(model.trainable_variables)

    def check_predictions(self, predict):
        # A model with several inputs names them ("inputs"); one with several outputs has y_pred_<i> each.
        x = [self.data[name] for name in self.spec["inputs"]] if "inputs" in self.spec else self.data["x"]
        outputs = self.spec.get("outputs", 1)
        if outputs == 1:
            return compare("predictions", np.asarray(predict(x)), self.data["y_pred"], self.tolerance["predict"])
        got = predict(x)
        if len(got) != outputs:
            raise Mismatch(f"predictions: {len(got)} outputs, cairn predicted {outputs}")
        return max(compare(f"predictions of output {i}", np.asarray(got[i]), self.data[f"y_pred_{i}"],
                           self.tolerance["predict"]) for i in range(outputs))

    def weights_of(self, model):
        return [w for layer in model.layers for w in layer.weights]

    def check_weights(self, model, prefix, label):
        entries = self.spec["weights"]
        weights = self.weights_of(model)
        if len(weights) != len(entries):
            raise Mismatch(f"{label}: Keras's model has {len(weights)} weights, case.json lists {len(entries)}")
        worst = 0.0
        for entry, w in zip(entries, weights):
            key = prefix + entry["key"][len("weight_"):]
            if key in self.data:
                worst = max(worst, compare(f"{label} {entry['layer']}/{entry['name']}", w.numpy(),
                                           self.data[key], self.tolerance["train_step"]))
        return worst

    def check_train_step(self, model):
        if not self.spec.get("train_step_reproducible", True) or "x_next" not in self.data:
            return None
        model.train_on_batch(self.data["x_next"], self.data["y_next"])
        return self.check_weights(model, "next_weight_", "after one more step,")


def list_checkpoint(prefix):
    reader = tf.train.load_checkpoint(str(prefix))
    dtypes = reader.get_variable_to_dtype_map()
    return [(key, dtypes[key].name, shape) for key, shape in sorted(reader.get_variable_to_shape_map().items())]


def check_file(case, entry, list_keys):
    """Returns a line of what was checked; raises Mismatch or Keras's own error otherwise."""
    fmt, path = entry["format"], case.dir / entry["path"]
    K = case.K
    notes = []
    trains = "optimizer" in entry.get("holds", [])
    if fmt in ("tf_weights", "tf_weights_sharded", "tf_checkpoint", "saved_model"):
        prefix = case.dir / entry["variables"] if fmt == "saved_model" else path
        keys = list_checkpoint(prefix)
        notes.append(f"{len(keys)} keys listed")
        if list_keys:
            for key, dtype, shape in keys:
                print(f"      {key}  {dtype}  {shape}")

    if fmt in ("keras", "h5"):
        model = K.models.load_model(str(path))
        trains = trains and model.optimizer is not None
        if fmt == "h5" and case.spec["keras"] == "keras3" and trains:
            # Keras 3.15 loads the optimizer of a legacy .h5 but cannot step it ("This optimizer can only
            # be called for the variables it was originally built with"), even on its own files.
            trains = False
            notes.append("Keras 3 cannot train on a loaded legacy .h5")
    elif fmt in ("weights_h5", "h5_weights"):
        model = case.build_model()
        model.load_weights(str(path))
    elif fmt in ("tf_weights", "tf_weights_sharded"):
        model = case.build_model()
        if trains:
            case.build_optimizer_variables(model)
        model.load_weights(str(path)).assert_consumed()
    elif fmt == "tf_checkpoint":
        model = case.build_model()
        case.build_optimizer_variables(model)
        objects = {name: {"model": model, "optimizer": model.optimizer}[name]
                   for name in entry.get("checkpoint_objects", ["model", "optimizer"])}
        tf.train.Checkpoint(**objects).restore(str(path)).assert_consumed()
    elif fmt == "saved_model":
        if case.spec["keras"] == "tf_keras":
            model = K.models.load_model(str(path))
            # tf-keras revives a SavedModel's optimizer from the training config with fresh slots.
            trains = False
        else:
            served = tf.saved_model.load(str(path))
            error = case.check_predictions(lambda x: served.serve(tf.constant(x)))
            return f"predictions within {error:.2g}; " + "; ".join(notes)
    else:
        raise Mismatch(f"unknown format {fmt!r}")

    error = case.check_predictions(lambda x: model.predict(x, verbose=0))
    line = f"predictions within {error:.2g}"
    if trains:
        known = KNOWN_TRAINING_DIFFERENCES.get(case.spec.get("case", ""))
        try:
            step_error = case.check_train_step(model)
        except Mismatch as e:
            if not known:
                raise
            notes.append(f"next step differs as known ({e}): {known}")
            step_error = None
        if step_error is not None:
            line += f", next step within {step_error:.2g}"
    return "; ".join([line] + notes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case_dirs", nargs="+", type=pathlib.Path)
    parser.add_argument("--list-keys", action="store_true", help="print every checkpoint's keys, dtypes, shapes")
    args = parser.parse_args()
    failures = 0
    for case_dir in args.case_dirs:
        if not (case_dir / "case.json").is_file():
            print(f"{case_dir}: no case.json", file=sys.stderr)
            return 2
        case = Case(case_dir)
        print(f"{case.spec['case']} ({case.spec['keras']}, {case.K.__version__})")
        for entry in case.spec["files"]:
            label = f"  {entry['format']:<18} {entry['path']}"
            known = KNOWN_REFUSALS.get(f"{case.spec['case']}/{entry['path']}")
            try:
                line = check_file(case, entry, args.list_keys)
            except Exception as e:  # Keras's or TensorFlow's refusal is the finding: report it whole
                if known:
                    print(f"{label}: refused, as known: {known}")
                    continue
                failures += 1
                if isinstance(e, Mismatch):
                    print(f"{label}: MISMATCH: {e}")
                    continue
                last = traceback.extract_tb(e.__traceback__)[-1]
                message = " ".join(str(e).split())
                print(f"{label}: REFUSED by {type(e).__name__} ({pathlib.Path(last.filename).name}:"
                      f"{last.lineno}): {message[:600]}")
                continue
            if known:
                failures += 1
                print(f"{label}: ok, {line}; it loads now: remove its known refusal")
            else:
                print(f"{label}: ok, {line}")
    print(f"{failures} file(s) failed" if failures else "all files agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
