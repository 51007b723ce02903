#include "hdf5.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "cairn/error.h"

namespace cairn::h5 {

namespace {

// HDF5's object header limit, which Keras keeps each name-list attribute under.
constexpr size_t kAttributeLimit = 64512;
// Compression filters cannot honestly inflate data more than deflate's ~1032:1.
constexpr uint64_t kMaxFilterRatio = 1032;
// Keras nests groups a handful of levels deep (nested models add a few); deeper is refused, which also
// bounds the recursion of the link walk.
constexpr int kMaxGroupDepth = 256;

herr_t collect_description(unsigned, const H5E_error2_t* error, void* data) {
  if (error->desc && *error->desc) static_cast<std::vector<std::string>*>(data)->push_back(error->desc);
  return 0;
}

// The library's reason for the last failure (outermost and innermost descriptions), clearing its stack.
std::string reason() {
  std::vector<std::string> descriptions;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_description, &descriptions);
  H5Eclear2(H5E_DEFAULT);
  if (descriptions.empty()) return "the HDF5 library gave no reason";
  if (descriptions.size() == 1 || descriptions.front() == descriptions.back()) return descriptions.front();
  return descriptions.front() + ": " + descriptions.back();
}

[[noreturn]] void fail_read(const std::string& where, const std::string& what) {
  throw FormatError(where + ": " + what + " (" + reason() + ")");
}

[[noreturn]] void fail_write(const std::string& where, const std::string& what) {
  throw IOError(where + ": " + what + " (" + reason() + ")");
}

Handle read_handle(hid_t id, Handle::Closer close, const std::string& where, const std::string& what) {
  if (id < 0) fail_read(where, what);
  return Handle(id, close);
}

Handle write_handle(hid_t id, Handle::Closer close, const std::string& where, const std::string& what) {
  if (id < 0) fail_write(where, what);
  return Handle(id, close);
}

// The size of the file an object lives in (for an in-memory file, its image): what bounds what it can
// honestly hold.
uint64_t file_size_of(hid_t object, const std::string& where) {
  Handle file = read_handle(H5Iget_file_id(object), H5Fclose, where, "cannot find the object's file");
  hsize_t size = 0;
  if (H5Fget_filesize(file.id(), &size) < 0) fail_read(where, "cannot read the file's size");
  return size;
}

// count * item_size, or UINT64_MAX when it does not fit.
uint64_t saturating_bytes(uint64_t count, uint64_t item_size) {
  return item_size != 0 && count > UINT64_MAX / item_size ? UINT64_MAX : count * item_size;
}

[[noreturn]] void fail_size(const std::string& where, const std::string& what, uint64_t bytes, uint64_t limit) {
  throw ResourceLimitError(where + ": " + what + " declares " +
                           (bytes == UINT64_MAX ? std::string("more than 2^64") : std::to_string(bytes)) +
                           " bytes, more than its file could hold (" + std::to_string(limit) + " bytes)");
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

hid_t file_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return H5T_IEEE_F32LE;
    case DType::Float64: return H5T_IEEE_F64LE;
    case DType::Int32: return H5T_STD_I32LE;
    case DType::Int64: return H5T_STD_I64LE;
    case DType::UInt8: return H5T_STD_U8LE;
    case DType::Bool: break;
  }
  throw InvalidArgument("HDF5: tensors of dtype " + std::string(dtype_name(dtype)) + " are not stored");
}

hid_t memory_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return H5T_NATIVE_FLOAT;
    case DType::Float64: return H5T_NATIVE_DOUBLE;
    case DType::Int32: return H5T_NATIVE_INT32;
    case DType::Int64: return H5T_NATIVE_INT64;
    case DType::UInt8: return H5T_NATIVE_UINT8;
    case DType::Bool: break;
  }
  throw InvalidArgument("HDF5: tensors of dtype " + std::string(dtype_name(dtype)) + " are not read");
}

herr_t reclaim_strings(hid_t type, hid_t space, void* buffer) {
#if H5_VERSION_GE(1, 12, 0)
  return H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
  return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}

