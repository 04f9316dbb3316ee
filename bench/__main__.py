"""`python -m bench --quick | --full | --tiny [--pg URL] [--only NAME...]`: build data sets in a
temp folder, run every workload, print one line per figure with its baseline and ratio."""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.workloads import SIZES, WORKLOADS, Ctx, prepare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", dest="size", const="quick",
                      help="small data sets, under two minutes on two cores (the default)")
    size.add_argument("--full", action="store_const", dest="size", const="full",
                      help="100,000 items and a 1,000,000-event log (the figures in BENCHMARKS.md)")
    size.add_argument("--tiny", action="store_const", dest="size", const="tiny",
                      help="a few hundred rows: the test suite's smoke test")
    parser.add_argument("--pg", metavar="URL", default=os.environ.get("EVIDENCE_TEST_PG_URL"),
                        help="PostgreSQL server for the concurrency workload [env EVIDENCE_TEST_PG_URL]")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), help="run only these workloads")
    parser.add_argument("--keep", metavar="DIR", help="build the data sets in DIR and keep them (the verify "
                        "workload's log is reused from there when it was built for the same number of events)")
    parser.add_argument("--events", metavar="N", type=int, help="the verify workload's log has N events (instead "
                        "of the size's), e.g. 200000 to iterate between runs of the 1,000,000 of --full")
    args = parser.parse_args(argv)
    sizes = SIZES[args.size or "quick"]
    if args.events:
        sizes = dataclasses.replace(sizes, events=args.events)

    print(f"bench {args.size or 'quick'}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.platform()}", flush=True)
    print(f"sizes: {sizes.items:,} items, {sizes.events:,} events, {sizes.writers} writers x {sizes.seconds:.0f} s",
          flush=True)
    failed = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="evidence-bench-") as tmp_name:
        tmp = Path(args.keep) if args.keep else Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        ctx = Ctx(tmp=tmp, sizes=sizes, pg_url=None if args.no_pg else args.pg)
        from bench import data

        data.use_keys(tmp / "keys")
        prepare(ctx)
        for name, workload in WORKLOADS.items():
            if args.only and name not in args.only:
                continue
            t0 = time.perf_counter()
            try:
                for text in workload(ctx):
                    print(text, flush=True)
            except Exception as exc:  # one broken workload must not hide the others' figures
                failed += 1
                print(f"{name:<12} FAILED: {type(exc).__name__}: {exc}", flush=True)
                traceback.print_exc(file=sys.stderr)
            print(f"{'':<12} ({name} workload took {time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"total {time.perf_counter() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
