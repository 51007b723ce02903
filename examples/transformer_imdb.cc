// A small Transformer encoder classifying IMDB-shaped reviews (token ids, pre-padded with 0; a binary
// label): killed with SIGKILL in the middle of training, resumed to weights bit-identical to an
// uninterrupted run, saved as .keras and loaded back to predict. Built from Keras 3's own layers only, so
// that Keras 3 loads the .keras file without any code of ours (tests/conformance/check_examples.sh):
//
//   tokens -> Embedding -> + Conv1D(same) positional embedding -> MultiHeadAttention -> Dropout -> Add ->
//   LayerNormalization -> Dense(relu) -> Dense -> Add -> LayerNormalization -> GlobalAveragePooling1D ->
//   Dropout -> Dense(1, sigmoid)
//
// The positional embedding: Keras 3 has no PositionalEmbedding layer (keras_hub's is a class of its own,
// which Keras 3 alone cannot load), keras.io's TokenAndPositionEmbedding is custom Python code, and
// `embedding(keras.ops.arange(n))` in a functional model is evaluated once, while the model is built: its
// table becomes a constant in the config and is never trained. An Embedding of position ids fed as a
// second input is the usual learned table, but then every caller (fit, predict, whoever loads the file)
// must feed the positions too. What remains with built-in layers and one input is a convolutional
// positional embedding, x + Conv1D(x) with "same" zero padding (as wav2vec 2.0 and CPVT use): each token
// is mixed with its neighbours in order, and the padding marks the ends, so that attention, which alone
// is blind to order, sees relative position. Its weakness: no absolute position beyond the kernel's reach.
//
//   build/examples/transformer_imdb [--long] [--dir DIR] [--keras-case DIR]
//
// Short by default (a few seconds); --long trains on 20000 reviews of 200 tokens for 4 epochs. --tiny
// (for the tests) is smaller still. --keras-case DIR also writes the case that check_cairn_files.py reads.
#include <cstdio>
#include <cstring>
#include <string>

#include "cairn/cairn.h"
#include "kill_and_resume.h"

using namespace cairn;

namespace {

struct Sizes {
  int64_t samples, length, vocabulary, width, heads, feed_forward;
  int epochs;
  int64_t batch_size, backup_every;  // batches
};
constexpr Sizes kTiny{96, 16, 200, 16, 2, 32, 3, 16, 2};
constexpr Sizes kShort{1024, 64, 2000, 32, 2, 64, 2, 32, 8};
constexpr Sizes kLong{20000, 200, 10000, 64, 4, 128, 4, 64, 50};

// Reviews of random length, pre-padded with 0, as Keras's imdb.load_data and pad_sequences give them. A
// positive review draws one word in four from the "good" words (10..59), a negative one from the "bad"
// words (60..109); the rest is noise. Labels are float (n, 1), for binary cross-entropy.
LabeledData reviews(const Sizes& s, int64_t n, uint64_t seed) {
  Generator g(seed);
  Tensor x({n, s.length}, DType::Int32), y({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    const bool positive = g.uniform_int(2) == 1;
    const int64_t length = s.length / 2 + static_cast<int64_t>(g.uniform_int(static_cast<uint32_t>(s.length / 2)));
    for (int64_t t = s.length - length; t < s.length; ++t) {
      const bool telling = g.uniform_int(4) == 0;
      x.data<int32_t>()[i * s.length + t] =
          telling ? (positive ? 10 : 60) + static_cast<int32_t>(g.uniform_int(50))
                  : 110 + static_cast<int32_t>(g.uniform_int(static_cast<uint32_t>(s.vocabulary - 110)));
    }
    y.data<float>()[i] = positive ? 1.f : 0.f;
  }
  return {x, y};
}

std::shared_ptr<Model> transformer_encoder(const Sizes& s) {
  set_random_seed(2026);  // every run builds the same initial weights
  auto add = [](SymbolicTensor a, SymbolicTensor b) { return (*std::make_shared<Add>())(std::vector<SymbolicTensor>{a, b}); };
  SymbolicTensor tokens = Input({s.length}, "tokens");
  SymbolicTensor x = (*std::make_shared<Embedding>(s.vocabulary, s.width))(tokens);
  x = add(x, (*make_conv1d(s.width, 3, {.padding = "same", .name = "positional_embedding"}))(x));
  SymbolicTensor attended = (*make_multi_head_attention(s.heads, s.width / s.heads))(std::vector<SymbolicTensor>{x, x});
  attended = (*make_dropout(0.1))(attended);
  x = (*make_layer_normalization())(add(x, attended));
  SymbolicTensor hidden = (*make_dense(s.feed_forward, {.activation = "relu"}))(x);
  x = (*make_layer_normalization())(add(x, (*make_dense(s.width))(hidden)));
  SymbolicTensor pooled = (*make_dropout(0.1))((*std::make_shared<GlobalAveragePooling1D>())(x));
  auto model = std::make_shared<Functional>(tokens, (*make_dense(1, {.activation = "sigmoid"}))(pooled));
  model->compile({.optimizer = "adam", .loss = "binary_crossentropy", .metrics = {"accuracy"}});
  return model;
}

// The training job: with BackupAndRestore, it resumes where a killed run left off.
int train(const Sizes& s, const std::string& dir) {
  const LabeledData data = reviews(s, s.samples, 1), validation = reviews(s, s.samples / 4, 2);
  std::shared_ptr<Model> model = transformer_encoder(s);
  auto backup = std::make_shared<BackupAndRestore>(dir + "/backup", BackupAndRestoreOptions{.save_freq = s.backup_every});
  model->fit(data.x, data.y, {.batch_size = s.batch_size, .epochs = s.epochs, .verbose = 2, .callbacks = {backup},
                              .validation_data = std::make_pair(validation.x, validation.y), .seed = 1});
  model->save_weights(dir + "/final/weights");
  save_model(*model, dir + "/final/model.keras");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<examples::ExampleArgs> args = examples::parse_example_args(argc, argv, "transformer_imdb");
  if (!args) return 2;
  const Sizes sizes = args->size == "--long" ? kLong : args->size == "--tiny" ? kTiny : kShort;
  if (!args->job_dir.empty()) return train(sizes, args->job_dir);
  const std::string& dir = args->dir;

  std::filesystem::remove_all(dir);
  std::printf("== A Transformer encoder on %ld IMDB-shaped reviews of %ld tokens; killed after its second backup\n",
              static_cast<long>(sizes.samples), static_cast<long>(sizes.length));
  const std::optional<bool> exact = examples::resume_is_exact(*args, "Weights, optimizer state and dropout streams");
  if (!exact) return 1;

  const LabeledData test = reviews(sizes, 256, 3);
  std::shared_ptr<Model> loaded = load_model(dir + "/run/final/model.keras");
  const Logs result = loaded->evaluate(test.x, test.y, {.batch_size = 64});
  std::printf("Loaded %s/run/final/model.keras (no model code): accuracy %.3f on new reviews\n", dir.c_str(),
              static_cast<double>(result.at("accuracy")));
  if (!args->keras_case.empty())
    examples::write_keras_case(args->keras_case, "example-transformer_imdb", dir + "/run/final/model.keras", ops::slice_rows(test.x, 0, 32));
  return *exact ? 0 : 1;
}
