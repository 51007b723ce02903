#include "cairn/epoch_iterator.h"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include "cairn/error.h"

namespace cairn {
namespace {

// x row i is (i), y[i] = 1000 + i, so a batch tells which samples it holds.
LabeledData numbered(int64_t n) {
  LabeledData data{Tensor({n, 1}, DType::Float32), Tensor({n}, DType::Int64)};
  for (int64_t i = 0; i < n; ++i) {
    data.x.set({i, 0}, static_cast<double>(i));
    data.y.set({i}, 1000.0 + i);
  }
  return data;
}

// One yielded batch: the epoch, the step count after it and the sample ids in it.
using Yield = std::tuple<int, int64_t, std::vector<int64_t>>;

Yield yield_of(const EpochIterator& it, const Batch& batch) {
  std::vector<int64_t> ids;
  for (int64_t r = 0; r < batch.x.dim(0); ++r) {
    const auto id = static_cast<int64_t>(batch.x.get({r, 0}));
    EXPECT_EQ(batch.y.get({r}), 1000.0 + id);
    ids.push_back(id);
  }
  return {it.position().epoch, it.position().step, ids};
}

// fit's loop from the iterator's epoch to `epochs`, stopping after `budget` batches when >= 0 (mid-epoch).
std::vector<Yield> run(EpochIterator& it, int epochs, int64_t budget = -1) {
  std::vector<Yield> yields;
  for (int epoch = it.position().epoch; epoch < epochs; ++epoch) {
    it.begin_epoch(epoch);
    while (budget != 0) {
      std::optional<Batch> batch = it.next();
      if (!batch) break;
      yields.push_back(yield_of(it, *batch));
      --budget;
    }
    if (budget == 0) return yields;
    it.end_epoch();
  }
  return yields;
}

struct IteratorSetup {
  int64_t samples, batch_size, steps_per_epoch;
  bool shuffle;
};

TEST(EpochIterator, ResumedAtAnyStepYieldsExactlyTheBatchesOfAnUninterruptedRun) {
  // One pass per epoch, fewer steps than a pass, more steps than a pass (wrapping into the next pass),
  // and no shuffling.
  for (const IteratorSetup& s : {IteratorSetup{23, 5, 0, true}, IteratorSetup{23, 5, 3, true}, IteratorSetup{23, 5, 7, true}, IteratorSetup{10, 4, 0, false}}) {
    SCOPED_TRACE(::testing::Message() << "samples " << s.samples << ", steps_per_epoch " << s.steps_per_epoch);
    const LabeledData data = numbered(s.samples);
    const EpochIteratorOptions options{.batch_size = s.batch_size, .shuffle = s.shuffle, .seed = 7,
                                       .steps_per_epoch = s.steps_per_epoch};
    const int epochs = 4;
    EpochIterator uninterrupted(data.x, data.y, options);
    const std::vector<Yield> expected = run(uninterrupted, epochs);
    const int64_t steps = uninterrupted.steps_per_epoch();
    ASSERT_EQ(expected.size(), static_cast<size_t>(epochs * steps));

    // Cut after every batch: mid-epoch, after an epoch's last batch (before end_epoch) and so on.
    for (int64_t cut = 1; cut < static_cast<int64_t>(expected.size()); ++cut) {
      SCOPED_TRACE(cut);
      EpochIterator first(data.x, data.y, options);
      std::vector<Yield> yields = run(first, epochs, cut);
      const EpochPosition position = first.position();
      EXPECT_EQ(position.epoch, static_cast<int>((cut - 1) / steps));
      EXPECT_EQ(position.step, (cut - 1) % steps + 1);

      // A new iterator, seeded otherwise: the restored position's data order wins.
      EpochIterator resumed(data.x, data.y, {.batch_size = s.batch_size, .shuffle = s.shuffle, .seed = 999,
                                             .steps_per_epoch = s.steps_per_epoch});
      resumed.restore(position);
      EXPECT_EQ(resumed.position(), position);
      const std::vector<Yield> rest = run(resumed, epochs);
      yields.insert(yields.end(), rest.begin(), rest.end());
      EXPECT_EQ(yields, expected);
    }
  }
}

TEST(EpochIterator, AnEpochsDataOrderDependsOnlyOnItsNumber) {
  const LabeledData data = numbered(23);
  for (int64_t steps_per_epoch : {0, 2, 9}) {
    SCOPED_TRACE(steps_per_epoch);
    const EpochIteratorOptions options{.batch_size = 5, .seed = 3, .steps_per_epoch = steps_per_epoch};
    EpochIterator from_zero(data.x, data.y, options);
    std::vector<Yield> all = run(from_zero, 4);
    std::vector<Yield> epoch_3(all.end() - from_zero.steps_per_epoch(), all.end());

    // Starting at epoch 3 (fit's initial_epoch) gives epoch 3 the same batches.
    EpochIterator from_three(data.x, data.y, options);
    EXPECT_TRUE(from_three.begin_epoch(3));
    std::vector<Yield> direct;
    while (std::optional<Batch> batch = from_three.next()) direct.push_back(yield_of(from_three, *batch));
    EXPECT_EQ(direct, epoch_3);
    EXPECT_NE(std::get<2>(all.front()), std::get<2>(epoch_3.front()));  // and epochs do differ
  }
}

TEST(EpochIterator, StepsPerEpochCutsOrExtendsThePass) {
  const LabeledData data = numbered(23);
  // Three of the five batches of a pass, then the next epoch starts its own order.
  EpochIterator shorter(data.x, data.y, {.batch_size = 5, .shuffle = false, .steps_per_epoch = 3});
  std::vector<Yield> two_epochs = run(shorter, 2);
  ASSERT_EQ(two_epochs.size(), 6u);
  EXPECT_EQ(two_epochs[2], (Yield{0, 3, {10, 11, 12, 13, 14}}));
  EXPECT_EQ(two_epochs[3], (Yield{1, 1, {0, 1, 2, 3, 4}}));

  // Seven steps: the pass's five batches (the last one of 3 samples), then two of the next pass.
  EpochIterator longer(data.x, data.y, {.batch_size = 5, .shuffle = false, .steps_per_epoch = 7});
  std::vector<Yield> one_epoch = run(longer, 1);
  ASSERT_EQ(one_epoch.size(), 7u);
  EXPECT_EQ(one_epoch[4], (Yield{0, 5, {20, 21, 22}}));
  EXPECT_EQ(one_epoch[5], (Yield{0, 6, {0, 1, 2, 3, 4}}));
  EXPECT_EQ(longer.position(), (EpochPosition{1, 0, BatchIteratorState{1, 0, longer.position().data.seed, 23}}));
}

TEST(EpochIterator, BeginEpochContinuesOnlyARestoredEpochInProgress) {
  const LabeledData data = numbered(10);
  EpochIterator it(data.x, data.y, {.batch_size = 4, .seed = 1});
  EXPECT_EQ(it.steps_per_epoch(), 3);
  EXPECT_TRUE(it.begin_epoch(0));
  it.next();
  const EpochPosition inside = it.position();
  EXPECT_EQ(inside.step, 1);

  EpochIterator restored(data.x, data.y, {.batch_size = 4, .seed = 2});
  restored.restore(inside);
  EXPECT_FALSE(restored.begin_epoch(0));  // continues at step 1
  EXPECT_EQ(restored.position(), inside);
  restored.restore(inside);
  EXPECT_TRUE(restored.begin_epoch(1));  // another epoch starts afresh
  EXPECT_EQ(restored.position().step, 0);
  EXPECT_EQ(restored.position().data.position, 0);

  // An epoch that stopped early still ends: the next one starts at its own beginning.
  it.end_epoch();
  EXPECT_EQ(it.position().epoch, 1);
  EXPECT_EQ(it.position().step, 0);
  EXPECT_EQ(it.position().data.epoch, 1);
  EXPECT_EQ(it.position().data.position, 0);
}

TEST(EpochIterator, RejectsBadOptionsAndPositionsForOtherData) {
  const LabeledData data = numbered(10);
  EXPECT_THROW(EpochIterator(data.x, data.y, {.batch_size = 0}), InvalidArgument);
  EXPECT_THROW(EpochIterator(data.x, data.y, {.steps_per_epoch = -1}), InvalidArgument);
  EXPECT_THROW(EpochIterator(data.x, numbered(9).y), ShapeError);

  EpochIterator it(data.x, data.y, {.batch_size = 4, .seed = 1});
  it.begin_epoch(2);
  it.next();
  const EpochPosition before = it.position();
  EpochPosition other_data = before;
  other_data.data.num_samples = 11;
  EXPECT_THROW(it.restore(other_data), InvalidArgument);
  EpochPosition negative_step = before;
  negative_step.step = -1;
  EXPECT_THROW(it.restore(negative_step), InvalidArgument);
  EXPECT_EQ(it.position(), before);  // a refused position changes nothing
}

}  // namespace
}  // namespace cairn
