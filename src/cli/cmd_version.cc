// `moemt version`: prints the version and the build's optional features.
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "dist/communicator.h"
#include "ops/kernels_available.h"

namespace moemt::cli {
namespace {
int run_version(const std::vector<std::string>&) {
#if defined(MOEMT_WITH_CUDA_KERNELS)
  const std::string ops_list = "yes; ops with CUDA kernels: " + std::string(ops::cuda_kernel_ops());
  const char* cuda = ops_list.c_str();
#elif defined(MOEMT_WITH_CUDA)
  const char* cuda = "runtime only, no kernels";
#else
  const char* cuda = "no";
#endif
  std::printf("moemt 0.1.0 (cuda: %s, mpi: %s, nccl: %s)\n", cuda, dist::mpi_built() ? "yes" : "no",
              dist::nccl_built() ? "yes" : "no");
  return 0;
}
}  // namespace
MOEMT_REGISTER_COMMAND("version", "print the version and build features", run_version);
}  // namespace moemt::cli
