#!/usr/bin/env bash
# Finish run J of docs/model.md ("Run J"): resume its training (exactly, from runs/ldo_j/), evaluate it
# leave-domain-out, fit per-attribute thresholds, evaluate that, and print the ablation rows beside I and I+T.
# usage: tools/finish_run_j.sh   (from the repository root, with ../shared present)
# --precision fp32: what `auto` chose on the machine that started it; a resume must use the same arithmetic
set -euo pipefail
PY=${PY:-.venv/bin/python}
M=runs/ldo_j/deepssh_j.pt
$PY -m deepssh_gui.cli train --root ../shared/data/peta --exclude-subsets GRID,PRID \
  --extra cuhk03=../shared/data/cuhk03/train --extra cuhk01=../shared/data/cuhk01/train --color-jitter 0.3 \
  --pk 12x4 --w-triplet 1.0 --ibn-after 3,6,10 --bits 512 --input-size 192x96 --extra-labelled --stripes 2 \
  --precision fp32 --mixstyle-after 3,6 --epochs 15 --val-every 5 --threads 2 --out $M
tools/eval_ldo.sh $M ldo_j
$PY -m deepssh_gui.cli fit-thresholds --model $M --root ../shared/data/peta \
  --subsets CAVIAR4REID,CUHK,MIT,SARC3D,TownCentre,i-LID --out runs/ldo_j/deepssh_j_thr.pt
tools/eval_ldo.sh runs/ldo_j/deepssh_j_thr.pt ldo_jt
$PY tools/ablation_table.py ldo_i=I ldo_it=IT ldo_j=J ldo_jt=JT