// The strings of an attribute, whatever h5py wrote: variable- or fixed-length, any padding; an empty
// non-string array is an empty list.
std::vector<std::string> read_strings(hid_t attribute, const std::string& where) {
  Handle type = read_handle(H5Aget_type(attribute), H5Tclose, where, "cannot read the attribute's type");
  Handle space = read_handle(H5Aget_space(attribute), H5Sclose, where, "cannot read the attribute's shape");
  const hssize_t count = H5Sget_simple_extent_npoints(space.id());
  if (count < 0) fail_read(where, "cannot read the attribute's shape");
  // Checked before the buffers below are sized: each string takes at least a byte of the file.
  const uint64_t file_size = file_size_of(attribute, where);
  const uint64_t declared = saturating_bytes(static_cast<uint64_t>(count), std::max<size_t>(H5Tget_size(type.id()), 1));
  if (declared > file_size) fail_size(where, "the attribute", declared, file_size);
  if (H5Tget_class(type.id()) != H5T_STRING) {
    if (count == 0) return {};
    throw FormatError(where + ": expected strings, found " + std::to_string(count) + " non-string values");
  }
  std::vector<std::string> values;
  values.reserve(static_cast<size_t>(count));
  if (H5Tis_variable_str(type.id()) > 0) {
    Handle memory = read_handle(H5Tcopy(H5T_C_S1), H5Tclose, where, "cannot make a string type");
    H5Tset_size(memory.id(), H5T_VARIABLE);
    H5Tset_cset(memory.id(), H5Tget_cset(type.id()));
    std::vector<char*> pointers(static_cast<size_t>(count), nullptr);
    if (count > 0 && H5Aread(attribute, memory.id(), pointers.data()) < 0) fail_read(where, "cannot read the strings");
    for (const char* p : pointers) values.emplace_back(p ? p : "");
    if (count > 0) reclaim_strings(memory.id(), space.id(), pointers.data());
    return values;
  }
  const size_t size = H5Tget_size(type.id());
  if (size == 0) fail_read(where, "a string type of size 0");
  std::vector<char> buffer(static_cast<size_t>(count) * size);
  if (count > 0 && H5Aread(attribute, type.id(), buffer.data()) < 0) fail_read(where, "cannot read the strings");
  const bool space_padded = H5Tget_strpad(type.id()) == H5T_STR_SPACEPAD;
  for (hssize_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + static_cast<size_t>(i) * size;
    std::string value(begin, strnlen(begin, size));
    if (space_padded) value.erase(value.find_last_not_of(' ') + 1);
    values.push_back(std::move(value));
  }
  return values;
}

void write_fixed_strings(hid_t object, const std::string& name, const std::vector<std::string>& values,
                         size_t width, const std::string& where) {
  std::vector<char> buffer(values.size() * width, '\0');
  for (size_t i = 0; i < values.size(); ++i) std::memcpy(buffer.data() + i * width, values[i].data(), values[i].size());
  Handle type = write_handle(H5Tcopy(H5T_C_S1), H5Tclose, where, "cannot make a string type");
  H5Tset_size(type.id(), width);
  H5Tset_strpad(type.id(), H5T_STR_NULLPAD);
  const hsize_t dims[1] = {values.size()};
  Handle space = write_handle(H5Screate_simple(1, dims, nullptr), H5Sclose, where, "cannot make a dataspace");
  Handle attribute = write_handle(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                                  H5Aclose, where, "cannot create attribute " + name);
  if (H5Awrite(attribute.id(), type.id(), buffer.data()) < 0) fail_write(where, "cannot write attribute " + name);
}

std::atomic<uint64_t> file_counter{0};

// The core driver identifies files by name, so every in-memory file gets its own.
std::string memory_file_name() { return "cairn-in-memory-" + std::to_string(++file_counter) + ".h5"; }

herr_t refuse_external_traversal(const char*, const char*, const char*, const char*, unsigned*, hid_t, void*) {
  return -1;
}

struct LinkEntry {
  std::string name;
  H5L_type_t type;
  size_t value_size;  // of a soft, external or user-defined link's value
};

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  const size_t value_size = info->type == H5L_TYPE_HARD ? 0 : info->u.val_size;
  static_cast<std::vector<LinkEntry>*>(data)->push_back({name, info->type, value_size});
  return 0;
}

// What a link leads to: the object's type and an identity that is the same however it is reached.
struct ObjectIdentity {
  H5O_type_t type = H5O_TYPE_UNKNOWN;
  std::string key;
};

