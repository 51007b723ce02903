// `cairn events` on log directories that would hurt a naive reader: a symlink loop, a FIFO, a huge
// sparse file. Each must end at once, in little memory, naming what it skipped or could not read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "cairn/summary.h"
#include "fifo_unblocker.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

using testing::CliResult;
using testing::contains;

class EventsHostileCli : public testing::CliFixture {
 protected:
  // logs/train with one scalar.
  std::string write_logs() const {
    const std::string logs = path("logs");
    EventFileWriter train(logs + "/train");
    train.add_scalar("epoch_loss", 0.5, 0, 1700000000.5);
    train.close();
    return logs;
  }
};

TEST_F(EventsHostileCli, ASymlinkLoopGivesNoPhantomRuns) {
  const std::string logs = write_logs();
  ASSERT_EQ(::symlink("..", (logs + "/train/up").c_str()), 0);
  CliResult run = cairn({"events", logs});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "run,step,tag,value\ntrain,0,epoch_loss,0.5\n");
  EXPECT_EQ(run.err, "");
}

TEST_F(EventsHostileCli, AFifoIsSkippedWithAWarningOrRefusedNamingIt) {
  const std::string logs = write_logs();
  const std::string fifo = logs + "/events.out.tfevents.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  testing::FifoUnblocker unblocker(fifo);  // only a reader that opens it would wait
  CliResult run = cairn({"events", logs});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "run,step,tag,value\ntrain,0,epoch_loss,0.5\n");
  EXPECT_EQ(run.err, "cairn: WARNING: " + fifo + " is not a regular file (a FIFO, socket or device): skipped\n");

  run = cairn({"events", fifo});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, "cairn events: " + fifo + " is not a regular file or a directory (a FIFO, socket or device)\n");
  EXPECT_FALSE(unblocker.stop()) << "cairn opened the FIFO";
}

TEST_F(EventsHostileCli, AHugeSparseFileIsNotReadIntoMemory) {
  const std::string logs = write_logs();
  const std::string file = logs + "/train/" + Env::Default().list_dir(logs + "/train")[0];
  const uint64_t records = Env::Default().file_size(file);
  ASSERT_EQ(::truncate(file.c_str(), off_t{3} << 30), 0);  // 3 GB of zeros that take no disk space
  // Within 1 GB of address space: reading the file whole fails at once instead of swapping.
  CliResult run = cairn({"events", logs}, /*memory_limit_mb=*/1024);
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, "cairn events: " + file + ": the record at offset " + std::to_string(records) +
                         " is damaged: the CRC of its length does not match\n");
}

}  // namespace
}  // namespace cairn
