// BatchIterator::shard and EpochIterator's replica options: the replicas' parts of every batch are
// disjoint and together are the batch one iterator yields, in its order.
#include <gtest/gtest.h>

#include "cairn/data.h"
#include "cairn/epoch_iterator.h"
#include "cairn/error.h"

namespace cairn {
namespace {

Tensor sample_ids(int64_t n) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i;
  return Tensor::from_vector<int64_t>({n}, ids);
}

std::vector<int64_t> values(const Tensor& t) { return {t.span<int64_t>().begin(), t.span<int64_t>().end()}; }

TEST(BatchIteratorShard, ReplicasSplitEveryBatchInOrder) {
  const Tensor x = sample_ids(10);  // batches of 4: 4, 4 and a short one of 2
  for (int replicas : {1, 2, 3, 4}) {
    BatchIterator whole(x, x, 4, true, 5);
    std::vector<BatchIterator> parts;
    for (int r = 0; r < replicas; ++r) {
      parts.emplace_back(x, x, 4, true, 5);
      parts.back().shard(r, replicas);
    }
    for (int epoch = 0; epoch < 2; ++epoch) {
      while (std::optional<Batch> batch = whole.next()) {
        std::vector<int64_t> joined;
        for (int r = 0; r < replicas; ++r) {
          std::optional<Batch> part = parts[static_cast<size_t>(r)].next();
          ASSERT_TRUE(part);
          const int64_t n = batch->x.dim(0);
          EXPECT_EQ(part->x.dim(0), n * (r + 1) / replicas - n * r / replicas) << replicas << " replicas";
          EXPECT_EQ(values(part->x), values(part->y));
          for (int64_t v : values(part->x)) joined.push_back(v);
          EXPECT_EQ(parts[static_cast<size_t>(r)].state(), whole.state());  // positions stay global
        }
        EXPECT_EQ(joined, values(batch->x)) << replicas << " replicas, epoch " << epoch;
      }
      for (auto& part : parts) EXPECT_FALSE(part.next());
    }
  }
}

TEST(BatchIteratorShard, ReplicaOutOfRangeIsRefused) {
  BatchIterator it(sample_ids(4), Tensor(), 2, false);
  EXPECT_THROW(it.shard(2, 2), InvalidArgument);
  EXPECT_THROW(it.shard(0, 0), InvalidArgument);
  EXPECT_THROW(it.shard(-1, 2), InvalidArgument);
}

TEST(BatchIteratorShard, EpochIteratorOptionsShardTheBatches) {
  const Tensor x = sample_ids(12);
  EpochIterator whole(x, Tensor(), {.batch_size = 6, .seed = 3});
  EpochIterator second(x, Tensor(), {.batch_size = 6, .seed = 3, .replica_id = 1, .num_replicas = 3});
  whole.begin_epoch(0);
  second.begin_epoch(0);
  while (std::optional<Batch> batch = whole.next()) {
    std::optional<Batch> part = second.next();
    ASSERT_TRUE(part);
    const std::vector<int64_t> all = values(batch->x);
    EXPECT_EQ(values(part->x), std::vector<int64_t>(all.begin() + 2, all.begin() + 4));
    EXPECT_EQ(second.position(), whole.position());
  }
  EXPECT_FALSE(second.next());
}

}  // namespace
}  // namespace cairn
