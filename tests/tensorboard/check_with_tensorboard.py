"""TensorBoard itself reads cairn's logs: every scalar, histogram, image, graph, hparams and text record.

    check_with_tensorboard.py LOG_DIR EXPECTED_JSON [--serve]

LOG_DIR and EXPECTED_JSON come from tests/tensorboard/live/write_logs.cc (tensorboard_log_writer). The
logs are loaded the way `tensorboard --logdir` loads them: tensorboard.backend.event_processing's
EventMultiplexer (the plugin event accumulators) behind the MultiplexerDataProvider that TensorBoard's
plugins query. Every value is compared with what the program says it wrote, recomputed here where
TensorFlow defines it (histogram buckets as tf.summary.histogram makes them, images as Keras shapes
weights). With --serve, `tensorboard --logdir LOG_DIR` also runs on a free localhost port and the HTTP
data requests its pages make must return cairn's runs, tags, values and images. Exit status 0 when all
agree; otherwise every disagreement is listed and the status is 1.
"""
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
from PIL import Image
from tensorboard import context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from google.protobuf import text_format
from tensorboard.compat.proto import graph_pb2
from tensorboard.plugins import base_plugin
from tensorboard.plugins.graph import graphs_plugin
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def f32(value):
    return float(np.float32(value))


def tf_histogram(values, bucket_count=30):
    """tf.summary.histogram's (k, 3) rows, from the definition in tensorboard's summary_v2._buckets."""
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    if data.size == 0:
        return np.zeros((bucket_count, 3))
    low, high = data.min(), data.max()
    if high == low:
        counts = np.zeros(bucket_count)
        counts[-1] = data.size
        edges = np.full(bucket_count, high)
        return np.stack([edges, edges, counts], axis=1)
    width = (high - low) / bucket_count
    indices = np.minimum(np.floor((data - low) / width).astype(np.int64), bucket_count - 1)
    counts = np.bincount(indices, minlength=bucket_count).astype(np.float64)
    edges = np.linspace(low, high, bucket_count + 1)
    edges[-1] = high
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def keras_weight_images(values, shape):
    """The images Keras's TensorBoard._log_weight_as_image makes of a weight, as (n, h, w) arrays, or None."""
    w = np.asarray(values, dtype=np.float64).reshape(shape)
    w = np.squeeze(w)
    if w.ndim == 1:
        return w.reshape(1, -1, 1)
    if w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        return w.reshape(1, w.shape[0], w.shape[1])
    if w.ndim == 3:
        return np.transpose(w, (2, 0, 1))
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_served(log_dir, expected):
    """The data requests of TensorBoard's pages, answered by `tensorboard --logdir` itself."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", log_dir, "--host", "127.0.0.1",
                               "--port", str(port), "--reload_interval", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    base = f"http://127.0.0.1:{port}"

    def get(path, body=None):
        request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "X-TensorBoard-Feature-Flags": "{}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
            return data if response.headers.get_content_type().startswith("image/") else json.loads(data)

    try:
        for _ in range(240):  # the first load reads every event file
            try:
                runs = get("/data/runs")
                if len(runs) == 4:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        check(sorted(get("/data/runs")) == [".", "notes", "train", "validation"], f"served runs {get('/data/runs')}")
        plugins = get("/data/plugins_listing")
        for plugin in ("scalars", "histograms", "images", "graphs", "hparams", "text"):
            check(plugins.get(plugin, {}).get("enabled"), f"the {plugin} plugin is not enabled: {plugins.get(plugin)}")
        scalar_tags = get("/data/plugin/scalars/tags")
        check("epoch_loss" in scalar_tags.get("train", {}) and "epoch_loss" in scalar_tags.get("validation", {}),
              f"served scalar tags {scalar_tags}")
        points = get("/data/plugin/scalars/scalars?run=validation&tag=epoch_loss")
        want = [[e, f32(v)] for e, v in enumerate(expected["history"]["val_loss"])]
        check([[p[1], p[2]] for p in points] == want, f"served validation epoch_loss {points} != {want}")
        histogram_tags = get("/data/plugin/histograms/tags").get("train", {})
        check("conv2d/kernel/histogram" in histogram_tags, f"served histogram tags {sorted(histogram_tags)}")
        image_tags = get("/data/plugin/images/tags").get("train", {})
        check("conv2d/kernel/image" in image_tags, f"served image tags {sorted(image_tags)}")
        images = get("/data/plugin/images/images?run=train&tag=" + urllib.parse.quote("conv2d/kernel/image") +
                     "&sample=0")
        if check(len(images) == expected["epochs"], f"served images of conv2d/kernel/image: {images}"):
            png = get("/data/plugin/images/individualImage?" + images[-1]["query"])
            picture = Image.open(io.BytesIO(png))
            kernel = expected["weights"][str(expected["epochs"] - 1)]["conv2d/kernel"]["shape"]
            check(picture.size == (kernel[1], kernel[0]), f"served filter image of size {picture.size}")
        check("notes/summary" in get("/data/plugin/text/tags").get("notes", []), "served text tags")
        graphs = get("/data/plugin/graphs/info")
        check(graphs.get("train", {}).get("tags", {}).get("keras", {}).get("conceptual_graph"),
              f"served graphs info {graphs}")
        experiment = get("/data/plugin/hparams/experiment", {"experimentName": ""})
        names = sorted(info["name"] for info in experiment.get("hparamInfos", []))
        check(names == sorted(expected["hparams"]), f"served hparams {names}")
        groups = get("/data/plugin/hparams/session_groups",
                     {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                                               "STATUS_RUNNING"],
                      "colParams": [], "startIndex": 0, "sliceSize": 10})
        session_groups = groups.get("sessionGroups", [])
        if check(len(session_groups) == 1, f"served session groups {groups}"):
            check(session_groups[0]["name"] == expected["trial_id"], f"served group {session_groups[0]['name']}")
            check(session_groups[0]["hparams"] == expected["hparams"],
                  f"served session hparams {session_groups[0]['hparams']} != {expected['hparams']}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return port


def main(log_dir, expected_path, serve=False):
    expected = json.load(open(expected_path))
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        size_guidance={"scalars": 0, "tensors": 0, "images": 0, "histograms": 0}, tensor_size_guidance={
            "scalars": 0, "histograms": 0, "images": 0, "text": 0, "graph_keras_model": 0, "hparams": 0})
    multiplexer.AddRunsFromDirectory(log_dir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, log_dir)
    ctx = context.RequestContext()
    everything = 10**6

    runs = sorted(multiplexer.Runs())
    check(runs == [".", "notes", "train", "validation"], f"runs: {runs}")
    history = expected["history"]
    epochs = expected["epochs"]
    batches_per_epoch = 48 // expected["batch_size"]
    every = expected["update_freq"]

    # ---- scalars
    scalars = provider.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=everything)
    train, validation = scalars.get("train", {}), scalars.get("validation", {})
    metric_names = [name for name in history if not name.startswith("val_")]
    expected_train_tags = {f"epoch_{m}" for m in metric_names} | {"epoch_steps_per_second", "epoch_learning_rate"} | {
        f"batch_{m}" for m in metric_names} | {"batch_steps_per_second"}
    check(set(train) == expected_train_tags, f"train scalar tags {sorted(train)} != {sorted(expected_train_tags)}")
    for name in metric_names:
        got = [(d.step, d.value) for d in train.get(f"epoch_{name}", [])]
        want = [(e, f32(v)) for e, v in enumerate(history[name])]
        check(got == want, f"train epoch_{name}: {got} != {want}")
        got = [(d.step, d.value) for d in validation.get(f"epoch_{name}", [])]
        want = [(e, f32(v)) for e, v in enumerate(history["val_" + name])]
        check(got == want, f"validation epoch_{name}: {got} != {want}")
        got = [(d.step, d.value) for d in validation.get(f"evaluation_{name}_vs_iterations", [])]
        want = [((e + 1) * batches_per_epoch, f32(v)) for e, v in enumerate(history["val_" + name])]
        check(got == want, f"validation evaluation_{name}_vs_iterations: {got} != {want}")
        got = [(d.step, d.value) for d in train.get(f"batch_{name}", [])]
        batch_steps = range(every, epochs * batches_per_epoch + 1, every)
        want = [(s, f32(expected["batches"][str(s)][name])) for s in batch_steps]
        check(got == want, f"train batch_{name}: {got} != {want}")
    # Keras 3 writes the optimizer's learning rate at each epoch's end (a schedule's value then).
    got = [(d.step, d.value) for d in train.get("epoch_learning_rate", [])]
    want = [(e, f32(v)) for e, v in enumerate(expected["learning_rates"])]
    check(got == want and len(set(v for _, v in want)) == epochs, f"train epoch_learning_rate: {got} != {want}")
    rates = [d.value for d in train.get("epoch_steps_per_second", [])]
    check(len(rates) == epochs and all(r > 0 and np.isfinite(r) for r in rates), f"epoch_steps_per_second {rates}")
    rate_steps = [d.step for d in train.get("batch_steps_per_second", [])]
    check(rate_steps == list(range(every, epochs * batches_per_epoch + 1, every)), f"batch_steps_per_second {rate_steps}")

    # ---- histograms: weights and gradients at every epoch
    histograms = provider.read_tensors(ctx, experiment_id="", plugin_name="histograms", downsample=everything)
    weights, gradients = expected["weights"], expected["gradients"]
    weight_names = list(weights["0"])
    want_tags = {f"{n}/histogram" for n in weight_names} | {f"{n}_grad/histogram" for n in gradients["0"]}
    check(set(histograms.get("train", {})) == want_tags,
          f"histogram tags {sorted(histograms.get('train', {}))} != {sorted(want_tags)}")
    for tag, data in histograms.get("train", {}).items():
        name, source = (tag[: -len("_grad/histogram")], gradients) if tag.endswith("_grad/histogram") else (
            tag[: -len("/histogram")], weights)
        check([d.step for d in data] == list(range(epochs)), f"{tag}: steps {[d.step for d in data]}")
        for datum in data:
            rows = datum.numpy
            want = tf_histogram(source[str(datum.step)][name]["values"])
            if not check(rows.shape == want.shape, f"{tag} step {datum.step}: shape {rows.shape}"):
                continue
            check(np.array_equal(rows[:, 2], want[:, 2]),
                  f"{tag} step {datum.step}: counts {rows[:, 2].tolist()} != {want[:, 2].tolist()}")
            check(np.allclose(rows[:, :2], want[:, :2], rtol=1e-12, atol=0),
                  f"{tag} step {datum.step}: edges differ")

    # ---- images: each weight as Keras shapes it, one linear scale per weight
    blob_sequences = provider.read_blob_sequences(ctx, experiment_id="", plugin_name="images",
                                                  downsample=everything)
    images = blob_sequences.get("train", {})
    drawable = {n for n in weight_names
                if keras_weight_images(weights["0"][n]["values"], weights["0"][n]["shape"]) is not None}
    check(set(images) == {f"{n}/image" for n in drawable}, f"image tags {sorted(images)}")
    for tag, data in images.items():
        name = tag[: -len("/image")]
        check([d.step for d in data] == list(range(epochs)), f"{tag}: steps {[d.step for d in data]}")
        for datum in data:
            blobs = [provider.read_blob(ctx, blob_key=ref.blob_key) for ref in datum.values]
            weight = weights[str(datum.step)][name]
            want = keras_weight_images(weight["values"], weight["shape"])
            low, high = want.min(), want.max()
            scaled = (want - low) / (high - low) * 255.0 if high > low else np.full(want.shape, 128.0)
            check(blobs[:2] == [str(want.shape[2]).encode(), str(want.shape[1]).encode()],
                  f"{tag} step {datum.step}: width and height {blobs[:2]} for images of {want.shape[1:]}")
            check(len(blobs) - 2 == want.shape[0], f"{tag} step {datum.step}: {len(blobs) - 2} images, not {want.shape[0]}")
            for i, png in enumerate(blobs[2:]):
                picture = Image.open(io.BytesIO(png))
                check(picture.format == "PNG" and picture.mode == "L", f"{tag}: image {i} is {picture.format} {picture.mode}")
                pixels = np.asarray(picture, dtype=np.float64)
                if check(pixels.shape == want.shape[1:], f"{tag} step {datum.step} image {i}: {pixels.shape}"):
                    worst = np.abs(pixels - scaled[i]).max()
                    check(worst <= 0.5 + 1e-9, f"{tag} step {datum.step} image {i}: pixels off by {worst}")

    # ---- the graph: the Keras model config, as the Graphs plugin finds and draws it
    graphs = graphs_plugin.GraphsPlugin(base_plugin.TBContext(data_provider=provider, logdir=log_dir))
    info = graphs.info_impl(ctx, "")
    keras_tag = info.get("train", {}).get("tags", {}).get("keras", {})
    check(keras_tag.get("conceptual_graph") is True, f"the Graphs plugin's runs and tags: {info}")
    keras = provider.read_blob_sequences(ctx, experiment_id="", plugin_name="graph_keras_model",
                                         downsample=everything).get("train", {}).get("keras", [])
    if check(len(keras) == 1 and keras[0].step == 0, f"graph_keras_model records: {keras}"):
        config_json = provider.read_blob(ctx, blob_key=keras[0].values[0].blob_key).decode()
        check(config_json == expected["model_json"], "the model config differs from model_to_json")
        body, mime_type = graphs.graph_impl(ctx, "train", "keras", is_conceptual=True, experiment="")
        graph = graph_pb2.GraphDef()
        text_format.Parse(body, graph)
        nodes = {node.name for node in graph.node}
        layers = [layer["config"]["name"] for layer in json.loads(expected["model_json"])["config"]["layers"]
                  if layer["class_name"] != "InputLayer"]
        check(all(any(node.split("/")[-1] == layer for node in nodes) for layer in layers),
              f"the Graphs plugin's nodes {sorted(nodes)} lack layers {layers}")

    # ---- hparams: experiment, session start and end, in the session's run (log_dir itself)
    tags = multiplexer.PluginRunToTagToContent(hparams_metadata.PLUGIN_NAME)
    session = tags.get(".", {})
    check(set(session) == {hparams_metadata.EXPERIMENT_TAG, hparams_metadata.SESSION_START_INFO_TAG,
                           hparams_metadata.SESSION_END_INFO_TAG}, f"hparams tags {tags}")
    want_hparams = expected["hparams"]
    if hparams_metadata.EXPERIMENT_TAG in session:
        experiment = hparams_metadata.parse_experiment_plugin_data(session[hparams_metadata.EXPERIMENT_TAG])
        infos = {info.name: info.type for info in experiment.hparam_infos}
        types = {name: (api_pb2.DATA_TYPE_BOOL if isinstance(v, bool) else
                        api_pb2.DATA_TYPE_STRING if isinstance(v, str) else api_pb2.DATA_TYPE_FLOAT64)
                 for name, v in want_hparams.items()}
        check(infos == types, f"experiment hparams {infos} != {types}")
        metrics = {(m.name.group, m.name.tag) for m in experiment.metric_infos}
        want_metrics = {(group, f"epoch_{m}") for group in ("train", "validation") for m in metric_names}
        check(metrics == want_metrics, f"experiment metrics {metrics} != {want_metrics}")
    if hparams_metadata.SESSION_START_INFO_TAG in session:
        start = hparams_metadata.parse_session_start_info_plugin_data(session[hparams_metadata.SESSION_START_INFO_TAG])
        got = {name: value.WhichOneof("kind") and getattr(value, value.WhichOneof("kind"))
               for name, value in start.hparams.items()}
        check(got == want_hparams, f"session hparams {got} != {want_hparams}")
        check(start.group_name == expected["trial_id"], f"group {start.group_name!r}")
    if hparams_metadata.SESSION_END_INFO_TAG in session:
        end = hparams_metadata.parse_session_end_info_plugin_data(session[hparams_metadata.SESSION_END_INFO_TAG])
        check(end.status == api_pb2.STATUS_SUCCESS, f"session end status {end.status}")

    # ---- text
    text = provider.read_tensors(ctx, experiment_id="", plugin_name="text", downsample=everything)
    want = expected["text"]
    data = text.get(want["run"], {}).get(want["tag"], [])
    if check(len(data) == 1, f"text records {text}"):
        check(data[0].step == want["step"], f"text step {data[0].step}")
        check(data[0].numpy.item().decode() == want["value"], f"text {data[0].numpy.item()!r}")

    counts = {
        "scalars": sum(len(d) for run in scalars.values() for d in run.values()),
        "histograms": sum(len(d) for run in histograms.values() for d in run.values()),
        "images": sum(len(d) for run in blob_sequences.values() for d in run.values()),
        "graphs": len(keras), "hparams": len(session), "text": len(data),
    }
    served = ""
    if serve:
        port = check_served(log_dir, expected)
        served = f"; tensorboard --logdir served them on port {port}"
    if failures:
        print(f"TensorBoard disagrees with cairn's logs in {log_dir} ({len(failures)} problems):")
        for failure in failures:
            print("  " + failure)
        return 1
    print("TensorBoard read cairn's logs in " + log_dir + ": " + ", ".join(f"{n} {k}" for k, n in counts.items()) +
          " records, every value as written" + served)
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] != "--serve"):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], serve=len(sys.argv) == 4))
