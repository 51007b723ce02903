// KerasFileDatasets: every dataset of a Keras file, for `cairn inspect` and `cairn verify`.
#include <algorithm>
#include <span>
#include <utility>

#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/zip.h"
#include "hdf5.h"
#include "keras_archive.h"

namespace cairn {

namespace {

// The dtype cairn reads a stored numpy dtype as (HDF5 converts), or nullopt.
std::optional<DType> read_dtype_of(const std::string& stored) {
  if (stored == "float32" || stored == "float16") return DType::Float32;
  if (stored == "float64") return DType::Float64;
  if (stored == "int32") return DType::Int32;
  if (stored == "int64" || stored == "int8" || stored == "int16" || stored == "uint16" || stored == "uint32")
    return DType::Int64;
  if (stored == "uint8") return DType::UInt8;
  return std::nullopt;
}

uint64_t saturating_product(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

// Adds the datasets under `group` (whose path relative to the root is `prefix`, "" for the root). The
// file's links were checked when it was opened: none leaves it and none closes a cycle.
void collect_datasets(const h5::Group& root, const h5::Group& group, const std::string& prefix,
                      std::vector<KerasDataset>& out) {
  for (const std::string& child : group.children()) {
    const std::string relative = prefix.empty() ? child : prefix + "/" + child;
    if (group.is_group(child)) {
      collect_datasets(root, group.open_group(child), relative, out);
      continue;
    }
    const h5::Group::DatasetType type = root.dataset_type(relative);
    KerasDataset dataset{.path = "/" + relative, .dtype = type.name, .shape = root.dataset_shape(relative)};
    dataset.bytes = type.item_size;
    for (int64_t d : dataset.shape) dataset.bytes = saturating_product(dataset.bytes, static_cast<uint64_t>(d));
    dataset.read_dtype = read_dtype_of(type.name);
    out.push_back(std::move(dataset));
  }
}

}  // namespace

struct KerasFileDatasets::Impl {
  std::string path;
  std::optional<h5::File> file;
  std::vector<KerasDataset> datasets;
};

KerasFileDatasets::KerasFileDatasets(const std::string& path, Env& env) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  const std::string content = env.read_file(path);
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(content.data()), content.size());
  auto lock = h5::lock();
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == 'K') {
    const ZipArchive archive(bytes, path);
    impl_->file.emplace(h5::File::open(archive.read(keras_io_detail::weights_member(archive)),
                                       path + ": " + keras_io_detail::kWeightsMember));
  } else if (h5::looks_like_hdf5(bytes)) {
    impl_->file.emplace(h5::File::open(bytes, path));
  } else {
    throw FormatError(path + ": neither an HDF5 file nor a zip archive (" + std::to_string(bytes.size()) +
                      " bytes)");
  }
  const h5::Group root = impl_->file->root();
  collect_datasets(root, root, "", impl_->datasets);
  std::sort(impl_->datasets.begin(), impl_->datasets.end(),
            [](const KerasDataset& a, const KerasDataset& b) { return a.path < b.path; });
}

KerasFileDatasets::~KerasFileDatasets() {
  auto lock = h5::lock();  // closing the file calls into HDF5
  impl_.reset();
}

const std::string& KerasFileDatasets::path() const { return impl_->path; }

const std::vector<KerasDataset>& KerasFileDatasets::datasets() const { return impl_->datasets; }

Tensor KerasFileDatasets::read(const std::string& dataset_path) const {
  const auto found = std::find_if(impl_->datasets.begin(), impl_->datasets.end(),
                                  [&](const KerasDataset& d) { return d.path == dataset_path; });
  if (found == impl_->datasets.end())
    throw InvalidArgument(impl_->path + " has no dataset '" + excerpt(dataset_path) + "'");
  if (!found->read_dtype)
    throw InvalidArgument(impl_->path + ": dataset '" + dataset_path + "' holds " + found->dtype +
                          ", which cairn cannot read");
  auto lock = h5::lock();
  return impl_->file->root().read_dataset(dataset_path.substr(1), *found->read_dtype);
}

}  // namespace cairn
