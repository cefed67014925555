#!/usr/bin/env bash
# Finish run L of docs/model.md ("Run L"): recipe I without region pooling (--stripes 0), to credit region
# pooling apart from H's other changes. Resumes the training from runs/ldo_l/ (exactly; it starts afresh if
# nothing is there), evaluates it leave-domain-out, fits per-attribute thresholds, evaluates that, and prints
# the ablation rows beside H, I and I+T, then the gender/age/carried-item check.
# usage: tools/finish_run_l.sh   (from the repository root, with ../shared present)
set -euo pipefail
PY=${PY:-.venv/bin/python}
M=runs/ldo_l/deepssh_l.pt
bash runs/ldo_l/command.txt
tools/eval_ldo.sh $M ldo_l
$PY -m deepssh_gui.cli fit-thresholds --model $M --root ../shared/data/peta \
  --subsets CAVIAR4REID,CUHK,MIT,SARC3D,TownCentre,i-LID --out runs/ldo_l/deepssh_l_thr.pt
tools/eval_ldo.sh runs/ldo_l/deepssh_l_thr.pt ldo_lt
$PY tools/ablation_table.py ldo_h=H ldo_i=I ldo_l=L ldo_it=IT ldo_lt=LT
$PY tools/attribute_check.py ldo_it=IT ldo_lt=LT
