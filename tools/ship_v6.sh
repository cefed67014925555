#!/usr/bin/env bash
# Make the shipped v6 model from run K with thresholds (docs/model.md, "The shipped model"): copy it into
# models/, fit its person filter, measure the filter, and write its card. Then `make demo-gallery`.
# usage: tools/ship_v6.sh CARD.json   (from the repository root, with ../shared present, after tools/finish_run_k.sh)
set -euo pipefail
PY=${PY:-.venv/bin/python}
M=models/deepssh_v6_512_256.pt
card=$1
cp runs/ldo_k/deepssh_k_thr.pt $M
$PY -m deepssh_gui.cli fit-person --model $M --root ../shared/data/peta \
  --extra cuhk03=../shared/data/cuhk03/train --extra cuhk01=../shared/data/cuhk01/train \
  --video resources/demo/vtest.avi --frames 0-400
$PY -m deepssh_gui.cli evaluate-person --model $M > docs/results/evaluate_person_v6.json
$PY tools/junk_in_top20.py $M > docs/results/junk_in_top20_v6.json
$PY tools/set_model_card.py $M "$card"
