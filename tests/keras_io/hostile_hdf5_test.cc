// HDF5 files that try to reach outside themselves or claim more than they hold: external, dangling,
// user-defined and cyclic links are refused naming the link and the file, a dataset's declared shape is
// bounded by the file before anything is allocated, and the HDF5 library prints nothing on its own.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <functional>

#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "keras_io/hdf5.h"
#include "keras_io/test_models.h"
#include "temp_dir.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::ModelKind;

herr_t find_dataset(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  *static_cast<std::string*>(data) = name;
  return 1;  // stop at the first
}

class HostileHdf5 : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(41);
    model_ = testing::make_model(ModelKind::Dense);
    model_->save_weights(path_);
    auto lock = h5::lock();
    Handle file = open_on_disk(path_);
    H5Ovisit_by_name(file.id(), "layers", H5_INDEX_NAME, H5_ITER_INC, find_dataset, &weight_, H5P_DEFAULT);
    weight_ = "layers/" + weight_;
    ASSERT_FALSE(weight_.empty());
  }

  using Handle = h5::Handle;
  static Handle open_on_disk(const std::string& path) {
    return Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  }
  // Edits the saved weights file in place through the HDF5 library.
  void edit(const std::function<void(hid_t)>& change) {
    auto lock = h5::lock();
    Handle file = open_on_disk(path_);
    ASSERT_GE(file.id(), 0);
    change(file.id());
  }
  void load() { testing::make_model(ModelKind::Dense)->load_weights(path_); }

  testing::TempDir dir_;
  const std::string path_ = dir_ / "model.weights.h5";
  std::shared_ptr<Model> model_;
  std::string weight_;  // the path of a layer weight's dataset in the file ("layers/dense/vars/0")
};

TEST_F(HostileHdf5, ExternalLinkIsRefusedNotFollowed) {
  // other.h5 holds a dataset of the weight's shape; the weight becomes a link to it.
  const std::string other = dir_ / "other.h5";
  edit([&](hid_t file) {
    Handle dataset(H5Dopen2(file, weight_.c_str(), H5P_DEFAULT), H5Dclose);
    Handle space(H5Dget_space(dataset.id()), H5Sclose);
    Handle other_file(H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    Handle copy(H5Dcreate2(other_file.id(), "x", H5T_IEEE_F32LE, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose);
    std::vector<float> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space.id())), 42.f);
    ASSERT_GE(H5Dwrite(copy.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
    dataset.reset();
    ASSERT_GE(H5Ldelete(file, weight_.c_str(), H5P_DEFAULT), 0);
    ASSERT_GE(H5Lcreate_external(other.c_str(), "/x", file, weight_.c_str(), H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  testing::expect_error_mentioning<FormatError>([&] { load(); }, {path_, "/" + weight_, "external link", other});
}

TEST_F(HostileHdf5, DanglingSoftLinkIsRefused) {
  edit([&](hid_t file) {
    ASSERT_GE(H5Ldelete(file, weight_.c_str(), H5P_DEFAULT), 0);
    ASSERT_GE(H5Lcreate_soft("/nowhere/x", file, weight_.c_str(), H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  testing::expect_error_mentioning<FormatError>([&] { load(); }, {path_, "/" + weight_, "soft link to \"/nowhere/x\""});
}

TEST_F(HostileHdf5, SoftLinkInsideTheFileIsFollowed) {
  edit([&](hid_t file) {
    ASSERT_GE(H5Lmove(file, weight_.c_str(), file, "moved", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE(H5Lcreate_soft("/moved", file, weight_.c_str(), H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  auto loaded = testing::make_model(ModelKind::Dense);
  loaded->load_weights(path_);
  testing::expect_same_weights(*model_, *loaded);
}

TEST_F(HostileHdf5, GroupReachedTwiceIsACycle) {
  // A group that holds a hard link to itself: a walk through it would never end.
  edit([&](hid_t file) {
    Handle group(H5Gcreate2(file, "extra", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    ASSERT_GE(H5Lcreate_hard(file, "extra", group.id(), "again", H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  testing::expect_error_mentioning<FormatError>([&] { load(); }, {path_, "/extra/again", "reached a second time"});
}

hid_t no_traversal(const char*, hid_t, const void*, size_t, hid_t, hid_t) { return H5I_INVALID_HID; }

TEST_F(HostileHdf5, UserDefinedLinkIsRefused) {
  const H5L_type_t kType = static_cast<H5L_type_t>(H5L_TYPE_UD_MIN + 7);
  const H5L_class_t link_class = {H5L_LINK_CLASS_T_VERS, kType, "test link", nullptr, nullptr, nullptr, no_traversal,
                                  nullptr, nullptr};
  edit([&](hid_t file) {
    ASSERT_GE(H5Lregister(&link_class), 0);
    ASSERT_GE(H5Lcreate_ud(file, "odd", kType, "x", 1, H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  testing::expect_error_mentioning<FormatError>([&] { load(); }, {path_, "/odd", "user-defined link"});
  auto lock = h5::lock();
  H5Lunregister(kType);
}

TEST(HostileHdf5Datasets, DeclaredShapeIsBoundedByTheFile) {
  // A dataspace of 2^40 elements whose storage was never written: the file is a few kilobytes.
  std::vector<uint8_t> image;
  {
    auto lock = h5::lock();
    h5::File file = h5::File::create("huge.h5");
    h5::Group root = file.root();
    const hsize_t dims[2] = {hsize_t{1} << 20, hsize_t{1} << 20};
    h5::Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    h5::Handle dataset(
        H5Dcreate2(root.id(), "huge", H5T_STD_U8LE, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    ASSERT_GE(dataset.id(), 0);
    dataset.reset();
    image = file.image();
  }
  ASSERT_LT(image.size(), 1u << 20);
  auto lock = h5::lock();
  h5::File file = h5::File::open(image, "huge.h5");
  EXPECT_EQ(file.root().dataset_shape("huge"), (Shape{1 << 20, 1 << 20}));
  testing::expect_error_mentioning<ResourceLimitError>([&] { file.root().read_dataset("huge", DType::Float32); },
                                   {"huge.h5", "/huge", "1099511627776 bytes", "more than its file could hold"});
}

TEST(HostileHdf5Library, PrintsNothingOnItsOwn) {
  // A signature followed by junk makes the library fail deep inside; only cairn's exception reports it.
  std::vector<uint8_t> bytes = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  bytes.resize(4096, 0x5a);
  testing::TempDir dir;
  const std::string captured = dir / "stderr.txt";
  fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  FILE* capture = fopen(captured.c_str(), "w");
  dup2(fileno(capture), STDERR_FILENO);
  {
    auto lock = h5::lock();
    EXPECT_THROW(h5::File::open(bytes, "junk.h5"), FormatError);
  }
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  fclose(capture);
  EXPECT_EQ(Env::Default().read_file(captured), "");
}

}  // namespace
}  // namespace cairn