std::optional<ObjectIdentity> identify(hid_t group, const std::string& name, hid_t link_access) {
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t info;
  if (H5Oget_info_by_name3(group, name.c_str(), &info, H5O_INFO_BASIC, link_access) < 0) return std::nullopt;
  return ObjectIdentity{info.type, std::string(reinterpret_cast<const char*>(&info.token), sizeof info.token)};
#else
  H5O_info_t info;
  if (H5Oget_info_by_name2(group, name.c_str(), &info, H5O_INFO_BASIC, link_access) < 0) return std::nullopt;
  return ObjectIdentity{info.type, std::to_string(info.addr)};
#endif
}

// Walks every link of a file opened for reading, before anything is read from it. Keras blocks external
// links because they take values from another file on the reader's disk; cairn refuses them, user-defined
// links (whose behaviour is the writer's), soft links that do not resolve inside the file, and any group
// reached twice (a cycle, or an alias that would be read twice).
class LinkWalk {
 public:
  LinkWalk(std::string source) : source_(std::move(source)) {
    link_access_ = read_handle(H5Pcreate(H5P_LINK_ACCESS), H5Pclose, source_, "cannot make properties");
    // Resolving a soft link must not open another file either, even through a path that crosses one.
    if (H5Pset_elink_cb(link_access_.id(), refuse_external_traversal, nullptr) < 0)
      fail_read(source_, "cannot set the link access properties");
  }

  void walk(hid_t root) {
    std::optional<ObjectIdentity> identity = identify(root, ".", link_access_.id());
    if (!identity) fail_read(source_, "cannot identify the root group");
    visited_.insert(identity->key);
    visit(root, "", 0);
  }

 private:
  [[noreturn]] void refuse(const std::string& path, const std::string& what) const {
    H5Eclear2(H5E_DEFAULT);
    throw FormatError(source_ + ": " + path + ": " + what);
  }

  // The link's value as stored: a soft link's target path, an external link's packed file and path.
  std::string link_value(hid_t group, const LinkEntry& link, const std::string& link_path) const {
    std::string value(link.value_size, '\0');
    if (!value.empty() && H5Lget_val(group, link.name.c_str(), value.data(), value.size(), H5P_DEFAULT) < 0)
      fail_read(source_ + ": " + link_path, "cannot read the link's value");
    return value;
  }

  void visit(hid_t group, const std::string& path, int depth) {
    if (depth > kMaxGroupDepth)
      throw ResourceLimitError(source_ + ": " + path + ": groups nested more than " + std::to_string(kMaxGroupDepth) +
                               " deep");
    std::vector<LinkEntry> links;
    hsize_t index = 0;
    if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_link, &links) < 0)
      fail_read(source_ + ": " + (path.empty() ? "/" : path), "cannot list the group");
    for (const LinkEntry& link : links) {
      const std::string link_path = path + "/" + link.name;
      if (link.type == H5L_TYPE_EXTERNAL) {
        const std::string value = link_value(group, link, link_path);
        const char* file = nullptr;
        const char* object = nullptr;
        unsigned flags = 0;
        std::string target = "another file";
        if (H5Lunpack_elink_val(value.data(), value.size(), &flags, &file, &object) >= 0 && file && object)
          target = excerpt(file) + ", object " + excerpt(object);
        refuse(link_path, "an external link to " + target +
                              "; cairn reads nothing from other files (Keras refuses these links too)");
      }
      if (link.type != H5L_TYPE_HARD && link.type != H5L_TYPE_SOFT)
        refuse(link_path, "a user-defined link (type " + std::to_string(static_cast<int>(link.type)) +
                              "), which cairn does not follow");
      const std::optional<ObjectIdentity> target = identify(group, link.name, link_access_.id());
      if (!target) {
        if (link.type == H5L_TYPE_SOFT)
          refuse(link_path, "a soft link to " + excerpt(link_value(group, link, link_path).c_str()) +
                                ", which does not lead to an object in the file");
        fail_read(source_ + ": " + link_path, "cannot open the object");
      }
      if (target->type != H5O_TYPE_GROUP) continue;
      if (!visited_.insert(target->key).second)
        refuse(link_path, "a group reached a second time (the file's links form a cycle or alias a group)");
      Handle child = read_handle(H5Gopen2(group, link.name.c_str(), H5P_DEFAULT), H5Gclose, source_ + ": " + link_path,
                                 "cannot open the group");
      visit(child.id(), link_path, depth + 1);
    }
  }

  std::string source_;
  Handle link_access_;
  std::set<std::string> visited_;
};

}  // namespace

