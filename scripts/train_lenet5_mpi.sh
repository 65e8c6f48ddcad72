#!/usr/bin/env bash
# One epoch of lenet5 on Fashion-MNIST (Adam, global batch 64, seed 0) as one
# process and as two MPI ranks (mpirun -np 2, each rank running 32 of every
# batch): the two test accuracies must be within 0.5 points. Exits non-zero
# otherwise. About a minute on 2 cores.
#   scripts/train_lenet5_mpi.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mkdir -p out
# Root (CI, containers) needs Open MPI's consent; --oversubscribe lets two
# ranks share fewer cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
common=(train examples/models/lenet5.json --data fashion-mnist --epochs 1
  --batch 64 --seed 0 --threads 1 --progress none)
"$build/tools/nnc" "${common[@]}" --distributed off | tee out/lenet5_one.log
mpirun --oversubscribe -np 2 "$build/tools/nnc" "${common[@]}" -v \
  2> out/lenet5_mpi.err | tee out/lenet5_mpi.log
one=$(grep -o 'accuracy [0-9.]*' out/lenet5_one.log | tail -1 | cut -d' ' -f2)
two=$(grep -o 'accuracy [0-9.]*' out/lenet5_mpi.log | tail -1 | cut -d' ' -f2)
echo "test accuracy: one process $one%, two ranks $two% (allowed: 0.5 apart)"
awk -v a="$one" -v b="$two" 'BEGIN { d = a - b; exit !(d <= 0.5 && d >= -0.5) }'
