#include "cairn/internal/config/config_reader.h"

#include <cmath>
#include <limits>

#include "cairn/error.h"
#include "cairn/ops.h"
#include "keyword_args_json.h"

namespace cairn::config_detail {

namespace {

constexpr size_t kShownChars = 120;
constexpr size_t kShownStringChars = 64;
constexpr int kShownDepth = 3;

// Appends `value` as JSON, cut once `out` passes kShownChars and below kShownDepth levels. The depth
// bound also bounds the recursion, whatever the value's nesting.
void render(const Json& value, int depth, std::string& out) {
  if (value.is_string()) {
    out += excerpt(value.get_ref<const std::string&>(), kShownStringChars);
    return;
  }
  if (!value.is_structured()) {
    out += value.dump();
    return;
  }
  const bool object = value.is_object();
  if (value.empty()) {
    out += object ? "{}" : "[]";
    return;
  }
  if (depth == 0) {
    out += object ? "{...}" : "[...]";
    return;
  }
  out += object ? '{' : '[';
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it != value.begin()) out += ',';
    if (out.size() > kShownChars) {
      out += "... (" + std::to_string(value.size()) + " elements)";
      break;
    }
    if (object) out += excerpt(it.key(), kShownStringChars) + ":";
    render(*it, depth - 1, out);
  }
  out += object ? '}' : ']';
}

}  // namespace

std::string show(const Json& value) {
  std::string out;
  render(value, kShownDepth, out);
  return out;
}

std::string quote_name(const std::string& name) {
  return name.size() <= kShownStringChars ? "'" + name + "'" : excerpt(name, kShownStringChars);
}

std::string clipped(const std::string& text) {
  return text.size() <= kShownStringChars ? text : excerpt(text, kShownStringChars);
}

std::string clip_message(std::string_view message) {
  constexpr size_t kMessageChars = 300;
  if (message.size() <= kMessageChars) return std::string(message);
  return std::string(message.substr(0, kMessageChars)) + "... (" + std::to_string(message.size()) + " bytes)";
}

const Json& unwrap_tuple(const Json& value) {
  if (value.is_object() && value.contains("items") && value.contains("class_name") &&
      (value["class_name"] == "__tuple__" || value["class_name"] == "TensorShape"))
    return value["items"];
  return value;
}

