// A bound on the tensor memory that one thread may allocate, for code that builds tensors from what an
// untrusted file or config asks for:
//
//   ScopedAllocationBudget budget(64 << 20, "load_model('m.h5')");
//   ... every Tensor this thread allocates while `budget` lives counts against its 64 MiB ...
//
// A Tensor whose buffer would take the bytes charged to a budget past its limit throws
// ResourceLimitError naming the budget's `what`, the tensor's dtype and shape, and the numbers, before
// anything is allocated. Bytes stay charged while their buffer lives: freeing it (on any thread, at any
// time) gives them back. Budgets nest: a thread's allocation counts against each enclosing budget.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cairn {

namespace allocation_budget_detail {
struct State;
}  // namespace allocation_budget_detail

class ScopedAllocationBudget {
 public:
  // Scopes must end in the reverse order of their creation, on the thread that created them.
  ScopedAllocationBudget(uint64_t limit_bytes, std::string what);
  ~ScopedAllocationBudget();
  ScopedAllocationBudget(const ScopedAllocationBudget&) = delete;
  ScopedAllocationBudget& operator=(const ScopedAllocationBudget&) = delete;

  uint64_t limit() const;
  // The bytes of the live buffers allocated under this budget (its nested budgets included).
  uint64_t used() const;

 private:
  std::shared_ptr<allocation_budget_detail::State> state_;
};

// Bytes charged to the budgets in force on a thread when they were allocated; given back when the
// charge is destroyed. Empty when no budget was in force.
class BudgetCharge {
 public:
  BudgetCharge() = default;
  BudgetCharge(BudgetCharge&& other) noexcept;
  BudgetCharge& operator=(BudgetCharge&& other) noexcept;
  ~BudgetCharge();

 private:
  friend BudgetCharge charge_allocation(uint64_t bytes, const std::function<std::string()>& describe);
  BudgetCharge(std::shared_ptr<allocation_budget_detail::State> state, uint64_t bytes);
  void release() noexcept;

  std::shared_ptr<allocation_budget_detail::State> state_;
  uint64_t bytes_ = 0;
};

// Charges `bytes` to every budget in force on this thread. ResourceLimitError when one of them would
// go past its limit; `describe` ("a float32 tensor of shape (2, 3)") names what asked, and is called
// only then.
BudgetCharge charge_allocation(uint64_t bytes, const std::function<std::string()>& describe);

}  // namespace cairn
