"""Writes tests/conformance/cases/: small models trained by real Keras, saved in every way Keras and
TensorFlow save, with what Keras predicts and where one more training step takes the weights.

Run in the oracle environment (scripts/setup --oracle):

    .oracle-venv/bin/python tests/conformance/generate.py [--out DIR] [--only SUBSTRING]

Each case is one model trained by one Keras generation: `keras3` (Keras 3 on TensorFlow) or `tf_keras`
(Keras 2, the tf-keras package). Its directory holds the saved files, `data.npz` and `case.json`, which
describes them (see README.md). Runs are deterministic: fixed seeds, one TensorFlow thread, TensorFlow's
deterministic ops, oneDNN's reordered float math off, and data.npz written with fixed zip timestamps.
The saved files are the same numbers each run; their bytes may differ where Keras or TensorFlow stamp a
date (a .keras file's metadata.json) or a random id (a SavedModel's fingerprint).
"""

import argparse
import io
import json
import os
import pathlib
import shutil
import sys
import tempfile
import zipfile

# Before TensorFlow loads: quiet logs and the same float math on every machine.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np
import tensorflow as tf
import keras
import tf_keras

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
tf.get_logger().setLevel("ERROR")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import models  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
GENERATIONS = {"keras3": keras, "tf_keras": tf_keras}
TOLERANCE = {
    "predict": 1e-5,
    "train_step": 1e-5,
    "scale": "an error is max|got - want| / max(1, max|want|), per array",
}

# Every format each generation saves a model case in. Optimizer and loss cases take the formats that
# carry an optimizer or a training config (SAVES_STATE), since their weights alone say nothing new.
FORMATS = {
    "keras3": ["keras", "weights_h5", "h5", "tf_checkpoint", "saved_model"],
    "tf_keras": ["h5", "h5_weights", "keras", "weights_h5", "tf_weights", "tf_weights_sharded",
                 "tf_checkpoint", "saved_model"],
}
SAVES_STATE = {"keras", "h5", "tf_weights", "tf_checkpoint"}


def optimizer(class_name, legacy=False, **config):
    return {"class": class_name, "legacy": legacy, "config": config}


def cases_for(generation):
    """(case name, model, loss, metrics, optimizer spec, formats) of one generation."""
    formats = FORMATS[generation]
    state_formats = [f for f in formats if f in SAVES_STATE]
    cases = [
        ("dense_mlp", "dense_mlp", "sparse_categorical_crossentropy", ["accuracy"],
         optimizer("Adam", learning_rate=0.01), formats),
        ("dropout", "dropout", "sparse_categorical_crossentropy", ["accuracy"],
         optimizer("SGD", learning_rate=0.1), formats),
        ("flatten_activation", "flatten_activation", "categorical_crossentropy", ["accuracy"],
         optimizer("RMSprop", learning_rate=0.01), formats),
        ("conv_pool", "conv_pool", "sparse_categorical_crossentropy", ["accuracy"],
         optimizer("SGD", learning_rate=0.05, momentum=0.9), formats),
        ("embedding_lstm", "embedding_lstm", "binary_crossentropy", ["accuracy"],
         optimizer("Adam", learning_rate=0.01), formats),
        ("functional_merge", "functional_merge", "mean_squared_error", ["mae"],
         optimizer("Adagrad", learning_rate=0.1), formats),
        # MultiHeadAttention's projections are objects of their own (_query_dense... in checkpoints).
        ("attention", "attention", "sparse_categorical_crossentropy", ["accuracy"],
         optimizer("Adam", learning_rate=0.01), formats),
    ]
    optimizers = {
        "sgd": optimizer("SGD", learning_rate=0.1),
        "sgd_momentum": optimizer("SGD", learning_rate=0.1, momentum=0.9),
        "sgd_nesterov": optimizer("SGD", learning_rate=0.1, momentum=0.9, nesterov=True),
        "adam": optimizer("Adam", learning_rate=0.01),
        "adam_amsgrad": optimizer("Adam", learning_rate=0.01, amsgrad=True),
        "adagrad": optimizer("Adagrad", learning_rate=0.1, initial_accumulator_value=0.2),
        # An epsilon large enough that where it is added (inside the square root, or after it as the
        # legacy optimizers do) changes the step by more than the tolerance.
        "adagrad_epsilon": optimizer("Adagrad", learning_rate=0.1, initial_accumulator_value=0.01, epsilon=0.01),
        "rmsprop": optimizer("RMSprop", learning_rate=0.01),
        "rmsprop_momentum_centered": optimizer("RMSprop", learning_rate=0.01, momentum=0.5, centered=True),
    }
    if generation == "tf_keras":
        # TF 2.0-2.10's optimizers, still in tf-keras: their checkpoints keep slots beside each variable.
        optimizers.update({
            "legacy_sgd_momentum": optimizer("SGD", legacy=True, learning_rate=0.1, momentum=0.9),
            "legacy_adam": optimizer("Adam", legacy=True, learning_rate=0.01),
            "legacy_adam_amsgrad": optimizer("Adam", legacy=True, learning_rate=0.01, amsgrad=True),
            "legacy_adagrad": optimizer("Adagrad", legacy=True, learning_rate=0.1),
            "legacy_rmsprop": optimizer("RMSprop", legacy=True, learning_rate=0.01, momentum=0.5,
                                        centered=True),
            "legacy_rmsprop_plain": optimizer("RMSprop", legacy=True, learning_rate=0.01),
            "legacy_adagrad_epsilon": optimizer("Adagrad", legacy=True, learning_rate=0.1,
                                                initial_accumulator_value=0.01, epsilon=0.01),
        })
    for name, spec in optimizers.items():
        cases.append(("optimizer_" + name, "dense_mlp", "sparse_categorical_crossentropy", ["accuracy"],
                      spec, state_formats))
    loss_formats = [f for f in state_formats if f in ("keras", "h5")]
    for loss in models.LOSS_TARGETS:
        cases.append(("loss_" + loss, "dense_mlp", loss, [], optimizer("SGD", learning_rate=0.1), loss_formats))
    return cases