std::string string_at(const Json& object, const std::string& key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string describe(const std::string& class_name, const std::string& name) {
  // class_name is one cairn knows; the name comes from the file.
  return name.empty() ? class_name : class_name + " " + quote_name(name);
}

ConfigReader::ConfigReader(const Json& object, std::string context) : object_(object), context_(std::move(context)) {
  if (!object_.is_object()) fail("expected a JSON object, got " + show(object_));
}

const Json* ConfigReader::take(const std::string& key) {
  auto it = object_.find(key);
  if (it == object_.end()) return nullptr;
  read_.insert(key);
  return &*it;
}

const Json& ConfigReader::take_required(const std::string& key) {
  const Json* value = take(key);
  if (!value) fail("the key \"" + key + "\" is missing");
  return *value;
}

namespace {
bool integral(const Json& v) {
  // nlohmann keeps integers above INT64_MAX as unsigned; they do not fit cairn's int64 sizes.
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (v.is_number_integer()) return true;
  return v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>() &&
         std::abs(v.get<double>()) < 9.0e15;
}
int64_t as_integer(const Json& v) { return v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>(); }

// The value of `key` as `read` gives it when it `fits`; `fallback` when it is null or absent (absent
// without a fallback fails in take_required); otherwise "<key> must be <kind>, got <value>".
template <class T, class Fits, class Read>
T typed_value(ConfigReader& reader, const std::string& key, std::optional<T> fallback, const char* kind,
              Fits fits, Read read) {
  const Json* v = fallback ? reader.take(key) : &reader.take_required(key);
  if (!v || v->is_null()) {
    if (!fallback) reader.fail(key + " must be " + kind + ", got null");
    return *fallback;
  }
  if (!fits(*v)) reader.fail(key + " must be " + kind + ", got " + show(*v));
  return read(*v);
}
}  // namespace

int64_t ConfigReader::integer(const std::string& key, std::optional<int64_t> fallback) {
  return typed_value(*this, key, fallback, "an integer", integral, as_integer);
}

int64_t ConfigReader::integer_in(const std::string& key, int64_t min, int64_t max, std::optional<int64_t> fallback) {
  const std::string kind = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return typed_value(
      *this, key, fallback, kind.c_str(),
      [&](const Json& v) { return integral(v) && as_integer(v) >= min && as_integer(v) <= max; }, as_integer);
}

double ConfigReader::number(const std::string& key, std::optional<double> fallback) {
  return typed_value(
      *this, key, fallback, "a number", [](const Json& v) { return v.is_number(); },
      [](const Json& v) { return v.get<double>(); });
}

bool ConfigReader::boolean(const std::string& key, std::optional<bool> fallback) {
  return typed_value(
      *this, key, fallback, "true or false", [](const Json& v) { return v.is_boolean(); },
      [](const Json& v) { return v.get<bool>(); });
}

std::string ConfigReader::string(const std::string& key, std::optional<std::string> fallback) {
  return typed_value(
      *this, key, std::move(fallback), "a string", [](const Json& v) { return v.is_string(); },
      [](const Json& v) { return v.get<std::string>(); });
}

std::optional<uint64_t> ConfigReader::seed(const std::string& key) {
  const Json* v = take(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!integral(*v) || as_integer(*v) < 0) fail(key + " must be null or a non-negative integer, got " + show(*v));
  return static_cast<uint64_t>(as_integer(*v));
}

std::array<int, 2> ConfigReader::pair(const std::string& key, std::optional<std::array<int, 2>> fallback) {
  const Json* found = take(key);
  if (!found || found->is_null()) {
    if (!fallback) fail(key + " must be an integer or a pair of integers, got " + (found ? "null" : "nothing"));
    return *fallback;
  }
  const Json& v = unwrap_tuple(*found);
  auto small = [](const Json& x) { return integral(x) && as_integer(x) >= 1 && as_integer(x) <= kMaxConfigDimension; };
  if (small(v)) return {static_cast<int>(as_integer(v)), static_cast<int>(as_integer(v))};
  if (v.is_array() && v.size() == 2 && small(v[0]) && small(v[1]))
    return {static_cast<int>(as_integer(v[0])), static_cast<int>(as_integer(v[1]))};
  fail(key + " must be an integer or a pair of integers in [1, " + std::to_string(kMaxConfigDimension) + "], got " +
       show(*found));
}

namespace {

// Keras 2 {"class_name", "config"} or Keras 3 {"module", "class_name", "config", "registered_name"}.
InitializerPtr initializer_from_object(const Json& object, const std::string& context) {
  ConfigReader entry(object, context);
  const std::string class_name = entry.string("class_name");
  entry.ignore("module");
  entry.ignore("registered_name");
  const Json empty = Json::object();
  const Json* config_value = entry.take("config");
  entry.finish();
  ConfigReader config(config_value && !config_value->is_null() ? *config_value : empty,
                      context + " (" + clipped(class_name) + ")");
  // Keras 1 and tf.keras 1.x configs carry the dtype of the initializer.
  if (const Json* dtype = config.take("dtype"); dtype && !is_float32_dtype(*dtype))
    config.unsupported("dtype", *dtype, "cairn's weights are float32");
  // Keras 3.12+: the axes that count as fan-in and fan-out; null is the default for a dense kernel.
  for (const char* key : {"input_axes", "output_axes"}) config.require(key, {nullptr}, "cairn computes fans from the default axes");
  // Every other argument goes to the registry's class, which knows Keras's arguments and defaults.
  config.ignore("dtype");
  for (auto it = config_value && config_value->is_object() ? config_value->begin() : empty.begin();
       it != (config_value && config_value->is_object() ? config_value->end() : empty.end()); ++it)
    config.ignore(it.key());
  const std::string initializer_context = context + " (" + clipped(class_name) + ")";
  KeywordArgs args(clipped(class_name),
                   args_from_json(config_value && !config_value->is_null() ? *config_value : empty,
                                  initializer_context, {"dtype", "input_axes", "output_axes"}));
  InitializerPtr result;
  try {
    result = make_initializer(class_name, args);
  } catch (const InvalidArgument& e) {
    entry.fail(clip_message(e.what()));
  }
  config.finish();
  return result;
}

}  // namespace

InitializerPtr ConfigReader::initializer(const std::string& key, InitializerPtr fallback) {
  const Json* v = take(key);
  if (!v) return fallback;
  if (v->is_string()) {
    try {
      return get_initializer(v->get<std::string>());
    } catch (const InvalidArgument&) {
    {
      std::string known;
      for (const InitializerRegistration& entry : initializer_registry())
        known += (known.empty() ? "" : ", ") + entry.identifiers.front();
      unsupported(key, *v, "cairn has " + known);
    }
    }
  }
  if (!v->is_object()) fail(key + " must be an initializer, got " + show(*v));
  return initializer_from_object(*v, context_ + ": " + key);
}

std::string ConfigReader::activation(const std::string& key, const std::string& fallback) {
  const Json* v = take(key);
  if (!v) return fallback;
  if (v->is_null()) return "linear";
  std::string name;
  if (v->is_string()) {
    name = v->get<std::string>();
  } else if (string_at(*v, "class_name") == "function" && !string_at(*v, "config").empty()) {
    name = (*v)["config"].get<std::string>();  // Keras 3's serialized function
  } else {
    fail(key + " must be an activation name, got " + show(*v));
  }
  if (name.empty() || !ops::is_activation_name(name)) {
    std::string known;
    for (const std::string& activation : ops::activation_names()) known += (known.empty() ? "" : ", ") + activation;
    unsupported(key, *v, "cairn has " + known);
  }
  return name;
}

void ConfigReader::require(const std::string& key, const std::vector<Json>& supported, const std::string& why) {
  const Json* v = take(key);
  if (!v) return;
  for (const Json& s : supported) {
    // Keras writes 0 or 0.0 for the same float; compare numbers as numbers.
    if (s.is_number() && v->is_number() ? s.get<double>() == v->get<double>() : s == *v) return;
  }
  unsupported(key, *v, why);
}

void ConfigReader::finish() const {
  for (auto it = object_.begin(); it != object_.end(); ++it)
    // Keras 3 marks an object serialized more than once (a dtype policy, an initializer) with the id
    // that ties the copies together; it never changes what the object computes.
    if (!read_.count(it.key()) && it.key() != "shared_object_id")
      fail("unknown key " + excerpt(it.key()) + " (= " + show(it.value()) + "); cairn does not know what it means");
}

void ConfigReader::fail(const std::string& message) const { throw FormatError(context_ + ": " + message); }

void ConfigReader::unsupported(const std::string& key, const Json& value, const std::string& why) const {
  fail(key + " = " + show(value) + " is not supported (" + why + ")");
}

Json initializer_config(const Initializer& initializer) {
  const std::string class_name = initializer.class_name();
  bool registered = false;
  for (const InitializerRegistration& entry : initializer_registry()) registered |= entry.class_name == class_name;
  if (!registered) throw InvalidArgument("initializer '" + class_name + "' has no Keras config");
  Json config = args_to_json(initializer.get_config());
  // Keras writes its float arguments as floats (0.0, not 0).
  for (const auto& [key, value] : initializer.get_config())
    if (const double* number = std::get_if<double>(&value)) config[key] = *number;
  if (initializer.is_random()) config["seed"] = initializer.seed() ? Json(*initializer.seed()) : Json(nullptr);
  return Json{{"class_name", class_name}, {"config", config}};
}

bool is_float32_dtype(const Json& dtype) {
  if (dtype.is_null()) return true;
  if (dtype.is_string()) return dtype == "float32";
  // Keras 3: {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, ...}
  if (dtype.is_object() && dtype.contains("config") && dtype["config"].is_object() &&
      (string_at(dtype, "class_name") == "DTypePolicy" || string_at(dtype, "class_name") == "Policy"))
    return string_at(dtype["config"], "name") == "float32";
  return false;
}

Json shape_config(const Shape& shape) {
  Json dims = Json::array();
  for (int64_t d : shape) dims.push_back(d < 0 ? Json(nullptr) : Json(d));
  return dims;
}

Shape shape_from_config(const Json& value, const std::string& context, const std::string& key) {
  const Json& dims = unwrap_tuple(value);
  auto bad = [&]() -> FormatError {
    return FormatError(context + ": " + key + " must be a list of nulls and integers in [0, " +
                       std::to_string(kMaxConfigDimension) + "], got " + show(value));
  };
  if (!dims.is_array()) throw bad();
  Shape shape;
  for (const Json& d : dims) {
    if (d.is_null()) {
      shape.push_back(-1);
    } else if (integral(d) && as_integer(d) >= 0 && as_integer(d) <= kMaxConfigDimension) {
      shape.push_back(as_integer(d));
    } else {
      throw bad();
    }
  }
  return shape;
}

bool is_entry_metadata(const std::string& key) {
  return key == "module" || key == "registered_name" || key == "build_config";
}

}  // namespace cairn::config_detail
