// safetensors reader/writer. Header entries are written sorted by name, with offsets in the
// order given, and the header is padded with spaces to an 8-byte boundary as the reference does.
#include "core/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_io.h"
#include "core/log.h"

namespace moemt {

namespace {
// Our checksum of the data section, kept in __metadata__ so bit rot is caught on load;
// files from other tools have none and are accepted without it.
constexpr const char* kChecksumKey = "moemt.checksum";

const char* st_dtype(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::bf16: return "BF16";
    case DType::f16: return "F16";
    case DType::i32: return "I32";
    case DType::f64: return "F64";
  }
  return "?";
}
}  // namespace

uint64_t checksum64(std::string_view bytes) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ (w * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
  }
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ull;
  return h;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  size_t offset = 0;
  for (const auto& nt : tensors) {
    MOEMT_CHECK(!header.contains(nt.name), "duplicate tensor name {}", nt.name);
    size_t n = nt.tensor.nbytes();
    header[nt.name] = {{"dtype", st_dtype(nt.tensor.dtype())},
                       {"shape", nt.tensor.shape().vec()},
                       {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  size_t total = offset;
  std::string body(total, '\0');
  size_t pos = 0;
  for (const auto& nt : tensors) {
    copy_bytes(body.data() + pos, Device::cpu(), nt.tensor.raw(), nt.tensor.device(),
               nt.tensor.nbytes());
    pos += nt.tensor.nbytes();
  }
  auto meta = metadata;
  meta[kChecksumKey] = fmt::format("{:016x}", checksum64(body));
  header["__metadata__"] = meta;
  std::string h = header.dump();
  while (h.size() % 8) h.push_back(' ');
  std::string out;
  out.reserve(8 + h.size() + total);
  uint64_t hlen = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((hlen >> (8 * i)) & 0xff));
  out += h;
  out += body;
  write_file_atomic(path, out);
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error("{}: tensor '{}' is missing", path, name);
  return it->second;
}

SafetensorsFile load_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path), path);
}

namespace {
// One tensor of the header, validated against the data section.
struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

struct Parsed {
  std::map<std::string, std::string> metadata;
  std::vector<Entry> entries;
  size_t base = 0;  // where the data section starts
};

Error corrupt_file(const std::string& path, const std::string& why) {
  return Error("{}: not a valid safetensors file ({}); the file may be truncated or corrupt", path,
               why);
}

// Parses and checks the header of `data` (the whole file: only its header is read).
Parsed parse_header(std::string_view data, const std::string& path) {
  auto corrupt = [&](const std::string& why) { return corrupt_file(path, why); };
  if (data.size() < 8) throw corrupt(fmt::format("only {} bytes", data.size()));
  uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= static_cast<uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
  if (hlen > data.size() - 8) throw corrupt(fmt::format("header length {} exceeds file size {}", hlen, data.size()));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data.begin() + 8, data.begin() + 8 + static_cast<long>(hlen));
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(std::string("header is not JSON: ") + e.what());
  }
  if (!header.is_object()) throw corrupt("header is not a JSON object");
  Parsed p;
  p.base = 8 + hlen;
  const size_t avail = data.size() - p.base;
  for (auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      for (auto& [k, v] : entry.items())
        if (v.is_string()) p.metadata[k] = v.get<std::string>();
      continue;
    }
    try {
      DType dt = dtype_from_name(entry.at("dtype").get<std::string>());
      std::vector<int64_t> shape = entry.at("shape").get<std::vector<int64_t>>();
      auto offs = entry.at("data_offsets").get<std::vector<uint64_t>>();
      if (offs.size() != 2 || offs[0] > offs[1] || offs[1] > avail)
        throw corrupt(fmt::format("tensor '{}' data range out of bounds", name));
      // Checked here, not by Shape and numel(): a header is input, so too many dims or a
      // product that overflows int64 must be an Error, not an invariant or undefined behaviour.
      if (shape.size() > static_cast<size_t>(Shape::kMaxDims))
        throw corrupt(fmt::format("tensor '{}' has {} dims, at most {} are supported", name,
                                  shape.size(), Shape::kMaxDims));
      const uint64_t nbytes = offs[1] - offs[0], dsize = dtype_size(dt);
      uint64_t nonzero = 1;  // product of the non-zero dims, kept within int64
      bool has_zero = false;
      for (int64_t d : shape) {
        if (d < 0) throw corrupt(fmt::format("tensor '{}' has a negative dim {}", name, d));
        if (d == 0) {
          has_zero = true;
          continue;
        }
        if (nonzero > static_cast<uint64_t>(INT64_MAX) / static_cast<uint64_t>(d))
          throw corrupt(fmt::format("tensor '{}' has more elements than int64 can count", name));
        nonzero *= static_cast<uint64_t>(d);
      }
      const uint64_t numel = has_zero ? 0 : nonzero;
      Shape s(shape);
      if (nbytes % dsize != 0 || numel != nbytes / dsize)
        throw corrupt(
            fmt::format("tensor '{}' shape {} does not match its {} bytes", name, s.str(), nbytes));
      p.entries.push_back({name, dt, s, offs[0], offs[1]});
    } catch (const nlohmann::json::exception& e) {
      throw corrupt(fmt::format("entry '{}': {}", name, e.what()));
    } catch (const Error& e) {
      if (std::string(e.what()).find(path) == 0) throw;
      throw corrupt(fmt::format("entry '{}': {}", name, e.what()));
    }
  }
  return p;
}