def write_npz(path, arrays):
    """numpy.savez with fixed zip timestamps, so that the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(value), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())


def short_name(variable):
    """"kernel" for Keras 3's `kernel` and tf-keras's `hidden/kernel:0` alike."""
    return variable.name.split("/")[-1].split(":")[0]


def weight_table(model):
    return [(layer.name, short_name(w), w) for layer in model.layers for w in layer.weights]


def optimizer_variables(opt):
    # Keras 3 and tf-keras's optimizers list theirs in `variables`; the legacy ones in `weights`.
    variables = opt.weights if hasattr(opt, "get_slot_names") else opt.variables
    return list(variables)


def optimizer_variable_name(variable):
    return getattr(variable, "path", None) or variable.name.split(":")[0]


def shards_of(prefix):
    return sorted(p.name for p in prefix.parent.glob(prefix.name + ".data-*"))


def save_sharded_weights(model, prefix, shards):
    """save_weights in TensorFlow format split into `shards` data files by TensorFlow's own
    MaxShardSizePolicy: the smallest shard size that gives that many files."""
    total = sum(v.numpy().nbytes for v in model.variables + optimizer_variables(model.optimizer))
    for size in range(total // shards, total + 1, 8):
        with tempfile.TemporaryDirectory() as trial:
            trial_prefix = pathlib.Path(trial) / prefix.name
            policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=size)
            model.save_weights(str(trial_prefix), options=tf.train.CheckpointOptions(
                experimental_sharding_callback=policy))
            if len(shards_of(trial_prefix)) == shards:
                model.save_weights(str(prefix), options=tf.train.CheckpointOptions(
                    experimental_sharding_callback=policy))
                return size
    raise RuntimeError(f"no shard size splits {prefix} into {shards} files")


def checkpoint_holds(prefix):
    keys = [name for name, _ in tf.train.list_variables(str(prefix))]
    holds = ["weights"]
    if any(k.startswith("optimizer/") or "/.OPTIMIZER_SLOT/" in k for k in keys):
        holds.append("optimizer")
    return holds


def h5_holds(path):
    import h5py
    holds = []
    with h5py.File(path, "r") as f:
        if "model_config" in f.attrs:
            holds.append("config")
        holds.append("weights")
        if "optimizer_weights" in f:
            holds.append("optimizer")
        if "training_config" in f.attrs:
            holds.append("training_config")
    return holds


def keras_zip_holds(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        with tempfile.TemporaryDirectory() as unpacked:
            archive.extract("model.weights.h5", unpacked)
            import h5py
            with h5py.File(pathlib.Path(unpacked) / "model.weights.h5", "r") as f:
                has_optimizer = "optimizer" in f and len(f["optimizer"]) > 0
    holds = ["config", "weights"]
    if has_optimizer:
        holds.append("optimizer")
    if config.get("compile_config"):
        holds.append("training_config")
    return holds


def save(generation, fmt, model, case_dir):
    """Writes one format; returns its case.json entry."""
    def entry(path, holds, **extra):
        return {"format": fmt, "path": path, "holds": holds, **extra}

    if fmt == "keras":
        model.save(case_dir / "model.keras")
        return entry("model.keras", keras_zip_holds(case_dir / "model.keras"))
    if fmt == "weights_h5":
        model.save_weights(case_dir / "model.weights.h5")
        return entry("model.weights.h5", ["weights"])
    if fmt == "h5":
        model.save(case_dir / "model.h5")
        return entry("model.h5", h5_holds(case_dir / "model.h5"))
    if fmt == "h5_weights":
        model.save_weights(str(case_dir / "weights.h5"))
        return entry("weights.h5", ["weights"])
    if fmt == "tf_weights":
        model.save_weights(str(case_dir / "tf_weights" / "weights"))
        return entry("tf_weights/weights", checkpoint_holds(case_dir / "tf_weights" / "weights"))
    if fmt == "tf_weights_sharded":
        prefix = case_dir / "tf_weights_sharded" / "weights"
        prefix.parent.mkdir()
        size = save_sharded_weights(model, prefix, shards=2)
        return entry("tf_weights_sharded/weights", checkpoint_holds(prefix), shards=shards_of(prefix),
                     max_shard_size=size)
    if fmt == "tf_checkpoint":
        checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
        manager = tf.train.CheckpointManager(checkpoint, str(case_dir / "tf_checkpoint"), max_to_keep=1)
        prefix = pathlib.Path(manager.save())
        return entry("tf_checkpoint/" + prefix.name, checkpoint_holds(prefix), checkpoint_objects=["model", "optimizer"])
    if fmt == "saved_model":
        if generation == "keras3":
            model.export(str(case_dir / "saved_model"), format="tf_saved_model", verbose=False)
        else:
            model.save(str(case_dir / "saved_model"), save_format="tf")
        variables = case_dir / "saved_model" / "variables" / "variables"
        return entry("saved_model", checkpoint_holds(variables), variables="saved_model/variables/variables")
    raise ValueError(f"unknown format {fmt}")


def make_case(generation, case, out_dir):
    name, model_name, loss, metrics, opt_spec, formats = case
    K = GENERATIONS[generation]
    K.backend.clear_session()
    keras.utils.set_random_seed(1234)
    target_kind = models.LOSS_TARGETS[loss]
    model = models.build_model(K, model_name)
    model.compile(optimizer=models.make_optimizer(K, opt_spec), loss=loss, metrics=metrics)

    x_train, y_train = models.make_data(model_name, target_kind, models.TRAIN_STEPS * models.BATCH, seed=1)
    for step in range(models.TRAIN_STEPS):
        rows = slice(step * models.BATCH, (step + 1) * models.BATCH)
        model.train_on_batch(x_train[rows], y_train[rows])

    case_name = f"{generation}-{name}"
    case_dir = out_dir / case_name
    case_dir.mkdir(parents=True)
    files = [save(generation, fmt, model, case_dir) for fmt in formats]

    x, _ = models.make_data(model_name, target_kind, models.PREDICT_ROWS, seed=2)
    x_next, y_next = models.make_data(model_name, target_kind, models.BATCH, seed=3)
    arrays = {"x": x, "y_pred": model.predict(x, verbose=0).astype(np.float32),
              "x_train": x_train, "y_train": y_train, "x_next": x_next, "y_next": y_next}
    weights = weight_table(model)
    optimizer_state = optimizer_variables(model.optimizer)
    weight_entries, optimizer_entries = [], []
    for i, (layer, short, w) in enumerate(weights):
        arrays[f"weight_{i:02d}"] = w.numpy()
        weight_entries.append({"key": f"weight_{i:02d}", "layer": layer, "name": short, "shape": list(w.shape)})
    for i, v in enumerate(optimizer_state):
        arrays[f"optimizer_{i:02d}"] = v.numpy()
        optimizer_entries.append({"key": f"optimizer_{i:02d}", "name": optimizer_variable_name(v),
                                  "dtype": v.dtype.name if hasattr(v.dtype, "name") else str(v.dtype),
                                  "shape": list(v.shape)})
    result = model.train_on_batch(x_next, y_next)
    arrays["next_loss"] = np.float32(result[0] if isinstance(result, (list, tuple)) else result)
    for i, (_, _, w) in enumerate(weights):
        arrays[f"next_weight_{i:02d}"] = w.numpy()
    write_npz(case_dir / "data.npz", arrays)

    has_dropout = any(type(layer).__name__ == "Dropout" for layer in model.layers)
    description = {
        "case": case_name,
        "keras": generation,
        "versions": {"keras": K.__version__, "tensorflow": tf.__version__},
        "model": model_name,
        "layers": [type(layer).__name__ for layer in model.layers],
        "optimizer": opt_spec,
        "loss": loss,
        "metrics": metrics,
        "train_steps": models.TRAIN_STEPS,
        "batch": models.BATCH,
        "data": "data.npz",
        "weights": weight_entries,
        "optimizer_variables": optimizer_entries,
        "files": files,
        "tolerance": TOLERANCE,
        # Dropout's training mask comes from TensorFlow's random generator, which nothing else reproduces.
        "train_step_reproducible": not has_dropout,
    }
    (case_dir / "case.json").write_text(json.dumps(description, indent=1) + "\n")
    return case_name


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "cases")
    parser.add_argument("--only", default="", help="make only the cases whose name contains this")
    args = parser.parse_args()
    if args.out.exists() and not args.only:
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    for generation in GENERATIONS:
        for case in cases_for(generation):
            if args.only not in f"{generation}-{case[0]}":
                continue
            if (args.out / f"{generation}-{case[0]}").exists():
                shutil.rmtree(args.out / f"{generation}-{case[0]}")
            print(make_case(generation, case, args.out), flush=True)


if __name__ == "__main__":
    main()
