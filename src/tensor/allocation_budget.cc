#include "cairn/allocation_budget.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "cairn/error.h"

namespace cairn {

namespace allocation_budget_detail {

struct State {
  uint64_t limit = 0;
  std::string what;
  std::shared_ptr<State> enclosing;
  // Buffers give their bytes back from whatever thread frees them.
  std::atomic<uint64_t> used{0};
};

}  // namespace allocation_budget_detail

using allocation_budget_detail::State;

namespace {
thread_local std::shared_ptr<State> innermost_budget;
}  // namespace

ScopedAllocationBudget::ScopedAllocationBudget(uint64_t limit_bytes, std::string what)
    : state_(std::make_shared<State>()) {
  state_->limit = limit_bytes;
  state_->what = std::move(what);
  state_->enclosing = innermost_budget;
  innermost_budget = state_;
}

ScopedAllocationBudget::~ScopedAllocationBudget() { innermost_budget = state_->enclosing; }

uint64_t ScopedAllocationBudget::limit() const { return state_->limit; }
uint64_t ScopedAllocationBudget::used() const { return state_->used.load(); }

BudgetCharge::BudgetCharge(std::shared_ptr<State> state, uint64_t bytes) : state_(std::move(state)), bytes_(bytes) {}

BudgetCharge::BudgetCharge(BudgetCharge&& other) noexcept
    : state_(std::move(other.state_)), bytes_(std::exchange(other.bytes_, 0)) {}

BudgetCharge& BudgetCharge::operator=(BudgetCharge&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

BudgetCharge::~BudgetCharge() { release(); }

void BudgetCharge::release() noexcept {
  for (State* s = state_.get(); s; s = s->enclosing.get()) s->used -= bytes_;
  state_.reset();
  bytes_ = 0;
}

BudgetCharge charge_allocation(uint64_t bytes, const std::function<std::string()>& describe) {
  if (!innermost_budget) return {};
  // Every budget is checked before any is charged, so a refused allocation leaves them all as they were.
  for (const State* s = innermost_budget.get(); s; s = s->enclosing.get()) {
    const uint64_t used = s->used.load();
    if (used > s->limit || bytes > s->limit - used)
      throw ResourceLimitError(s->what + ": " + describe() + " needs " + std::to_string(bytes) +
                               " bytes, but only " + std::to_string(s->limit - std::min(used, s->limit)) +
                               " of the " + std::to_string(s->limit) + " bytes allowed for it remain");
  }
  for (State* s = innermost_budget.get(); s; s = s->enclosing.get()) s->used += bytes;
  return BudgetCharge(innermost_budget, bytes);
}

}  // namespace cairn
