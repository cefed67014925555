"""Gender, age and carried-item accuracy on unseen cameras, per model, from tools/eval_ldo.sh's reports.

usage: python tools/attribute_check.py NAME[=LABEL] ...   (reads docs/results/ldo/NAME_gridprid.json)
Balanced accuracy ((TPR + TNR) / 2) of each attribute's decision bit on GRID + PRID, never trained on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ATTRS = ("personalMale", "personalLess30", "personalLess45", "personalLess60", "personalLarger60",
         "carryingBackpack", "carryingMessengerBag", "carryingPlasticBags", "carryingOther", "carryingNothing",
         "accessoryHat")


def main(argv: list[str]) -> int:
    rows = []
    for arg in argv:
        name, _, label = arg.partition("=")
        per = json.loads((Path("docs/results/ldo") / f"{name}_gridprid.json").read_text())["attributes"]["per_attribute"]
        rows.append((label or name, per))
    print("| attribute (positives on GRID+PRID) | " + " | ".join(label for label, _ in rows) + " |")
    print("|" + "---|" * (len(rows) + 1))
    for a in ATTRS:
        pos = rows[0][1].get(a, {}).get("positives", "?")
        print(f"| {a} ({pos}) | " + " | ".join(f"{100 * per[a]['accuracy']:.1f}" if a in per else "-"
                                               for _, per in rows) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
