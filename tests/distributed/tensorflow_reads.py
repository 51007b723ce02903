"""TensorFlow's own reader on a cairn sharded checkpoint: tf.train.load_checkpoint lists every tensor with
its shape and reads each to the same values as cairn's consolidated single-shard copy of it.

usage: python tensorflow_reads.py SHARDED_PREFIX CONSOLIDATED_PREFIX
"""
import sys

import numpy as np
import tensorflow as tf

sharded, consolidated = sys.argv[1], sys.argv[2]
a = tf.train.load_checkpoint(sharded)
b = tf.train.load_checkpoint(consolidated)
shapes = a.get_variable_to_shape_map()
assert shapes == b.get_variable_to_shape_map(), (shapes, b.get_variable_to_shape_map())
assert any(k.startswith("model/layer_with_weights-0/kernel") for k in shapes), shapes
for key in sorted(shapes):
    if key == "_CHECKPOINTABLE_OBJECT_GRAPH":
        assert a.get_tensor(key) == b.get_tensor(key), key
        continue
    x, y = a.get_tensor(key), b.get_tensor(key)
    assert x.shape == tuple(shapes[key]) and np.array_equal(x, y), key
print(f"TensorFlow {tf.__version__} reads all {len(shapes)} tensors of {sharded}")
