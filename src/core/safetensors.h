// The safetensors file layout (8-byte little-endian header length, JSON header, raw tensor
// bytes), so any standard tool can open moemt checkpoints. Reading validates every offset.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace moemt {

struct NamedTensor {
  std::string name;
  Tensor tensor;  // host or device; written as its dtype (F32, BF16, F16, I32)
};

// Writes atomically (temp file + rename). `metadata` goes to the "__metadata__" entry.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;  // host tensors
  std::map<std::string, std::string> metadata;
  const Tensor& at(const std::string& name) const;  // throws Error naming the file
  std::string path;
  // map_safetensors(): the file mapping the tensors view; whoever keeps the tensors beyond
  // this object keeps a copy of this pointer (ParamStore::finalize_views does).
  std::shared_ptr<void> mapping;
};

// Throws Error naming the file for a truncated file, a corrupt header, offsets out of range,
// an unknown dtype or a shape that does not match its byte range.
// A file without moemt's checksum (written by another tool, or with the key removed) loads,
// but with a warning that its data was not verified.
SafetensorsFile load_safetensors(const std::string& path);
// The same on a file's bytes; `path` only names it in errors.
SafetensorsFile parse_safetensors(std::string_view data, const std::string& path);

// The tensors as views into `data`, which the caller keeps alive and unchanged while they are
// used (a misaligned tensor is copied). The header is checked as by load_safetensors; verify =
// true also checks the data checksum (reading every byte).
SafetensorsFile view_safetensors(std::string_view data, const std::string& path, bool verify);

// The same tensors as views of a read-only private memory mapping of the file (no copy; the
// mapping lives as long as `mapping` is held), so a process pages in only the tensors it
// reads. The header is checked as by load_safetensors, but the data checksum is not verified:
// that would read every page. Writing into the tensors faults (the mapping is read-only).
SafetensorsFile map_safetensors(const std::string& path);

// A fast 64-bit checksum (not cryptographic), stored in our files' metadata.
uint64_t checksum64(std::string_view bytes);

}  // namespace moemt
