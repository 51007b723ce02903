// docs/keras_support.md from the registries: every Keras 3 layer class, supported (registered) or not,
// with the reason for each "not".
#include "cairn/keras_support.h"

#include <algorithm>
#include <map>

#include "cairn/config.h"
#include "layer_registry.h"
#include "operation_config.h"
#include "vocabulary_support.h"

namespace cairn {

namespace {

constexpr const char* kPreprocessing =
    "a preprocessing layer: prepare the data before it reaches the model (cairn's models take numeric tensors)";
constexpr const char* kAugmentation = "an image augmentation layer: augment the data before it reaches the model";
constexpr const char* kStrings = "works on strings or vocabularies; cairn's tensors are numeric";
constexpr const char* kVolumetric = "3D (volumetric) layers are not implemented yet";
constexpr const char* kForeignCode = "wraps another framework's code, which cairn does not run";
constexpr const char* kNotYet = "not implemented yet";

// Keras 3.15's layer classes (keras.layers, aliases left out) that cairn does not have, and why. A
// registered class is supported whatever this table says, so implementing one needs no edit here.
const std::map<std::string, std::string>& keras3_layer_catalogue() {
  static const std::map<std::string, std::string> catalogue = {
      {"Activation", ""}, {"ActivityRegularization", "cairn has no regularization losses yet"},
      {"AdaptiveAveragePooling1D", kNotYet}, {"AdaptiveAveragePooling2D", kNotYet},
      {"AdaptiveAveragePooling3D", kVolumetric}, {"AdaptiveMaxPooling1D", kNotYet},
      {"AdaptiveMaxPooling2D", kNotYet}, {"AdaptiveMaxPooling3D", kVolumetric}, {"Add", ""},
      {"AdditiveAttention", kNotYet}, {"AlphaDropout", kNotYet}, {"Attention", kNotYet},
      {"AugMix", kAugmentation}, {"AutoContrast", kAugmentation}, {"Average", kNotYet},
      {"AveragePooling1D", kNotYet}, {"AveragePooling2D", kNotYet}, {"AveragePooling3D", kVolumetric},
      {"BatchNormalization", kNotYet}, {"Bidirectional", kNotYet}, {"CategoryEncoding", kPreprocessing},
      {"CenterCrop", kPreprocessing}, {"Concatenate", ""},
      {"ContrastLimitedAdaptiveHistogramEqualization", kAugmentation}, {"Conv1D", kNotYet},
      {"Conv1DTranspose", kNotYet}, {"Conv2D", ""}, {"Conv2DTranspose", kNotYet}, {"Conv3D", kVolumetric},
      {"Conv3DTranspose", kVolumetric}, {"ConvLSTM1D", kNotYet}, {"ConvLSTM2D", kNotYet},
      {"ConvLSTM3D", kVolumetric}, {"Cropping1D", kNotYet}, {"Cropping2D", kNotYet},
      {"Cropping3D", kVolumetric}, {"CutMix", kAugmentation}, {"Dense", ""}, {"DepthwiseConv1D", kNotYet},
      {"DepthwiseConv2D", kNotYet}, {"Discretization", kPreprocessing}, {"Dot", kNotYet}, {"Dropout", ""},
      {"ELU", kNotYet}, {"EinsumDense", kNotYet}, {"Embedding", ""}, {"Equalization", kAugmentation},
      {"Flatten", ""}, {"FlaxLayer", kForeignCode}, {"GRU", kNotYet},
      {"GRUCell", "a cell is used inside an RNN layer; cairn's recurrent layers hold their cells"},
      {"GaussianDropout", kNotYet}, {"GaussianNoise", kNotYet}, {"GlobalAveragePooling1D", kNotYet},
      {"GlobalAveragePooling2D", kNotYet}, {"GlobalAveragePooling3D", kVolumetric},
      {"GlobalMaxPooling1D", kNotYet}, {"GlobalMaxPooling2D", kNotYet}, {"GlobalMaxPooling3D", kVolumetric},
      {"GroupNormalization", kNotYet}, {"GroupedQueryAttention", kNotYet}, {"HashedCrossing", kStrings},
      {"Hashing", kStrings}, {"Identity", kNotYet},
      {"InputLayer", "read as part of a model's config (cairn::Input), not as a layer of its own"},
      {"IntegerLookup", kPreprocessing}, {"JaxLayer", kForeignCode}, {"LSTM", ""},
      {"LSTMCell", "a cell is used inside an RNN layer; cairn's recurrent layers hold their cells"},
      {"Lambda", "holds Python code, which cairn never runs: write the computation as a C++ layer class and "
                 "register_layer() it under the name"},
      {"Layer", "the base class: a subclass is custom code (derive from cairn::Layer and register_layer() it)"},
      {"LayerNormalization", kNotYet}, {"LeakyReLU", kNotYet}, {"Masking", kNotYet},
      {"MaxNumBoundingBoxes", kPreprocessing}, {"MaxPooling1D", kNotYet}, {"MaxPooling2D", ""},
      {"MaxPooling3D", kVolumetric}, {"Maximum", kNotYet}, {"MelSpectrogram", kPreprocessing},
      {"Minimum", kNotYet}, {"MixUp", kAugmentation}, {"MultiHeadAttention", kNotYet}, {"Multiply", kNotYet},
      {"Normalization", kNotYet}, {"PReLU", kNotYet}, {"Permute", kNotYet},
      {"Pipeline", "a preprocessing pipeline: prepare the data before it reaches the model"},
      {"RMSNormalization", kNotYet},
      {"RNN", "the generic RNN runs a Python cell; cairn has the LSTM layer (and the others in this table)"},
      {"RandAugment", kAugmentation}, {"RandomBrightness", kAugmentation},
      {"RandomColorDegeneration", kAugmentation}, {"RandomColorJitter", kAugmentation},
      {"RandomContrast", kAugmentation}, {"RandomCrop", kAugmentation},
      {"RandomElasticTransform", kAugmentation}, {"RandomErasing", kAugmentation},
      {"RandomFlip", kAugmentation}, {"RandomGaussianBlur", kAugmentation}, {"RandomGrayscale", kAugmentation},
      {"RandomHue", kAugmentation}, {"RandomInvert", kAugmentation}, {"RandomPerspective", kAugmentation},
      {"RandomPosterization", kAugmentation}, {"RandomRotation", kAugmentation},
      {"RandomSaturation", kAugmentation}, {"RandomSharpness", kAugmentation}, {"RandomShear", kAugmentation},
      {"RandomTranslation", kAugmentation}, {"RandomZoom", kAugmentation}, {"ReLU", kNotYet},
      {"RepeatVector", kNotYet}, {"Rescaling", kNotYet}, {"Reshape", kNotYet}, {"Resizing", kPreprocessing},
      {"ReversibleEmbedding", kNotYet}, {"STFTSpectrogram", kPreprocessing}, {"SeparableConv1D", kNotYet},
      {"SeparableConv2D", kNotYet}, {"SimpleRNN", kNotYet},
      {"SimpleRNNCell", "a cell is used inside an RNN layer; cairn's recurrent layers hold their cells"},
      {"Softmax", kNotYet}, {"Solarization", kAugmentation}, {"SpatialDropout1D", kNotYet},
      {"SpatialDropout2D", kNotYet}, {"SpatialDropout3D", kVolumetric}, {"SpectralNormalization", kNotYet},
      {"StackedRNNCells", "cells are used inside an RNN layer; cairn's recurrent layers hold their cells"},
      {"StringLookup", kStrings}, {"Subtract", kNotYet},
      {"TFSMLayer", "wraps a TensorFlow SavedModel's graph, which cairn does not run"},
      {"TextVectorization", kStrings}, {"TimeDistributed", kNotYet}, {"TorchModuleWrapper", kForeignCode},
      {"UnitNormalization", kNotYet}, {"UpSampling1D", kNotYet}, {"UpSampling2D", kNotYet},
      {"UpSampling3D", kVolumetric},
      {"Wrapper", "the base class of wrappers: a subclass is custom code (derive from cairn::Layer)"},
      {"ZeroPadding1D", kNotYet}, {"ZeroPadding2D", kNotYet}, {"ZeroPadding3D", kVolumetric},
  };
  return catalogue;
}

KerasSupportSection layer_section() {
  KerasSupportSection section;
  section.title = "Layers";
  section.intro =
      "Every layer class of Keras 3.15 (`keras.layers`, aliases such as `MaxPool2D` left out). A supported class "
      "is read from and written to Keras configs, `.h5`, `.keras` and TensorFlow checkpoints, and passes the "
      "layer contract test (tests/layer_contract/): gradients, config and file round trips, training and "
      "inference modes, and Keras 3's own forward pass and training step.";
  std::map<std::string, const config_detail::LayerClass*> builtin;
  for (const config_detail::LayerClass& entry : config_detail::builtin_layer_classes())
    builtin[entry.class_name] = &entry;
  for (const auto& [name, reason] : keras3_layer_catalogue()) {
    auto registered = builtin.find(name);
    if (registered != builtin.end())
      section.rows.push_back({name, true, registered->second->support});
    else
      section.rows.push_back({name, false, reason.empty() ? kNotYet : reason});
  }
  for (const auto& [name, entry] : builtin)
    if (!keras3_layer_catalogue().count(name)) section.rows.push_back({name, true, entry->support});
  std::sort(section.rows.begin(), section.rows.end(),
            [](const KerasSupportRow& a, const KerasSupportRow& b) { return a.name < b.name; });
  return section;
}

std::string table_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::vector<std::string> builtin_layer_class_names() {
  std::vector<std::string> names;
  for (const config_detail::LayerClass& entry : config_detail::builtin_layer_classes()) names.push_back(entry.class_name);
  return names;
}

std::string keras_layer_unsupported_reason(const std::string& class_name) {
  auto it = keras3_layer_catalogue().find(class_name);
  if (it == keras3_layer_catalogue().end() || is_registered_layer(class_name)) return "";
  return it->second.empty() ? kNotYet : it->second;
}

std::vector<KerasSupportSection> keras_support_sections() {
  // One line per section, each from its own registry.
  std::vector<KerasSupportSection> sections = {layer_section()};
  for (KerasSupportSection& vocabulary : config_detail::vocabulary_support_sections())
    sections.push_back(std::move(vocabulary));
  sections.push_back(config_detail::operation_support_section());
  return sections;
}

std::string keras_support_markdown() {
  std::string out =
      "# What cairn supports of Keras 3\n\n"
      "Generated from cairn's registries by `cairn keras-support` (a test fails when this file is out of date: "
      "`build/tools/cairn keras-support > docs/keras_support.md` remakes it). Anything marked \"no\" is refused "
      "by name when a config or file asks for it.\n";
  for (const KerasSupportSection& section : keras_support_sections()) {
    size_t supported = 0;
    for (const KerasSupportRow& row : section.rows) supported += row.supported;
    out += "\n## " + section.title + "\n\n" + section.intro + "\n\n" + std::to_string(supported) + " of " +
           std::to_string(section.rows.size()) + " supported.\n\n| name | supported | notes |\n| --- | --- | --- |\n";
    for (const KerasSupportRow& row : section.rows)
      out += "| `" + row.name + "` | " + (row.supported ? "yes" : "no") + " | " + table_cell(row.note) + " |\n";
  }
  return out;
}

}  // namespace cairn
