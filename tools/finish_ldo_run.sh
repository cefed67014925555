#!/usr/bin/env bash
# Finish a leave-domain-out run of docs/model.md kept in runs/ldo_X/: resume its training exactly with
# runs/ldo_X/command.txt (a finished run just says so), evaluate it, fit per-attribute thresholds on the
# training subsets' validation identities, evaluate that, and print the ablation rows.
# usage: tools/finish_ldo_run.sh X "NAME=LABEL ..."   (from the repository root, with ../shared present)
#   X: the run's letter (runs/ldo_X/deepssh_X.pt); the second argument: the rows printed beside it
set -euo pipefail
PY=${PY:-.venv/bin/python}
x=$1; rows=$2
M=runs/ldo_$x/deepssh_$x.pt
bash runs/ldo_$x/command.txt
tools/eval_ldo.sh $M ldo_$x
$PY -m deepssh_gui.cli fit-thresholds --model $M --root ../shared/data/peta \
  --subsets CAVIAR4REID,CUHK,MIT,SARC3D,TownCentre,i-LID --out runs/ldo_$x/deepssh_${x}_thr.pt
tools/eval_ldo.sh runs/ldo_$x/deepssh_${x}_thr.pt ldo_${x}t
# shellcheck disable=SC2086  # the rows are several words on purpose
$PY tools/ablation_table.py $rows