// A read-only private mapping of a whole file, unmapped when the last holder lets it go.
struct FileMapping {
  void* addr = nullptr;
  size_t size = 0;
  ~FileMapping() {
    if (addr) ::munmap(addr, size);
  }
};
}  // namespace

namespace {
// Checks (and removes) our checksum of the data section; a file without one gets a warning.
void verify_checksum(SafetensorsFile& f, std::string_view body) {
  auto ck = f.metadata.find(kChecksumKey);
  if (ck != f.metadata.end()) {
    if (ck->second != fmt::format("{:016x}", checksum64(body)))
      throw corrupt_file(f.path, "data checksum mismatch");
    f.metadata.erase(ck);
  } else {
    // Not an error (other tools write no checksum), but a removed key would otherwise turn
    // the integrity check off without anyone noticing.
    log::warn(
        "{}: no {} in the header; tensor data not verified (expected for files written "
        "by other tools)",
        f.path, kChecksumKey);
  }
}
}  // namespace

SafetensorsFile parse_safetensors(std::string_view data, const std::string& path) {
  Parsed p = parse_header(data, path);
  SafetensorsFile f;
  f.path = path;
  f.metadata = std::move(p.metadata);
  for (const Entry& e : p.entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    std::memcpy(t.raw(), data.data() + p.base + e.begin, e.end - e.begin);
    f.tensors[e.name] = t;
  }
  verify_checksum(f, data.substr(p.base));
  return f;
}

SafetensorsFile view_safetensors(std::string_view data, const std::string& path, bool verify) {
  Parsed p = parse_header(data, path);
  SafetensorsFile f;
  f.path = path;
  f.metadata = std::move(p.metadata);
  if (verify)
    verify_checksum(f, data.substr(p.base));
  else
    f.metadata.erase(kChecksumKey);
  for (const Entry& e : p.entries) {
    const char* at = data.data() + p.base + e.begin;
    if (reinterpret_cast<uintptr_t>(at) % dtype_size(e.dtype) != 0) {
      // A misaligned tensor (another writer) is copied rather than viewed.
      Tensor t = Tensor::empty(e.shape, e.dtype);
      std::memcpy(t.raw(), at, e.end - e.begin);
      f.tensors[e.name] = t;
      continue;
    }
    f.tensors[e.name] = Tensor::wrap(const_cast<char*>(at), e.shape, e.dtype);
  }
  return f;
}

SafetensorsFile map_safetensors(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("{}: cannot open ({})", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error("{}: cannot stat ({})", path, std::strerror(err));
  }
  auto map = std::make_shared<FileMapping>();
  map->size = static_cast<size_t>(st.st_size);
  if (map->size > 0) {
    void* a = ::mmap(nullptr, map->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (a == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw Error("{}: cannot memory-map ({})", path, std::strerror(err));
    }
    map->addr = a;
  }
  ::close(fd);  // the mapping stays valid
  SafetensorsFile f = view_safetensors(
      std::string_view(static_cast<const char*>(map->addr), map->size), path, false);
  f.mapping = map;
  return f;
}

}  // namespace moemt
