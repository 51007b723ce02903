"""The small models, optimizers, losses and data of the conformance cases, written once for both Keras
generations: every builder takes the Keras module `K` (`keras` for Keras 3, `tf_keras` for Keras 2), whose
layer, model and optimizer APIs agree on everything used here.

generate.py builds each case from these to write the files; check_cairn_files.py builds the same model to
restore a checkpoint or a weights-only file into, so both agree on the architecture by construction.
"""

import numpy as np

# Fixed data: every array comes from its own seeded generator, so a case's data does not depend on which
# other cases ran before it.
BATCH = 8
TRAIN_STEPS = 3  # train_on_batch steps before the files are written
PREDICT_ROWS = 5


def _dense_mlp(K):
    return K.Sequential([
        K.Input((4,), name="features"),
        K.layers.Dense(6, activation="relu", name="hidden"),
        K.layers.Dense(3, activation="softmax", name="probabilities"),
    ], name="dense_mlp")


def _dropout(K):
    return K.Sequential([
        K.Input((4,), name="features"),
        K.layers.Dense(6, activation="relu", name="hidden"),
        K.layers.Dropout(0.25, name="dropout"),
        K.layers.Dense(3, activation="softmax", name="probabilities"),
    ], name="dropout")


def _flatten_activation(K):
    return K.Sequential([
        K.Input((3, 4), name="grid"),
        K.layers.Flatten(name="flatten"),
        K.layers.Dense(5, name="hidden"),
        K.layers.Activation("tanh", name="tanh"),
        K.layers.Dense(3, name="logits"),
        K.layers.Activation("softmax", name="softmax"),
    ], name="flatten_activation")


def _conv_pool(K):
    return K.Sequential([
        K.Input((8, 8, 2), name="image"),
        K.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_same"),
        K.layers.MaxPooling2D(2, name="pool"),
        K.layers.Conv2D(3, 2, strides=2, padding="valid", activation="relu", name="conv_strided"),
        K.layers.Flatten(name="flatten"),
        K.layers.Dense(3, activation="softmax", name="probabilities"),
    ], name="conv_pool")


def _embedding_lstm(K):
    return K.Sequential([
        K.Input((6,), dtype="int32", name="tokens"),
        K.layers.Embedding(20, 4, name="embedding"),
        K.layers.LSTM(5, name="lstm"),
        K.layers.Dense(1, activation="sigmoid", name="probability"),
    ], name="embedding_lstm")


def _functional_merge(K):
    features = K.Input((4,), name="features")
    left = K.layers.Dense(3, activation="relu", name="left")(features)
    right = K.layers.Dense(3, name="right")(features)
    summed = K.layers.Add(name="add")([left, right])
    joined = K.layers.Concatenate(name="concatenate")([summed, features])
    output = K.layers.Dense(2, name="output")(joined)
    return K.Model(features, output, name="functional_merge")


def _attention(K):
    sequence = K.Input((5, 4), name="sequence")
    attended = K.layers.MultiHeadAttention(2, 3, name="attention")(sequence, sequence)
    summed = K.layers.Add(name="residual")([sequence, attended])
    pooled = K.layers.GlobalAveragePooling1D(name="pool")(summed)
    output = K.layers.Dense(3, activation="softmax", name="probabilities")(pooled)
    return K.Model(sequence, output, name="attention")


# name: (builder, input kind, input shape without the batch, target kind, classes or outputs)
MODELS = {
    "dense_mlp": (_dense_mlp, "float", (4,), "class", 3),
    "dropout": (_dropout, "float", (4,), "class", 3),
    "flatten_activation": (_flatten_activation, "float", (3, 4), "onehot", 3),
    "conv_pool": (_conv_pool, "float", (8, 8, 2), "class", 3),
    "embedding_lstm": (_embedding_lstm, "tokens", (6,), "binary", 1),
    "functional_merge": (_functional_merge, "float", (4,), "real", 2),
    "attention": (_attention, "float", (5, 4), "class", 3),
}

# The target kind each loss trains on.
LOSS_TARGETS = {
    "sparse_categorical_crossentropy": "class",
    "categorical_crossentropy": "onehot",
    "binary_crossentropy": "binary",
    "mean_squared_error": "real",
}


def build_model(K, name):
    return MODELS[name][0](K)


def make_optimizer(K, spec):
    """spec: {"class": "Adam", "legacy": false, "config": {...}} as case.json records it. `legacy` picks
    tf-keras's optimizers.legacy (the TF 2.0-2.10 optimizers, whose checkpoints hold slots per variable)."""
    family = K.optimizers.legacy if spec.get("legacy") else K.optimizers
    return getattr(family, spec["class"])(**spec["config"])


def make_data(model_name, target_kind, rows, seed):
    """Inputs and targets for `rows` samples of the model, from a generator seeded with `seed`."""
    _, input_kind, input_shape, _, width = MODELS[model_name]
    rng = np.random.RandomState(seed)
    if input_kind == "tokens":
        x = rng.randint(0, 20, size=(rows,) + input_shape).astype(np.int32)
    else:
        x = rng.uniform(-1.0, 1.0, size=(rows,) + input_shape).astype(np.float32)
    if target_kind == "class":
        y = rng.randint(0, width, size=(rows,)).astype(np.int32)
    elif target_kind == "onehot":
        y = np.eye(width, dtype=np.float32)[rng.randint(0, width, size=rows)]
    elif target_kind == "binary":
        y = rng.randint(0, 2, size=(rows, width)).astype(np.float32)
    else:
        y = rng.uniform(-1.0, 1.0, size=(rows, width)).astype(np.float32)
    return x, y