std::unique_lock<std::recursive_mutex> lock() {
  static std::recursive_mutex mutex;
  std::unique_lock<std::recursive_mutex> guard(mutex);
  // Error stacks are per thread in a thread-safe HDF5; cairn reports failures itself.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return guard;
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = H5I_INVALID_HID;
}

// ---------------------------------------------------------------- Group

std::string Group::where() const { return source_ + ": " + (path_.empty() ? "/" : path_); }

std::string Group::where(const std::string& child) const { return source_ + ": " + path_ + "/" + child; }

bool Group::has(const std::string& relative_path) const {
  std::string prefix;
  for (const std::string& part : split_path(relative_path)) {
    prefix += (prefix.empty() ? "" : "/") + part;
    const htri_t exists = H5Lexists(id(), prefix.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return !prefix.empty();
}

bool Group::is_group(const std::string& relative_path) const {
  if (!has(relative_path)) return false;
  Handle object = read_handle(H5Oopen(id(), relative_path.c_str(), H5P_DEFAULT), H5Oclose, where(relative_path),
                              "cannot open the object");
  return H5Iget_type(object.id()) == H5I_GROUP;
}

Group Group::open_group(const std::string& relative_path) const {
  if (!is_group(relative_path)) throw FormatError(where(relative_path) + ": no such group");
  Handle group = read_handle(H5Gopen2(id(), relative_path.c_str(), H5P_DEFAULT), H5Gclose, where(relative_path),
                             "cannot open the group");
  return Group(std::move(group), source_, path_ + "/" + relative_path);
}

Group Group::create_group(const std::string& relative_path) {
  if (has(relative_path)) return open_group(relative_path);
  Handle links = write_handle(H5Pcreate(H5P_LINK_CREATE), H5Pclose, where(relative_path), "cannot make properties");
  H5Pset_create_intermediate_group(links.id(), 1);
  Handle group = write_handle(H5Gcreate2(id(), relative_path.c_str(), links.id(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                              where(relative_path), "cannot create the group");
  return Group(std::move(group), source_, path_ + "/" + relative_path);
}

namespace {
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names) < 0)
    fail_read(where(), "cannot list the group");
  return names;
}

bool Group::has_attribute(const std::string& name) const {
  const htri_t exists = H5Aexists(id(), name.c_str());
  if (exists < 0) fail_read(where(), "cannot look up attribute " + name);
  return exists > 0;
}

std::string Group::string_attribute(const std::string& name) const {
  const std::string place = where() + " attribute " + name;
  if (!has_attribute(name)) throw FormatError(place + ": missing");
  Handle attribute = read_handle(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose, place, "cannot open");
  std::vector<std::string> values = read_strings(attribute.id(), place);
  if (values.size() != 1)
    throw FormatError(place + ": expected one string, found " + std::to_string(values.size()));
  return values[0];
}

std::optional<std::vector<std::string>> Group::string_list_attribute(const std::string& name) const {
  auto read = [&](const std::string& attribute_name) {
    const std::string place = where() + " attribute " + attribute_name;
    Handle attribute = read_handle(H5Aopen(id(), attribute_name.c_str(), H5P_DEFAULT), H5Aclose, place, "cannot open");
    return read_strings(attribute.id(), place);
  };
  if (has_attribute(name)) return read(name);
  if (!has_attribute(name + "0")) return std::nullopt;
  std::vector<std::string> values;
  for (int chunk = 0; has_attribute(name + std::to_string(chunk)); ++chunk) {
    std::vector<std::string> part = read(name + std::to_string(chunk));
    values.insert(values.end(), part.begin(), part.end());
  }
  return values;
}

void Group::set_string_attribute(const std::string& name, const std::string& value) {
  Handle type = write_handle(H5Tcopy(H5T_C_S1), H5Tclose, where(), "cannot make a string type");
  H5Tset_size(type.id(), H5T_VARIABLE);
  H5Tset_cset(type.id(), H5T_CSET_UTF8);
  Handle space = write_handle(H5Screate(H5S_SCALAR), H5Sclose, where(), "cannot make a dataspace");
  Handle attribute = write_handle(H5Acreate2(id(), name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                                  H5Aclose, where(), "cannot create attribute " + name);
  const char* text = value.c_str();
  if (H5Awrite(attribute.id(), type.id(), &text) < 0) fail_write(where(), "cannot write attribute " + name);
}

void Group::set_string_list_attribute(const std::string& name, const std::vector<std::string>& values) {
  if (values.empty()) {
    const hsize_t dims[1] = {0};
    Handle space = write_handle(H5Screate_simple(1, dims, nullptr), H5Sclose, where(), "cannot make a dataspace");
    Handle attribute = write_handle(
        H5Acreate2(id(), name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, where(),
        "cannot create attribute " + name);
    const double unused = 0;
    if (H5Awrite(attribute.id(), H5T_NATIVE_DOUBLE, &unused) < 0) fail_write(where(), "cannot write attribute " + name);
    return;
  }
  size_t width = 1;
  for (const std::string& value : values) {
    if (value.size() > kAttributeLimit)
      throw InvalidArgument(where() + ": the name '" + value.substr(0, 64) + "...' is longer than HDF5's " +
                            std::to_string(kAttributeLimit) + "-byte attribute limit");
    width = std::max(width, value.size());
  }
  // Like numpy.array_split: the first (n % k) chunks get one element more.
  size_t chunks = 1;
  while ((values.size() + chunks - 1) / chunks * width > kAttributeLimit) ++chunks;
  if (chunks == 1) {
    write_fixed_strings(id(), name, values, width, where());
    return;
  }
  size_t start = 0;
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    const size_t count = values.size() / chunks + (chunk < values.size() % chunks ? 1 : 0);
    std::vector<std::string> part(values.begin() + static_cast<std::ptrdiff_t>(start),
                                  values.begin() + static_cast<std::ptrdiff_t>(start + count));
    write_fixed_strings(id(), name + std::to_string(chunk), part, width, where());
    start += count;
  }
}

Shape Group::dataset_shape(const std::string& relative_path) const {
  const std::string place = where(relative_path);
  Handle dataset = read_handle(H5Dopen2(id(), relative_path.c_str(), H5P_DEFAULT), H5Dclose, place,
                               "cannot open the dataset");
  Handle space = read_handle(H5Dget_space(dataset.id()), H5Sclose, place, "cannot read the dataset's shape");
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) fail_read(place, "cannot read the dataset's shape");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) < 0)
    fail_read(place, "cannot read the dataset's shape");
  Shape shape;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(INT64_MAX)) throw ResourceLimitError(place + ": a dimension of " + std::to_string(d));
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

