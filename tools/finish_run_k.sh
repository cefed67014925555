#!/usr/bin/env bash
# Finish run K of docs/model.md ("Run K"): resume its training (exactly, from runs/ldo_k/), evaluate it
# leave-domain-out, fit per-attribute thresholds, evaluate that, and print the ablation rows beside I+T and J+T.
# usage: tools/finish_run_k.sh   (from the repository root, with ../shared present)
set -euo pipefail
PY=${PY:-.venv/bin/python}
M=runs/ldo_k/deepssh_k.pt
bash runs/ldo_k/command.txt
tools/eval_ldo.sh $M ldo_k
$PY -m deepssh_gui.cli fit-thresholds --model $M --root ../shared/data/peta \
  --subsets CAVIAR4REID,CUHK,MIT,SARC3D,TownCentre,i-LID --out runs/ldo_k/deepssh_k_thr.pt
tools/eval_ldo.sh runs/ldo_k/deepssh_k_thr.pt ldo_kt
$PY tools/ablation_table.py ldo_i=I ldo_it=IT ldo_jt=JT ldo_k=K ldo_kt=KT
