#!/usr/bin/env bash
# Make a shipped model from a finished run (docs/model.md, "The shipped model"): copy it into models/, fit
# its person filter, measure the filter, and write its card. What is left to do by hand is printed at the end.
# usage: tools/ship_model.sh RUN_MODEL VERSION SHAPE CARD.json   (repository root, ../shared present)
#   e.g. tools/ship_model.sh runs/ldo_k/deepssh_k_thr.pt v6 512_256 docs/results/card_v6.json
#   makes models/deepssh_v6_512_256.pt and docs/results/{evaluate_person,junk_in_top20}_v6.json
set -euo pipefail
PY=${PY:-.venv/bin/python}
src=$1; version=$2; shape=$3; card=$4
M=models/deepssh_${version}_${shape}.pt
cp "$src" "$M"
$PY -m deepssh_gui.cli fit-person --model "$M" --root ../shared/data/peta \
  --extra cuhk03=../shared/data/cuhk03/train --extra cuhk01=../shared/data/cuhk01/train \
  --video resources/demo/vtest.avi --frames 0-400
$PY -m deepssh_gui.cli evaluate-person --model "$M" > "docs/results/evaluate_person_${version}.json"
$PY tools/junk_in_top20.py "$M" > "docs/results/junk_in_top20_${version}.json"
$PY tools/set_model_card.py "$M" "$card"
cat <<DONE
$M is ready. To make it the default: MODEL in the Makefile and DEFAULT_MODEL_NAME in
deepssh_gui/common/paths.py, then \`make demo-gallery\`, and the figures in README.md and docs/model.md.
DONE
