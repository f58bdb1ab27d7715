#!/usr/bin/env bash
# Installs every Debian package moemt needs to build, test and run (idempotent, non-interactive).
# Usage: scripts/setup.sh [--bench|--fuzz]   (--bench adds the reference tools used by
# scripts/bench/; --fuzz adds clang with libFuzzer and its sanitizer runtimes, ~250 MB, for
# scripts/fuzz.sh; gcc's ASan/UBSan runtimes for scripts/sanitize.sh come with build-essential)
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev libopenblas0-openmp
  libsentencepiece-dev sentencepiece
  libboost-program-options-dev libicu-dev libyaml-cpp-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev
  libopenmpi-dev openmpi-bin
  libgtest-dev libgmock-dev libbenchmark-dev
  gettext apt-utils dpkg-dev ca-certificates
)
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(python3-torch python3-numpy python3-sentencepiece python3-venv)
fi
if [[ "${1:-}" == "--fuzz" ]]; then
  pkgs+=(clang libclang-rt-14-dev python3)  # python3 writes the safetensors seeds
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all packages present"
