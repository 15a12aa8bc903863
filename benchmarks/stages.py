"""Where the time of load + lint goes on a large menu: CPU seconds per stage, the least of
three runs (CPU time, unlike wall time, hardly moves when other work shares the machine).

    .venv/bin/python benchmarks/stages.py [MENU]   (default: a generated 100,000-node menu)
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time

import yaml_rs

from ivr.formats.native import read_menu_document
from ivr.formats.text import read_text
from ivr.formats.yamltext import parse_yaml
from ivr.gcpause import paused_gc
from ivr.structure.lint import lint
from ivr.structure.topology import Topology


def main() -> None:
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from generate import big_menu_yaml

        path = os.path.join(tempfile.mkdtemp(), "menu100000.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(big_menu_yaml(100_000))
    text = read_text(path, 1 << 30)
    best: dict[str, float] = {}
    for _ in range(3):
        gc.collect()
        t0 = time.process_time()
        with paused_gc():
            yaml_rs.loads(text, parse_datetime=False)
        t1 = time.process_time()
        with paused_gc():
            doc = parse_yaml(text, path)
        t2 = time.process_time()
        with paused_gc():
            menu = read_menu_document(doc)
        t3 = time.process_time()
        top = Topology.of(menu)
        t4 = time.process_time()
        lint(menu, topology=top)
        t5 = time.process_time()
        stages = {"YAML values (yaml_rs)": t1 - t0, "parse_yaml": t2 - t1,
                  "checks + model": t3 - t2, "topology (edge arrays)": t4 - t3,
                  "lint rules and findings": t5 - t4, "load + lint": t5 - t1}
        for name, seconds in stages.items():
            best[name] = min(best.get(name, float("inf")), seconds)
    # The scan is what parse_yaml adds to yaml_rs: the difference of the least times (the
    # least of the differences swings with the noise of two parses).
    best["node positions (scan)"] = best.pop("parse_yaml") - best["YAML values (yaml_rs)"]
    order = ("YAML values (yaml_rs)", "node positions (scan)", "checks + model",
             "topology (edge arrays)", "lint rules and findings", "load + lint")
    for name in order:
        print(f"{name:26s} {best[name]:.3f}")


if __name__ == "__main__":
    main()
