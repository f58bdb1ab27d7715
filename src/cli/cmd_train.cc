// `moemt train`: options (train_options.cc) -> resume and resource checks -> Trainer.
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <iostream>
#include <set>

#include "cli/command.h"
#include "cli/options.h"
#include "cli/train_options.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/threads.h"
#include "dist/communicator.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace moemt::cli {
namespace {

// --resume keeps the checkpoint's architecture and vocabulary (its config.yml and vocab.spm):
// an option given now that would change them is an error naming it, never silently ignored.
// `given` are the architecture and vocabulary options given now, `config_yaml` their values.
void check_resume_options(const std::vector<std::string>& given, const std::string& config_yaml,
                          const std::string& dir) {
  const std::string path = dir + "/" + train::kTrainConfigFile;
  if (!path_exists(path)) {
    log::warn(
        "{}: missing; cannot check that the options given agree with the checkpoint's "
        "architecture (the checkpoint's config.yml is used)",
        path);
    return;
  }
  YAML::Node saved, now = YAML::Load(config_yaml);
  try {
    saved = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error("{}: cannot read the checkpoint's training options ({})", path, e.what());
  }
  for (const auto& name : given) {
    if (!saved[name]) continue;
    std::string value = YAML::Dump(now[name]), kept = YAML::Dump(saved[name]);
    if (value != kept)
      throw Error(
          "--{} {}: --resume keeps the checkpoint's value {} ({}); the checkpoint fixes "
          "the architecture and vocabulary options. Drop --{}, or train a new model "
          "with --overwrite",
          name, value, kept, path, name);
  }
  log::info(
      "resuming: architecture and vocabulary come from {}/config.yml; options given now "
      "apply to optimisation, data and schedule",
      dir);
}

// Ranks on GPUs: NCCL when every rank has a GPU of its own (NCCL refuses two ranks on one
// GPU) and the build has NCCL; otherwise null, and MPI carries the collectives, staging device
// tensors through host memory (slower, but it runs anywhere, e.g. 2 ranks sharing a GPU).
std::unique_ptr<dist::Communicator> gpu_communicator(dist::Communicator& world,
                                                     const train::TrainOptions& o) {
  const std::vector<int> gpus =
      dist::key_ids(world, dist::host_name() + " " + o.device.str(), "GPU placement");
  const bool shared = std::set<int>(gpus.begin(), gpus.end()).size() < gpus.size();
  if (!dist::nccl_built() || shared) {
    log::warn(
        "{}: collectives over MPI through host memory (slower than NCCL): {}", o.device.str(),
        shared ? "some ranks share a GPU, which NCCL refuses; give each process its own with "
                 "--devices 0 1 ..."
               : "this moemt was built without NCCL");
    return nullptr;
  }
  return dist::make_nccl(world, o.device.index, o.comm_timeout);
}

int run_train(const std::vector<std::string>& args) {
  TrainCommandLine cl = parse_train_args(args);
  if (cl.action == TrainCommandLine::Action::help) return 0;
  if (cl.action == TrainCommandLine::Action::dump_config) {
    std::cout << cl.config_yaml;
    return 0;
  }
  log::set_level(cl.log_level);
  train::TrainOptions& o = cl.options;
  if (o.resume && !o.model_dir.empty())
    check_resume_options(cl.fixed_given, cl.config_yaml, o.model_dir);
  // Processes started on one node share its cores: "all cores" means this rank's share.
  const int local_ranks = launcher_size(true);
  if (o.cpu_threads == 0 && local_ranks > 1)
    o.cpu_threads = std::max(1, available_cores() / local_ranks);
  o.cpu_threads = cap_cpu_threads(o.cpu_threads);
  if (!o.resume) {
    // Before any data is read: the parameters, their gradients and Adam's moments must fit.
    // The vocabulary is not trained yet; --vocab-size stands in for its size.
    model::ModelConfig sized = o.model;
    sized.vocab_size = std::max(1, o.vocab.vocab_size);
    check_memory(
        model::training_state_bytes(sized),
        fmt::format("a model of {:.3g} parameters (for values, gradients and Adam moments)",
                    static_cast<double>(sized.parameter_count())),
        "--dim-emb, --transformer-dim-ffn, --enc-depth/--dec-depth, --moe-experts, "
        "--moe-expert-dim-ffn or --vocab-size",
        o.device);
  }
  // Started by mpirun with several processes: data-parallel training over MPI, or over NCCL
  // (bootstrapped by MPI, which must outlive it) when every rank has a GPU of its own.
  std::unique_ptr<dist::Communicator> world = launcher_size(false) > 1
                                                  ? dist::make_mpi_world(o.comm_timeout)
                                                  : dist::make_local(o.comm_timeout);
  std::unique_ptr<dist::Communicator> nccl;
  dist::Communicator* comm = world.get();
  if (world->rank() != 0) log::set_level("error");  // rank 0 logs for all
  train::TrainResult result;
  try {
    if (world->size() > 1 && !o.device.is_cpu()) nccl = gpu_communicator(*world, o);
    if (nccl) comm = nccl.get();
    train::Trainer trainer(std::move(o), cl.config_yaml, comm);
    result = trainer.run();
  } catch (const std::exception& e) {
    // A failing rank stops every rank (MPI_Abort after printing the error) instead of leaving
    // them waiting in the next collective.
    if (comm->size() > 1) comm->abort(e.what());
    throw;
  }
  // Interrupted runs saved a checkpoint but did not finish: the usual 128 + signal status keeps
  // `moemt train && moemt eval` from going on.
  return result.interrupted_by ? 128 + result.interrupted_by : 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("train", "train a model (Marian-style options, -c config.yml)", run_train);
}  // namespace moemt::cli
