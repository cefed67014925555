#!/usr/bin/env bash
# Make the shipped v6 model from run K with thresholds (docs/model.md, "The shipped model") with
# tools/ship_model.sh. Then `make demo-gallery`.
# usage: tools/ship_v6.sh CARD.json   (from the repository root, with ../shared present, after tools/finish_run_k.sh)
set -euo pipefail
exec tools/ship_model.sh runs/ldo_k/deepssh_k_thr.pt v6 512_256 "$1"
