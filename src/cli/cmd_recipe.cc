// `moemt recipe RECIPE.yaml --out DIR`: corpus build -> train -> eval for one language set,
// resumable (finished steps are skipped, an interrupted training resumes). Each step is the
// same subcommand a user would run, called with arguments built from the recipe's sections.
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "data/language.h"

namespace moemt::cli {
namespace {

// A recipe section (a YAML map) as command-line flags: "key: value" -> --key value, lists ->
// --key v1 v2, booleans -> --key (true) or nothing (false).
std::vector<std::string> section_flags(const YAML::Node& section, const std::string& path,
                                       const std::string& name) {
  std::vector<std::string> out;
  if (!section) return out;
  if (!section.IsMap()) throw Error("{}: '{}' must be a map of option: value", path, name);
  for (const auto& kv : section) {
    std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (v.IsSequence()) {
      out.push_back("--" + key);
      for (const auto& item : v) out.push_back(item.as<std::string>());
    } else if (v.IsScalar()) {
      std::string s = v.as<std::string>();
      if (s == "true") {
        out.push_back("--" + key);
      } else if (s != "false") {
        out.push_back("--" + key);
        out.push_back(s);
      }
    } else {
      throw Error("{}:{}: '{}.{}' must be a value or a list", path, kv.first.Mark().line + 1, name, key);
    }
  }
  return out;
}

bool g_dry_run = false;

int call(const std::string& command, std::vector<std::string> args) {
  std::string line = "moemt " + command;
  for (const auto& a : args) line += " " + a;
  log::info("[recipe] {}", line);
  if (g_dry_run) {
    if (command != "train") return 0;
    args.push_back("--dump-config");  // parses and checks every train option, runs nothing
  }
  int rc = registry().at(command).run(args);
  if (rc != 0) throw Error("step '{}' failed with exit code {}", command, rc);
  return rc;
}

int run_recipe(const std::vector<std::string>& args) {
  using S = std::string;
  po::options_description desc("moemt recipe RECIPE.yaml --out DIR");
  desc.add_options()
    ("help,h", "print this help")
    ("recipe", po::value<S>()->required(), "recipe file (examples/recipes/*.yaml)")
    ("out,o", po::value<S>()->default_value(""), "working directory (default: runs/<recipe name>)")
    ("steps", po::value<std::vector<S>>()->multitoken(), "steps to run: corpus train eval (default: all)")
    ("flores", po::value<S>()->default_value(""), "also evaluate on this FLORES-200 directory (e.g. ../shared/data/flores200)")
    ("cpu-threads", bounded(kCpuThreadsRange)->default_value(0), "CPU threads for training and evaluation (0 = all)")
    ("devices,d", po::value<S>()->default_value("cpu"), "device for training and evaluation: cpu, cuda:N or a GPU index N")
    ("dry-run", po::bool_switch(), "check the recipe (languages, train options) and print the commands only");
  po::positional_options_description pos;
  pos.add("recipe", 1);
  po::variables_map vm;
  if (!parse_options("recipe", args, desc, vm, &pos)) return 0;
  const S path = vm["recipe"].as<S>();
  g_dry_run = vm["dry-run"].as<bool>();
  YAML::Node r;
  try {
    r = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw Error("{}: cannot open recipe", path);
  } catch (const YAML::Exception& e) {
    throw Error("{}:{}: YAML syntax error: {}", path, e.mark.line + 1, e.msg);
  }
  static const std::set<S> kKeys = {"name", "description", "languages", "corpus", "train", "eval"};
  for (const auto& kv : r)
    if (!kKeys.count(kv.first.as<S>()))
      throw Error("{}:{}: unknown recipe section '{}' (name, description, languages, corpus, train, eval)",
                  path, kv.first.Mark().line + 1, kv.first.as<S>());
  if (!r["name"] || !r["languages"] || !r["languages"].IsSequence())
    throw Error("{}: a recipe needs 'name' and a 'languages' list", path);
  const S name = r["name"].as<S>();
  S out = vm["out"].as<S>().empty() ? "runs/" + name : vm["out"].as<S>();
  std::set<S> steps = {"corpus", "train", "eval"};
  if (vm.count("steps")) {
    steps.clear();
    for (const auto& s : vm["steps"].as<std::vector<S>>()) {
      if (s != "corpus" && s != "train" && s != "eval") throw Error("unknown step '{}' (corpus, train, eval)", s);
      steps.insert(s);
    }
  }
  const auto& reg = data::LanguageRegistry::builtin();
  std::vector<S> flores, iso;
  for (const auto& l : r["languages"]) {
    const auto& lang = reg.get(l.as<S>());
    if (lang.flores == "eng_Latn") continue;  // English is the pivot side of every pair
    flores.push_back(lang.flores);
    iso.push_back(lang.iso1.empty() ? lang.iso3 : lang.iso1);
  }
  if (flores.empty()) throw Error("{}: 'languages' needs at least one language besides English", path);
  make_dirs(out);
  const S threads = std::to_string(vm["cpu-threads"].as<int>());
  // Checked here so that a missing GPU fails before the corpus step, not after it. Passed on
  // only when given, so a recipe's own train/eval `devices` key stays in force otherwise.
  const S device = vm["devices"].as<S>();
  device_from_option({device});
  const std::vector<S> dev = vm["devices"].defaulted() ? std::vector<S>{} : std::vector<S>{"--devices", device};
  auto with_device = [&](std::vector<S> a) {
    a.insert(a.begin() + 2, dev.begin(), dev.end());
    return a;
  };
  const S corpus_dir = out + "/corpus", model_dir = out + "/model";

  if (steps.count("corpus")) {
    if (path_exists(corpus_dir + "/stats.json") && !g_dry_run) {
      log::info("[recipe] corpus: {} exists, skipping (delete it to rebuild)", corpus_dir);
    } else {
      S langs;
      for (const auto& c : iso) langs += (langs.empty() ? "" : ",") + c;
      std::vector<S> a = {"build", "--langs", langs, "--out", corpus_dir};
      auto extra = section_flags(r["corpus"], path, "corpus");
      a.insert(a.end(), extra.begin(), extra.end());
      call("corpus", a);
    }
  }
  if (steps.count("train")) {
    if (path_exists(out + "/train.done") && !g_dry_run) {
      log::info("[recipe] train: {} finished already, skipping", model_dir);
    } else {
      YAML::Emitter e;
      e << (r["train"] ? r["train"] : YAML::Node(YAML::NodeType::Map));
      write_file_atomic(out + "/train.yml", S(e.c_str()) + "\n");
      std::vector<S> a = {"-c", out + "/train.yml", "--model", model_dir, "--cpu-threads", threads,
                          "--log", out + "/train.jsonl", "--train-sets"};
      for (const auto& f : flores) {
        a.push_back(corpus_dir + "/train/eng_Latn-" + f + ".eng_Latn");
        a.push_back(corpus_dir + "/train/eng_Latn-" + f + "." + f);
      }
      a.push_back("--valid-sets");
      for (const auto& f : flores) {
        a.push_back(corpus_dir + "/dev/eng_Latn.dev");
        a.push_back(corpus_dir + "/dev/" + f + ".dev");
      }
      if (path_exists(model_dir + "/config.yml")) a.push_back("--resume");
      call("train", with_device(a));
      if (!g_dry_run) write_file_atomic(out + "/train.done", "");
    }
  }
  if (steps.count("eval")) {
    auto extra = section_flags(r["eval"], path, "eval");
    std::vector<S> a = {"-m", model_dir, "--set", corpus_dir, "--cpu-threads", threads, "-o", out + "/eval"};
    a.insert(a.end(), extra.begin(), extra.end());
    call("eval", with_device(a));
    const S flores_dir = vm["flores"].as<S>();
    if (!flores_dir.empty()) {
      std::vector<S> b = {"-m", model_dir, "--set", flores_dir, "--cpu-threads", threads, "-o", out + "/eval-flores"};
      b.insert(b.end(), extra.begin(), extra.end());
      call("eval", with_device(b));
    }
    if (g_dry_run) return 0;
    std::printf("\n%s", read_file(out + "/eval/report.md").c_str());
    if (std::filesystem::exists(out + "/eval/experts.html"))
      std::printf("\nExpert usage per MoE layer and language: %s/eval/experts.html (and .md)\n",
                  out.c_str());
    if (!flores_dir.empty())
      std::printf("\nFLORES-200 (%s):\n\n%s", flores_dir.c_str(), read_file(out + "/eval-flores/report.md").c_str());
  }
  return 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("recipe", "run a recipe end to end: corpus build, train, eval (resumable)", run_recipe);
}  // namespace moemt::cli
