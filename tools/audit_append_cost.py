"""What the audit chain record (audit.chain, issue #21) costs each search, measured in one run.

usage: .venv/bin/python tools/audit_append_cost.py GALLERY_COPY [MODEL]   (the copy's audit log grows)
Times an attribute search (median of 300) with the record checked and written, and with either
or both switched off in this process only, in three alternating rounds.
"""

import statistics
import sys
import time


def main(gallery: str, model: str | None = None) -> None:
    from deepssh_gui.common.paths import default_model_path
    from deepssh_gui.search import audit
    from deepssh_gui.search.engine import SearchEngine, SearchRequest
    from deepssh_gui.search.gallery import Gallery

    eng = SearchEngine(gallery, model or str(default_model_path()))
    req = SearchRequest(attributes="carryingBackpack, lowerBody:dark", top=20)
    check, write = Gallery._check_chain_record, audit.write_chain_file

    def skip(*args, **kwargs) -> None:
        return None

    def median_ms(n: int = 300) -> float:
        t = []
        for _ in range(n):
            t0 = time.perf_counter()
            eng.search(req)
            t.append(time.perf_counter() - t0)
        return round(statistics.median(t) * 1000, 3)

    for _ in range(20):
        eng.search(req)
    rounds = []
    for _ in range(3):
        row = {}
        for name, (c, w) in {"check+write": (check, write), "write only": (skip, write),
                             "check only": (check, skip), "neither": (skip, skip)}.items():
            Gallery._check_chain_record, audit.write_chain_file = c, w
            row[name] = median_ms()
        rounds.append(row)
    Gallery._check_chain_record, audit.write_chain_file = check, write
    eng.close()
    print(rounds)


if __name__ == "__main__":
    main(*sys.argv[1:])
