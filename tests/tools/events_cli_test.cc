// `cairn events`: the scalars of a log directory as CSV, and its answer to a damaged file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/summary.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

using testing::CliResult;
using testing::lines;

class EventsCli : public testing::CliFixture {
 protected:
  // logs/train and logs/validation as the TensorBoard callback leaves them, written out of order.
  std::string write_logs() const {
    const std::string logs = path("logs");
    EventFileWriter train(logs + "/train");
    train.add_scalar("epoch_loss", 0.5, 1, 1700000001.25);
    train.add_scalar("epoch_loss", 0.75, 0, 1700000000.5);
    train.add_scalar("epoch_accuracy", 0.1, 0, 1700000000.5);
    train.add_scalar("lr, \"scaled\"", 1e-3, 0, 1700000000.5);
    train.close();
    EventFileWriter validation(logs + "/validation");
    validation.add_scalar("epoch_loss", 0.8, 0, 1700000000.75);
    validation.close();
    return logs;
  }
};

TEST_F(EventsCli, PrintsSortedCsv) {
  const std::string logs = write_logs();
  CliResult run = cairn({"events", logs});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out,
            "run,step,tag,value\n"
            "train,0,epoch_accuracy,0.1\n"
            "train,0,epoch_loss,0.75\n"
            "train,1,epoch_loss,0.5\n"
            "train,0,\"lr, \"\"scaled\"\"\",0.001\n"
            "validation,0,epoch_loss,0.8\n");
  EXPECT_EQ(run.err, "");
}

TEST_F(EventsCli, WallTimeColumnAndOneRunDirectory) {
  const std::string logs = write_logs();
  CliResult run = cairn({"events", "--wall-time", logs + "/train"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out,
            "run,step,tag,value,wall_time\n"
            ",0,epoch_accuracy,0.1,1700000000.5\n"
            ",0,epoch_loss,0.75,1700000000.5\n"
            ",1,epoch_loss,0.5,1700000001.25\n"
            ",0,\"lr, \"\"scaled\"\"\",0.001,1700000000.5\n");
}

TEST_F(EventsCli, DamagedFileExitsOneNamingIt) {
  const std::string logs = write_logs();
  const std::vector<std::string> files = Env::Default().list_dir(logs + "/validation");
  ASSERT_EQ(files.size(), 1u);
  const std::string path = logs + "/validation/" + files[0];
  std::string bytes = Env::Default().read_file(path);
  bytes[bytes.size() - 5] ^= 0x20;  // the last byte of the last record's data, before its CRC
  auto file = Env::Default().new_writable_file(path);
  file->append(bytes);
  file->close();

  CliResult run = cairn({"events", logs});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(run.err.starts_with("cairn events: " + path + ": the record at offset ")) << run.err;
  EXPECT_NE(run.err.find(" is damaged: the CRC of its "), std::string::npos) << run.err;

  // Cut inside its last record, as while its writer is still writing it: the events before that
  // record, and a warning that says truncated.
  file = Env::Default().new_writable_file(path);
  file->append(bytes.substr(0, bytes.size() - 10));
  file->close();
  run = cairn({"events", logs});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(lines(run.out).size(), 5u) << run.out;  // the header and train's four scalars
  EXPECT_TRUE(run.err.starts_with("cairn: WARNING: " + path + ": the record at offset ")) << run.err;
  EXPECT_NE(run.err.find(" is truncated: "), std::string::npos) << run.err;
}

TEST_F(EventsCli, MissingDirectoryAndHelp) {
  CliResult missing = cairn({"events", path("nothing")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find(path("nothing")), std::string::npos) << missing.err;

  CliResult help = cairn({"help", "events"});
  EXPECT_EQ(help.status, 0);
  EXPECT_TRUE(help.out.starts_with("usage: cairn events [--all] [--wall-time] DIR\n")) << help.out;
  CliResult overview = cairn({"--help"});
  EXPECT_NE(overview.out.find("\n  events "), std::string::npos) << overview.out;
}

}  // namespace
}  // namespace cairn