Group::DatasetType Group::dataset_type(const std::string& relative_path) const {
  const std::string place = where(relative_path);
  Handle dataset = read_handle(H5Dopen2(id(), relative_path.c_str(), H5P_DEFAULT), H5Dclose, place,
                               "cannot open the dataset");
  Handle type = read_handle(H5Dget_type(dataset.id()), H5Tclose, place, "cannot read the dataset's type");
  const size_t item_size = H5Tget_size(type.id());
  if (item_size == 0) fail_read(place, "cannot read the dataset's type");
  auto named = [item_size](std::string name) { return DatasetType{std::move(name), item_size}; };
  const std::string bits = std::to_string(item_size * 8);
  switch (H5Tget_class(type.id())) {
    case H5T_FLOAT:
      return named("float" + bits);
    case H5T_INTEGER:
      return named((H5Tget_sign(type.id()) == H5T_SGN_NONE ? "uint" : "int") + bits);
    case H5T_ENUM: {
      // h5py stores numpy's bool as an enum of int8 with members FALSE and TRUE.
      int8_t value = 0;
      const bool is_bool = H5Tget_nmembers(type.id()) == 2 && item_size == 1 &&
                           H5Tenum_valueof(type.id(), "TRUE", &value) >= 0;
      return named(is_bool ? "bool" : "enum");
    }
    case H5T_STRING:
      return named("string");
    case H5T_COMPOUND:
      return named("compound");
    case H5T_ARRAY:
      return named("array");
    case H5T_VLEN:
      return named("vlen");
    case H5T_REFERENCE:
      return named("reference");
    case H5T_OPAQUE:
      return named("opaque");
    case H5T_BITFIELD:
      return named("bitfield");
    case H5T_TIME:
      return named("time");
    default:
      fail_read(place, "cannot read the dataset's type");
  }
}

