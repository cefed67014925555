#!/usr/bin/env bash
# Finish run L of docs/model.md ("Run L"): recipe I without region pooling (--stripes 0), to credit region
# pooling apart from H's other changes. Resumes the training from runs/ldo_l/ (exactly; it starts afresh if
# nothing is there), evaluates it leave-domain-out, fits per-attribute thresholds, evaluates that, and prints
# the ablation rows beside H, I and I+T, then the gender/age/carried-item check.
# usage: tools/finish_run_l.sh   (from the repository root, with ../shared present)
set -euo pipefail
tools/finish_ldo_run.sh l "ldo_h=H ldo_i=I ldo_l=L ldo_it=IT ldo_lt=LT"
${PY:-.venv/bin/python} tools/attribute_check.py ldo_it=IT ldo_lt=LT
