#!/usr/bin/env bash
# Leave-domain-out evaluation of one model (docs/model.md): GRID and PRID are never seen by the
# cross-domain training runs (--exclude-subsets GRID,PRID); CUHK03's validation identities are
# never seen by any run. Writes docs/results/ldo/NAME_{gridprid,cuhk03,petaval}.json.
# usage: tools/eval_ldo.sh MODEL NAME   (from the repository root, with ../shared present)
set -euo pipefail
model=$1; name=$2
out=docs/results/ldo; mkdir -p "$out"
py=${PY:-.venv/bin/python}
$py -m deepssh_gui.cli evaluate --model "$model" --dataset peta --root ../shared/data/peta --subsets GRID,PRID \
    --split all --no-baselines --out "$out/${name}_gridprid.json"
$py -m deepssh_gui.cli evaluate --model "$model" --dataset cuhk03 --root ../shared/data/cuhk03/train \
    --split val --no-baselines --out "$out/${name}_cuhk03.json"
$py -m deepssh_gui.cli evaluate --model "$model" --dataset peta --root ../shared/data/peta \
    --split val --no-baselines --out "$out/${name}_petaval.json"
