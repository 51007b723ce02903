// Communicator: the few MPI collectives cairn uses, over MPI_COMM_WORLD.
#include <mpi.h>

#include <climits>
#include <cstdlib>

#include "cairn/distributed.h"
#include "cairn/error.h"

namespace cairn {
namespace {

void check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw IOError(std::string("MPI: ") + call + " failed: " + std::string(text, static_cast<size_t>(length)));
}

// MPI counts are ints: larger buffers go in pieces.
constexpr size_t kMaxCount = INT_MAX / 8;

template <class T>
void all_reduce_in_place(std::span<T> values, MPI_Datatype type) {
  for (size_t begin = 0; begin < values.size(); begin += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, values.size() - begin));
    check(MPI_Allreduce(MPI_IN_PLACE, values.data() + begin, count, type, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  }
}

// Initializes MPI for the process's first Communicator::world(), and finalizes it at exit if it did.
struct MpiSession {
  bool owned = false;
  MpiSession() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    // Only the calling thread makes MPI calls; cairn's kernels use threads of their own in between.
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes, which check() turns into exceptions, instead of aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    owned = true;
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owned && !finalized) MPI_Finalize();
  }
};

}  // namespace

Communicator& Communicator::world() {
  static MpiSession session;
  static Communicator communicator;
  return communicator;
}

bool Communicator::started_by_launcher() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(variable) != nullptr) return true;
  return false;
}

Communicator::Communicator() {
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

void Communicator::all_reduce_sum(std::span<float> values) { all_reduce_in_place(values, MPI_FLOAT); }
void Communicator::all_reduce_sum(std::span<double> values) { all_reduce_in_place(values, MPI_DOUBLE); }
void Communicator::all_reduce_sum(std::span<int64_t> values) { all_reduce_in_place(values, MPI_INT64_T); }

void Communicator::broadcast(void* data, size_t bytes, int root) {
  auto* p = static_cast<char*>(data);
  for (size_t begin = 0; begin < bytes; begin += kMaxCount) {
    const int count = static_cast<int>(std::min(kMaxCount, bytes - begin));
    check(MPI_Bcast(p + begin, count, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
}

std::string Communicator::broadcast(const std::string& value, int root) {
  int64_t size = static_cast<int64_t>(value.size());
  broadcast(&size, sizeof size, root);
  std::string out = rank_ == root ? value : std::string(static_cast<size_t>(size), '\0');
  broadcast(out.data(), out.size(), root);
  return out;
}

std::vector<std::string> Communicator::gather(const std::string& value, int root) {
  if (value.size() > INT_MAX) throw InvalidArgument("Communicator::gather: a value of more than 2 GiB");
  const int size = static_cast<int>(value.size());
  std::vector<int> sizes(rank_ == root ? size_ : 0);
  check(MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, root, MPI_COMM_WORLD), "MPI_Gather");
  std::vector<int> offsets(sizes.size());
  std::string all;
  if (rank_ == root) {
    int64_t total = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (total + sizes[i] > INT_MAX) throw InvalidArgument("Communicator::gather: more than 2 GiB in all");
      offsets[i] = static_cast<int>(total);
      total += sizes[i];
    }
    all.resize(static_cast<size_t>(total));
  }
  check(MPI_Gatherv(value.data(), size, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, root,
                    MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<std::string> out;
  for (size_t i = 0; i < sizes.size(); ++i) out.push_back(all.substr(static_cast<size_t>(offsets[i]), static_cast<size_t>(sizes[i])));
  return out;
}

bool Communicator::all_true(bool value) {
  int in = value ? 1 : 0, out = 0;
  check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD), "MPI_Allreduce");
  return out != 0;
}

void Communicator::barrier() { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void Communicator::abort(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);  // MPI_Abort does not return; should it, the process still ends
}

}  // namespace cairn
