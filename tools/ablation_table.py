"""Print the leave-domain-out ablation table (docs/model.md) from tools/eval_ldo.sh's reports.

usage: python tools/ablation_table.py NAME[=LABEL] ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path("docs/results/ldo")


def _load(name: str, part: str) -> dict:
    return json.loads((OUT / f"{name}_{part}.json").read_text())


def row(name: str, label: str) -> str:
    gp, cu, pv = _load(name, "gridprid"), _load(name, "cuhk03"), _load(name, "petaval")
    b, f = gp["retrieval"]["binary_hamming"], gp["retrieval"]["float_cosine"]
    classic = b.get("classic", {})
    cb = cu["retrieval"]["binary_hamming"]
    an = gp.get("analyst_queries", {}).get("mean", {})
    cells = [
        label,
        *(f"{100 * classic[s]['rank1']:.1f}" if s in classic else "-" for s in ("GRID", "PRID")),
        f"{100 * cb.get('classic', {}).get('CUHK03', {}).get('rank1', float('nan')):.1f}",
        f"{100 * b['mAP']:.1f}", f"{b['mAP'] / f['mAP']:.2f}",
        f"{100 * gp['attributes']['mA']:.1f}", f"{gp['attribute_probabilities']['ece']:.3f}",
        f"{100 * an.get('probability_p10', float('nan')):.1f} / {100 * an.get('hamming_p10', float('nan')):.1f}",
        f"{100 * pv['retrieval']['binary_hamming']['mAP']:.1f}", f"{100 * pv['attributes']['mA']:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str]) -> int:
    print("| model | GRID classic r1 | PRID classic r1 | CUHK03 classic r1 | GRID+PRID mAP | binary/float mAP "
          "| GRID+PRID attr mA | ECE | analyst P@10 prob / Hamming | PETA val mAP | PETA val mA |")
    print("|" + "---|" * 11)
    for spec in argv:
        name, _, label = spec.partition("=")
        print(row(name, label or name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