Tensor Group::read_dataset(const std::string& relative_path, DType dtype) const {
  const std::string place = where(relative_path);
  const Shape shape = dataset_shape(relative_path);
  Handle dataset = read_handle(H5Dopen2(id(), relative_path.c_str(), H5P_DEFAULT), H5Dclose, place,
                               "cannot open the dataset");
  Handle type = read_handle(H5Dget_type(dataset.id()), H5Tclose, place, "cannot read the dataset's type");
  const H5T_class_t type_class = H5Tget_class(type.id());
  if (type_class != H5T_FLOAT && type_class != H5T_INTEGER)
    throw FormatError(place + ": the dataset does not hold numbers");
  // The shape is the file's claim: before a tensor of it is allocated, its bytes must fit the file (or,
  // compressed, what the file could inflate to).
  uint64_t points = 1;  // HDF5's own count wraps around; this one saturates
  for (int64_t d : shape) points = saturating_bytes(points, static_cast<uint64_t>(d));
  Handle creation = read_handle(H5Dget_create_plist(dataset.id()), H5Pclose, place, "cannot read the dataset's layout");
  const int filters = H5Pget_nfilters(creation.id());
  if (filters < 0) fail_read(place, "cannot read the dataset's filters");
  const uint64_t file_size = file_size_of(dataset.id(), place);
  const uint64_t limit = filters > 0 ? saturating_bytes(file_size, kMaxFilterRatio) : file_size;
  const uint64_t declared = saturating_bytes(points, H5Tget_size(type.id()));
  if (declared > limit) fail_size(place, "the dataset of shape " + shape_str(shape), declared, limit);
  Tensor value(shape, dtype);
  if (value.numel() > 0 &&
      H5Dread(dataset.id(), memory_type(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, value.raw_data()) < 0)
    fail_read(place, "cannot read the dataset");
  return value;
}

void Group::write_dataset(const std::string& relative_path, const Tensor& value) {
  const std::string place = where(relative_path);
  Handle links = write_handle(H5Pcreate(H5P_LINK_CREATE), H5Pclose, place, "cannot make properties");
  H5Pset_create_intermediate_group(links.id(), 1);
  std::vector<hsize_t> dims;
  for (int64_t d : value.shape()) dims.push_back(static_cast<hsize_t>(d));
  Handle space = write_handle(dims.empty() ? H5Screate(H5S_SCALAR)
                                           : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                              H5Sclose, place, "cannot make a dataspace");
  Handle dataset = write_handle(H5Dcreate2(id(), relative_path.c_str(), file_type(value.dtype()), space.id(),
                                           links.id(), H5P_DEFAULT, H5P_DEFAULT),
                                H5Dclose, place, "cannot create the dataset");
  if (value.numel() > 0 &&
      H5Dwrite(dataset.id(), memory_type(value.dtype()), H5S_ALL, H5S_ALL, H5P_DEFAULT, value.raw_data()) < 0)
    fail_write(place, "cannot write the dataset");
}

// ---------------------------------------------------------------- Rehearsal

namespace {

herr_t collect_attribute_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

// Reads what cairn may read of a group and everything below it: string attributes and numeric datasets.
// Errors are expected in a damaged file and skipped, so that every object gets its turn.
void read_everything(const Group& group) {
  std::vector<std::string> attributes;
  hsize_t index = 0;
  H5Aiterate2(group.id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute_name, &attributes);
  for (const std::string& name : attributes) {
    try {
      group.string_attribute(name);
    } catch (const Error&) {
    }
  }
  for (const std::string& child : group.children()) {
    try {
      if (group.is_group(child)) {
        read_everything(group.open_group(child));
      } else {
        group.read_dataset(child, DType::Float32);
      }
    } catch (const Error&) {
    }
  }
}

// How long the rehearsal may take: far more than reading any honest file from memory needs.
std::chrono::milliseconds rehearsal_time_limit(size_t bytes) {
  if (const char* seconds = std::getenv("CAIRN_HDF5_READ_TIMEOUT"); seconds && *seconds)
    return std::chrono::milliseconds(static_cast<int64_t>(std::atof(seconds) * 1000));
  return std::chrono::milliseconds(10000 + static_cast<int64_t>(bytes >> 20) * 20);
}

}  // namespace

void File::rehearse_in_child_process(std::span<const uint8_t> bytes, const std::string& source) {
  const auto limit = rehearsal_time_limit(bytes.size());
  const pid_t child = fork();
  if (child < 0) return;  // no process to spare: read it here, as without the rehearsal
  if (child == 0) {
    try {
      read_everything(open_image(bytes, source).root());
    } catch (...) {
    }
    _exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::microseconds(50);
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(child, &status, WNOHANG)) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      throw FormatError(source + ": the HDF5 library did not finish reading this file in " +
                        std::to_string(limit.count() / 1000) + " s (a damaged or hostile file); cairn did not read it");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(10000));
  }
  // The child ends with status 0 whatever it found; anything else means it did not get to the end.
  if (done == child && WIFSIGNALED(status))
    throw FormatError(source + ": the HDF5 library crashed reading this file (signal " +
                      std::to_string(WTERMSIG(status)) + "): it is damaged or hostile; cairn did not read it");
  if (done == child && WIFEXITED(status) && WEXITSTATUS(status) != 0)
    throw FormatError(source + ": the HDF5 library failed reading this file (exit status " +
                      std::to_string(WEXITSTATUS(status)) + "): it is damaged or hostile; cairn did not read it");
}

