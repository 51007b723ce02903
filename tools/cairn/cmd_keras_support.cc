// cairn keras-support: docs/keras_support.md, generated from cairn's registries.
#include <iostream>

#include "cairn/keras_support.h"
#include "command.h"

namespace cairn::cli {
namespace {

int run_keras_support(const Args&) {
  std::cout << keras_support_markdown();
  return 0;
}

const RegisterCommand kRegistration({
    .name = "keras-support",
    .summary = "print what cairn supports of Keras 3 (docs/keras_support.md) as Markdown",
    .description = "Every Keras 3 layer class, supported or not, with the reason for each \"not\", generated from\n"
                   "cairn's registries. `cairn keras-support > docs/keras_support.md` remakes the document; the\n"
                   "layer contract test fails while the committed one differs.",
    .run = run_keras_support,
});

}  // namespace
}  // namespace cairn::cli
