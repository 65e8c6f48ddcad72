#!/usr/bin/env bash
# Installs the Debian packages nnc needs, only those that are missing.
# Idempotent: a second run installs nothing and does not touch the network
# unless something is missing. python3-torch is the tests' PyTorch oracle,
# on OpenBLAS (libopenblas0-pthread: without it torch.mm runs on the
# reference BLAS at a few GFLOP/s); python3-matplotlib draws nnc plot's
# curves; pybind11 builds the Python package (python/); Open MPI runs
# data-parallel training (mpirun -np N nnc train). --bench adds what
# the benchmarks use
# besides (GNU time for peak RSS).
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config zlib1g-dev
  llvm-19-dev clang-19 libclang-rt-19-dev
  libflatbuffers-dev flatbuffers-compiler
  libeigen3-dev libgtest-dev libbenchmark-dev
  dataset-fashion-mnist
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  python3-torch libopenblas0-pthread python3-matplotlib
  pybind11-dev python3-dev python3-numpy
  libopenmpi-dev openmpi-bin
)
if [[ "${1:-}" == "--bench" ]]; then PACKAGES+=(time); fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