// ---------------------------------------------------------------- File

File File::create(const std::string& source) {
  Handle access = write_handle(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, source, "cannot make properties");
  if (H5Pset_fapl_core(access.id(), 1 << 20, /*backing_store=*/0) < 0) fail_write(source, "cannot use memory");
  Handle file = write_handle(H5Fcreate(memory_file_name().c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.id()), H5Fclose,
                             source, "cannot create an HDF5 file");
  return File(std::move(file), source);
}

File File::open_image(std::span<const uint8_t> bytes, const std::string& source) {
  if (!looks_like_hdf5(bytes)) throw FormatError(source + ": not an HDF5 file (no HDF5 signature)");
  Handle access = read_handle(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, source, "cannot make properties");
  if (H5Pset_fapl_core(access.id(), 1 << 20, /*backing_store=*/0) < 0) fail_read(source, "cannot use memory");
  // HDF5 copies the image.
  if (H5Pset_file_image(access.id(), const_cast<uint8_t*>(bytes.data()), bytes.size()) < 0)
    fail_read(source, "cannot take the file image");
  Handle file = read_handle(H5Fopen(memory_file_name().c_str(), H5F_ACC_RDONLY, access.id()), H5Fclose, source,
                            "damaged or truncated HDF5 file");
  File opened(std::move(file), source);
  LinkWalk(source).walk(opened.root().id());
  return opened;
}

File File::open(std::span<const uint8_t> bytes, const std::string& source) {
  if (!looks_like_hdf5(bytes)) throw FormatError(source + ": not an HDF5 file (no HDF5 signature)");
  rehearse_in_child_process(bytes, source);
  return open_image(bytes, source);
}

Group File::root() const {
  Handle group = read_handle(H5Gopen2(handle_.id(), "/", H5P_DEFAULT), H5Gclose, source_, "cannot open the root group");
  return Group(std::move(group), source_, "");
}

std::vector<uint8_t> File::image() {
  if (H5Fflush(handle_.id(), H5F_SCOPE_GLOBAL) < 0) fail_write(source_, "cannot flush the HDF5 file");
  const ssize_t size = H5Fget_file_image(handle_.id(), nullptr, 0);
  if (size < 0) fail_write(source_, "cannot take the HDF5 file's image");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (H5Fget_file_image(handle_.id(), bytes.data(), bytes.size()) != size)
    fail_write(source_, "cannot take the HDF5 file's image");
  return bytes;
}

bool looks_like_hdf5(std::span<const uint8_t> bytes) {
  static const uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  // The superblock is at 0, or after a user block of 512, 1024, 2048... bytes.
  for (size_t offset = 0; offset + sizeof kSignature <= bytes.size(); offset = offset == 0 ? 512 : offset * 2)
    if (std::memcmp(bytes.data() + offset, kSignature, sizeof kSignature) == 0) return true;
  return false;
}

}  // namespace cairn::h5
