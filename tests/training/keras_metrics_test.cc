// The metrics against Keras 3: result() after each of two batches of
// tests/conformance/vocabulary/metrics.npz within testing::kKerasTolerance; a state copied into a new
// metric between the batches continues exactly; Keras's identifiers and aliases.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "cairn/metrics.h"
#include "expect_error.h"
#include "keras_vocabulary.h"

namespace cairn {
namespace {

using testing::KerasVocabulary;

const KerasVocabulary& oracle() {
  static const KerasVocabulary vocabulary("metrics");
  return vocabulary;
}

// generate_vocabulary.py's METRIC_CASES, with the same arguments.
std::map<std::string, std::function<std::unique_ptr<Metric>()>> keras_cases() {
  return {
      {"auc_roc", [] { return std::make_unique<AUC>(); }},
      {"auc_pr", [] { return std::make_unique<AUC>(200, "PR"); }},
      {"auc_logits", [] { return std::make_unique<AUC>(50, "ROC", "auc", true); }},
      {"precision", [] { return std::make_unique<Precision>(); }},
      {"precision_threshold", [] { return std::make_unique<Precision>(0.3); }},
      {"recall", [] { return std::make_unique<Recall>(); }},
      {"top_k", [] { return std::make_unique<TopKCategoricalAccuracy>(2); }},
      {"sparse_top_k", [] { return std::make_unique<TopKCategoricalAccuracy>(3, true); }},
      {"mean_absolute_error", [] { return make_metric("mae", {}, {}); }},
      {"root_mean_squared_error", [] { return make_metric("root_mean_squared_error", {}, {}); }},
      {"mean_absolute_percentage_error", [] { return make_metric("mape", {}, {}); }},
      {"mean_io_u", [] { return std::make_unique<MeanIoU>(4); }},
      {"mean_io_u_scores", [] { return std::make_unique<MeanIoU>(4, 0, true, false); }},
      {"f1_macro", [] { return std::make_unique<F1Score>("macro"); }},
      {"f1_micro_threshold", [] { return std::make_unique<F1Score>("micro", 0.4); }},
      {"f1_weighted", [] { return std::make_unique<F1Score>("weighted", 0.5); }},
  };
}

const Tensor& batch(const std::string& name, const char* part, int index) {
  return oracle().at(name + "." + part + "." + std::to_string(index));
}

TEST(KerasMetrics, ResultsMatchKeras) {
  for (const auto& [name, make] : keras_cases()) {
    SCOPED_TRACE(name);
    std::unique_ptr<Metric> metric = make();
    for (int b = 0; b < 2; ++b) {
      metric->update_state(batch(name, "y_true", b), batch(name, "y_pred", b));
      testing::expect_keras_close(Tensor::scalar(metric->result(), DType::Float64), batch(name, "result", b),
                                  name + " after batch " + std::to_string(b));
    }
  }
}

TEST(KerasMetrics, EveryRegisteredMetricIsCheckedAgainstKeras) {
  std::set<std::string> checked = {"MeanSquaredError"};  // tests/conformance's functional_merge case
  for (const auto& [name, make] : keras_cases()) checked.insert(make()->class_name());
  checked.insert("MeanAbsoluteError");  // "mae" is MeanError, whose class_name is the internal ""
  for (const MetricRegistration& entry : metric_registry())
    EXPECT_TRUE(checked.count(entry.class_name)) << entry.class_name << " has no Keras case";
}

// AUC's threshold counts, MeanIoU's confusion matrix and the rest: a state restored into a new metric
// continues the epoch as if nothing had stopped.
TEST(KerasMetrics, RestoredStateContinuesExactly) {
  for (const auto& [name, make] : keras_cases()) {
    SCOPED_TRACE(name);
    std::unique_ptr<Metric> straight = make();
    for (int b = 0; b < 2; ++b) straight->update_state(batch(name, "y_true", b), batch(name, "y_pred", b));
    std::unique_ptr<Metric> first = make();
    first->update_state(batch(name, "y_true", 0), batch(name, "y_pred", 0));
    std::unique_ptr<Metric> resumed = make();
    resumed->set_state(first->state());
    resumed->update_state(batch(name, "y_true", 1), batch(name, "y_pred", 1));
    EXPECT_EQ(resumed->result(), straight->result());
    EXPECT_EQ(resumed->state(), straight->state());
  }
  AUC auc(10);
  EXPECT_EQ(auc.state().size(), 40u);
  testing::expect_error_mentioning<InvalidArgument>([&] { auc.set_state({1, 2}); }, {"auc", "2 values"});
}

TEST(KerasMetrics, IdentifiersAndAliasesResolve) {
  EXPECT_EQ(make_metric("auc", {4, 1}, {4, 1})->class_name(), "AUC");
  EXPECT_EQ(make_metric("precision", {4, 1}, {4, 1})->name(), "precision");
  EXPECT_EQ(make_metric("sparse_top_k_categorical_accuracy", {4}, {4, 9})->class_name(),
            "SparseTopKCategoricalAccuracy");
  for (const char* name : {"acc", "ce", "crossentropy", "mae", "mse", "mape", "msle", "kld", "hinge", "auc"})
    EXPECT_TRUE(is_metric_name(name)) << name;
  EXPECT_FALSE(is_metric_name("mean_io_u"));  // needs num_classes, as in Keras
  // "ce" follows the shapes, as "accuracy" does: binary here.
  std::unique_ptr<Metric> ce = make_metric("ce", {2, 1}, {2, 1});
  ce->update_state(Tensor::from_values({2, 1}, {1, 0}), Tensor::from_values({2, 1}, {0.5, 0.5}));
  EXPECT_NEAR(ce->result(), std::log(2.0), 1e-6);
  testing::expect_error_mentioning<InvalidArgument>([] { make_metric("aucc", {}, {}); },
                                                    {"Unknown metric function: 'aucc'", "auc", "precision"});
  KeywordArgs none("F1Score", {{"average", nullptr}});
  testing::expect_error_mentioning<InvalidArgument>([&] { make_metric_from_config("F1Score", "f1", none); },
                                                    {"average", "one score per class"});
}

}  // namespace
}  // namespace cairn
