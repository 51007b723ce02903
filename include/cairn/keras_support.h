// What cairn supports of Keras 3's vocabulary, section by section (layers; other sections come from their
// own registries), as docs/keras_support.md shows it. `cairn keras-support` prints the document; a test
// checks that the committed one is up to date.
#pragma once

#include <string>
#include <vector>

namespace cairn {

struct KerasSupportRow {
  std::string name;       // Keras's name: "Dense", "GRU"
  bool supported = false;
  std::string note;       // what of it cairn has, or why it is not supported
};

struct KerasSupportSection {
  std::string title;  // "Layers"
  std::string intro;  // a paragraph under the title
  std::vector<KerasSupportRow> rows;
};

// Every section, in the document's order. Each comes from the registry of its kind: the layer section
// lists every Keras 3 layer class, with the registered ones marked supported.
std::vector<KerasSupportSection> keras_support_sections();
// docs/keras_support.md: a title, then each section as a table.
std::string keras_support_markdown();
// The Keras class names of cairn's built-in layers, in their registration list's order (register_layer()
// adds classes beyond these).
std::vector<std::string> builtin_layer_class_names();
// Why cairn does not have the Keras 3 layer class `class_name`, or "" when the name is not one of Keras
// 3's layer classes (or is supported).
std::string keras_layer_unsupported_reason(const std::string& class_name);

}  // namespace cairn
