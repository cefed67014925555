#!/usr/bin/env bash
# Finish run K of docs/model.md ("Run K"): resume its training (exactly, from runs/ldo_k/), evaluate it
# leave-domain-out, fit per-attribute thresholds, evaluate that, and print the ablation rows beside I+T and J+T.
# usage: tools/finish_run_k.sh   (from the repository root, with ../shared present)
set -euo pipefail
tools/finish_ldo_run.sh k "ldo_i=I ldo_it=IT ldo_jt=JT ldo_k=K ldo_kt=KT"
