"""The workloads: each builds what it needs in the run's temp folder, measures the ledger's
command as a user runs it (a child process, wall time, peak memory), measures a raw baseline
doing the same job with the standard library or bare openpyxl, and returns printable lines."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import data


@dataclass
class Sizes:
    items: int
    events: int
    writers: int
    seconds: float
    hold_items: int
    repeat: int


SIZES = {
    "tiny": Sizes(items=200, events=400, writers=8, seconds=2.0, hold_items=16, repeat=2),
    "quick": Sizes(items=10_000, events=50_000, writers=8, seconds=6.0, hold_items=32, repeat=5),
    "full": Sizes(items=100_000, events=1_000_000, writers=8, seconds=20.0, hold_items=64, repeat=7),
}


@dataclass
class Ctx:
    tmp: Path
    sizes: Sizes
    pg_url: str | None
    template: Path | None = None
    seeded: Path | None = None
    items_db: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    seconds: float
    rc: int
    stdout: str
    stderr: str
    max_rss_mb: float
    cpu: float = 0.0  # seconds of CPU of the command and the processes it waited for (`run` only)


def run(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a child process for its wall time and output (peak memory: `run_rss`)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "EVIDENCE_OFFICER": "", "EVIDENCE_TZ": "America/Lima", **(env or {})})
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Run(seconds, proc.returncode, out, err, 0.0, cpu)


# Started by a small launcher: on Linux a child's ru_maxrss starts at the RSS of the process that
# spawned it (the high-water mark of the old memory is kept across exec), so spawned straight from
# this process, which holds the data sets, the figure would be this process's size, not the command's.
_RSS_LAUNCHER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:], stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "sys.stderr.write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_rss(cmd: list[str]) -> Run:
    """Like `run`, but reads the child's own peak RSS (Linux: KiB), reaped with wait4 by a small
    launcher process; RUSAGE_CHILDREN would report the largest of all children so far."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-S", "-c", _RSS_LAUNCHER, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "EVIDENCE_OFFICER": "", "EVIDENCE_TZ": "America/Lima"})
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    kib = int(err.strip().splitlines()[-1]) if err.strip() else 0
    return Run(seconds, proc.returncode, out, "", kib / 1024)


def evidence(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("evidence")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "ledger"]
    return base + list(args)


def must(r: Run, what: str) -> Run:
    if r.rc != 0:
        raise RuntimeError(f"{what} exited {r.rc}: {r.stderr.strip()[-2000:]}")
    return r


def line(name: str, figure: str, baseline: str, ratio: str, target: str) -> str:
    return f"{name:<12} {figure} | baseline: {baseline} | ratio: {ratio} | target: {target}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def command_exists(*path: str) -> bool:
    from ledger.cli import main

    group = main
    for name in path:
        group = getattr(group, "commands", {}).get(name)
        if group is None:
            return False
    return True


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# -- data sets ---------------------------------------------------------------------------
def prepare(ctx: Ctx) -> None:
    ctx.template = data.migrated_template(ctx.tmp / "template.db")
    ctx.seeded = ctx.tmp / "seeded.db"
    data.seed(data.fresh_sqlite(ctx.template, ctx.seeded))


def copy_seeded(ctx: Ctx, name: str) -> Path:
    path = ctx.tmp / name
    shutil.copyfile(ctx.seeded, path)
    return path


def register_in_process(url: str, n: int, *, by: str = "B-1001", batch: int = 50_000, offset: int = 0) -> None:
    """n items registered through the ledger's own functions, in transactions of `batch`."""
    from ledger.db import open_ledger
    from ledger.items import prepare_item

    lg = open_ledger(url)
    try:
        for start in range(0, n, batch):
            specs = []
            for i in range(offset + start, offset + min(n, start + batch)):
                row = dict(zip(data.HEADER, data.item_row(i), strict=True))
                kind = row.pop("kind")
                if by != "B-1001" and kind == "cash":
                    row["counted-by"] = by
                specs.append(prepare_item(kind, row))
            lg.write(_one_import, "SZ-1", specs, by=by, at="2020-10-06T09:00")
    finally:
        lg.dispose()


def _one_import(session, seizure: str, specs, **options):
    """A batch registered as `item import` registers a file: one act, signed once (FORMAT.md 1.6.1)."""
    from ledger.identity.signing import one_act
    from ledger.items import register_items

    with one_act(session):
        return register_items(session, seizure, specs, **options)


def items_db(ctx: Ctx) -> Path:
    """The import workload's ledger of `items` items; built in-process when that workload was not
    run (`--only export`), so each workload can be run on its own."""
    if ctx.items_db is None:
        path = copy_seeded(ctx, "items.db")
        register_in_process(sqlite_url(path), ctx.sizes.items)
        ctx.items_db = path
    return ctx.items_db


# -- import ------------------------------------------------------------------------------
def w_import(ctx: Ctx) -> list[str]:
    n = ctx.sizes.items
    path = copy_seeded(ctx, "items.db")
    csv_path = data.write_items_csv(ctx.tmp / "items.csv", n)
    r = must(run(evidence("--db", sqlite_url(path), "item", "import", "SZ-1", str(csv_path), "--by", "B-1001",
                          "--at", "2020-10-06T09:00")), "evidence item import")
    ctx.items_db = path
    figure = n / r.seconds

    # Baseline: the very rows the import wrote, inserted into a fresh seeded copy with sqlite3
    # executemany in one transaction, same schema, indexes, triggers and pragmas.
    src = sqlite3.connect(path)
    seed_head = sqlite3.connect(ctx.seeded).execute("SELECT seq FROM chain_head").fetchone()[0]
    events = src.execute("SELECT * FROM events WHERE seq > ? ORDER BY seq", (seed_head,)).fetchall()
    items = src.execute("SELECT * FROM items ORDER BY no").fetchall()
    links = src.execute("SELECT * FROM event_items ORDER BY seq").fetchall()
    src.close()
    dst_path = copy_seeded(ctx, "baseline-import.db")
    con = sqlite3.connect(dst_path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        con.execute(f"PRAGMA {pragma}")
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    # only '?' placeholders are formatted into these statements
    con.executemany(f"INSERT INTO events VALUES ({','.join('?' * len(events[0]))})", events)  # noqa: S608
    con.executemany(f"INSERT INTO items VALUES ({','.join('?' * len(items[0]))})", items)  # noqa: S608
    con.executemany("INSERT INTO event_items VALUES (?, ?)", links)
    con.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", (events[-1][0], events[-1][-1]))
    con.execute("COMMIT")
    base = n / (time.perf_counter() - t0)
    con.close()
    return [line("import", f"{figure:,.0f} items/s ({n:,} mixed items from CSV in {r.seconds:.2f} s, "
                           "start-up and validation included)",
                 f"sqlite3 executemany of the same items+events+links rows, one transaction: {base:,.0f} items/s",
                 f"{figure / base:.2f}", f">= 40,000 items/s: {verdict(figure >= 40_000)}")]


# -- Ed25519 ------------------------------------------------------------------------------
def w_ed25519(ctx: Ctx) -> list[str]:
    """Ed25519 verification by each back-end of ledger.identity.keys on the same signatures
    (event messages as officers sign them, by eight keys, one in eight tampered), best of
    `repeat` rounds taken in turn; the OpenSSL (`cryptography`) one is the baseline."""
    import hashlib

    from ledger.identity import keys
    from ledger.log.signatures import event_message

    n = min(20_000, max(200, ctx.sizes.items // 5))
    signers = [keys.private_key_from_seed(hashlib.sha256(b"bench %d" % i).digest()) for i in range(8)]
    publics = [keys.public_key_bytes(k) for k in signers]
    cases = []
    for i in range(n):
        message = event_message(hashlib.sha256(b"leaf %d" % i).digest(), "bench.example/ledger")
        signature = keys.sign(signers[i % 8], message)
        if i % 8 == 7:
            signature = signature[:40] + bytes((signature[40] ^ 1,)) + signature[41:]
        cases.append((publics[i % 8], message, signature))
    best: dict[str, float] = {}
    verdicts: dict[str, list[bool]] = {}
    for _round in range(ctx.sizes.repeat):
        for name, check in keys.ED25519_VERIFIERS.items():
            t0 = time.perf_counter()
            got = [check(*case) for case in cases]
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
            verdicts[name] = got
    if len({tuple(v) for v in verdicts.values()}) != 1:
        raise RuntimeError("the Ed25519 back-ends disagree on the same signatures")
    fast, base = best["libsodium"], best["openssl"]
    return [line("ed25519", f"libsodium (PyNaCl): {fast / n * 1e6:.1f} µs per verification ({n:,} signatures, "
                            f"{n // 8:,} tampered, best of {ctx.sizes.repeat}; the one verify uses)",
                 f"OpenSSL (cryptography), same signatures, same verdicts: {base / n * 1e6:.1f} µs",
                 f"{base / fast:.2f} (libsodium's speed over OpenSSL's)",
                 f"the faster back-end in verify: {verdict(fast <= base and keys.uses('libsodium'))}")]


# -- verify ------------------------------------------------------------------------------
def w_verify(ctx: Ctx) -> list[str]:
    if not command_exists("verify"):
        return ["verify       skipped: 'evidence verify' does not exist yet"]
    m = ctx.sizes.events
    path = ctx.tmp / "verify.db"
    url = sqlite_url(path)
    built = ctx.tmp / "verify.db.events"  # the size a kept log was built for: --keep DIR reuses it
    recipe = f"{m} events: imports of 10,000, transfers one by one"
    if not (path.exists() and built.exists() and built.read_text(encoding="utf-8") == recipe):
        built.unlink(missing_ok=True)
        for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)  # an old log's write-ahead file must not meet the new one
        copy_seeded(ctx, "verify.db")
        # As officers build it: the items registered by imports of 10,000 rows (one act each),
        # then transfers one by one (an act each), the last 1,000 events or one in 50.
        transfers = min(1000, m // 50)
        register_in_process(url, m - transfers - 20, batch=10_000)
        _transfers(url, transfers)
        built.write_text(recipe, encoding="utf-8")
    total = sqlite3.connect(path).execute("SELECT count(*) FROM events").fetchone()[0]
    r = run(evidence("--db", url, "verify"), env={"EVIDENCE_VERIFY_PROCESSES": "2"})
    if r.rc != 0:
        raise RuntimeError(f"evidence verify exited {r.rc} on a clean log: {(r.stdout + r.stderr)[-2000:]}")
    figure = total / r.seconds
    one = must(run(evidence("--db", url, "verify"), env={"EVIDENCE_VERIFY_PROCESSES": "1"}), "evidence verify")

    import hashlib

    con = sqlite3.connect(path)
    t0 = time.perf_counter()
    prev, bad, count = "0" * 64, 0, 0
    for _seq, body, prev_hash, digest in con.execute("SELECT seq, body, prev_hash, hash FROM events ORDER BY seq"):
        if prev_hash != prev or hashlib.sha256(prev.encode("ascii") + body.encode("utf-8")).hexdigest() != digest:
            bad += 1
        prev = digest
        count += 1
    base = count / (time.perf_counter() - t0)
    con.close()
    assert bad == 0
    lines = [line("verify", f"{figure:,.0f} events/s ({total:,} events in {r.seconds:.2f} s, CPU {r.cpu:.1f} s, "
                            "EVIDENCE_VERIFY_PROCESSES=2: chain, tree, canonical bodies, signatures, projections, "
                            "custody replay)",
                  f"stdlib sqlite3 loop re-hashing the same bytes: {base:,.0f} events/s",
                  f"{figure / base:.2f}", f">= 100,000 events/s: {verdict(figure >= 100_000)}"),
             line("verify 1 pr", f"{total / one.seconds:,.0f} events/s ({one.seconds:.2f} s, CPU {one.cpu:.1f} s, "
                                 "EVIDENCE_VERIFY_PROCESSES=1: every check in one process)",
                  f"{base:,.0f} events/s", f"{total / one.seconds / base:.2f}",
                  f"two processes {one.seconds / r.seconds:.2f}x faster")]
    if command_exists("checkpoint"):
        # A checkpoint is made of a committed log, so it never falls inside an act (FORMAT.md
        # 1.6.1): the last act's end at most `suffix` events back.
        con = sqlite3.connect(path)
        at = con.execute("SELECT max(seq) FROM event_signatures WHERE seq <= ?", (total - min(1000, total // 10),))
        suffix = total - at.fetchone()[0]
        con.close()
        kept = ctx.tmp / "checkpoint-before-suffix"
        kept.write_text(_checkpoint_at(path, total - suffix), encoding="utf-8")
        since = must(run(evidence("--db", url, "verify", "--since", str(kept)), env={"EVIDENCE_VERIFY_PROCESSES": "2"}),
                     "evidence verify --since")
        lines.append(line("verify since", f"{total / since.seconds:,.0f} events/s ({since.seconds:.2f} s, "
                                          f"CPU {since.cpu:.1f} s, --since a "
                                          f"checkpoint {suffix:,} events back: the whole log checked, then its first "
                                          f"{total - suffix:,} leaves' root compared)",
                          f"{base:,.0f} events/s", f"{total / since.seconds / base:.2f}", "reported"))
        new = must(run(evidence("--db", url, "verify", "--since", str(kept), "--new-only")),
                   "evidence verify --since --new-only")
        lines.append(line("verify new", f"{new.seconds:.2f} s, CPU {new.cpu:.1f} s: --since the same checkpoint "
                                        f"--new-only: the last {suffix:,} events checked in full, all {total:,} "
                                        f"re-hashed into the chain and the tree ({total / new.seconds:,.0f} "
                                        "events/s re-hashed)",
                          f"{base:,.0f} events/s", f"{total / new.seconds / base:.2f}", "reported"))
    return lines


def _checkpoint_at(path: Path, size: int) -> str:
    """The checkpoint the log had at `size` events (C2SP text), rebuilt from its leaves: what an
    auditor kept from an earlier audit."""
    import base64

    from ledger.log.checkpoints import origin_from_leaf
    from ledger.log.merkle import RightEdge, leaf_commitment

    edge, first = RightEdge(), None
    con = sqlite3.connect(path)
    for salt, body in con.execute("SELECT salt, body FROM events ORDER BY seq LIMIT ?", (size,)):
        leaf = leaf_commitment(bytes.fromhex(salt), body.encode("utf-8"))
        first = first or leaf
        edge.append(leaf)
    con.close()
    return f"{origin_from_leaf(first)}\n{size}\n{base64.b64encode(edge.root()).decode()}\n"


def _transfers(url: str, count: int) -> None:
    """Hand `count` items from B-1001 to B-1002 one transfer at a time, for a log that is not
    registrations only."""
    from ledger import custody
    from ledger.db import open_ledger
    from ledger.items import item_label

    lg = open_ledger(url)
    try:
        for i in range(1, count + 1):
            lg.write(custody.transfer_items, [item_label(i)], from_badge="B-1001", to_badge="B-1002",
                     reason="bench handover", by="B-1001")
    finally:
        lg.dispose()


# -- export ------------------------------------------------------------------------------
def w_export(ctx: Ctx) -> list[str]:
    if not command_exists("export", "xlsx"):
        return ["export       skipped: 'evidence export xlsx' does not exist yet"]
    url = sqlite_url(items_db(ctx))
    if command_exists("rate", "set"):
        must(run(evidence("--db", url, "rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS",
                          "--by", "B-1001")), "evidence rate set")
    out = ctx.tmp / "case.xlsx"
    r = must(run_rss(evidence("--db", url, "export", "xlsx", data.CASE, "--out", str(out), "--force")),
             "evidence export xlsx")
    b = must(run_rss([sys.executable, "-m", "bench.child", str(out), str(ctx.tmp / "bare.xlsx")]), "bare openpyxl")
    base = json.loads(b.stdout)
    rows = base["rows"]
    lines = [line("export", f"{rows / r.seconds:,.0f} rows/s ({rows:,} rows, {base['cells']:,} cells, "
                            f"{ctx.sizes.items:,} items in {r.seconds:.2f} s, start-up and the check against the "
                            f"log included), peak RSS {r.max_rss_mb:.0f} MB",
                  f"bare openpyxl write-only, same cell values, write only: {base['seconds']:.2f} s "
                  f"({rows / base['seconds']:,.0f} rows/s), peak RSS {b.max_rss_mb:.0f} MB",
                  f"{r.seconds / base['seconds']:.2f}x the time", f"< 150 MB: {verdict(r.max_rss_mb < 150)}")]
    # The same export without the check against the log that precedes every court document:
    # the writer's own time and memory.
    u = must(run_rss(evidence("--db", url, "export", "xlsx", data.CASE, "--out", str(out), "--force", "--unverified")),
             "evidence export xlsx --unverified")
    lines.append(line("export", f"--unverified (the writer alone, no check against the log): {u.seconds:.2f} s, "
                                f"peak RSS {u.max_rss_mb:.0f} MB",
                      f"bare openpyxl {base['seconds']:.2f} s", f"{u.seconds / base['seconds']:.2f}x the time",
                      f"< 150 MB: {verdict(u.max_rss_mb < 150)}"))
    try:
        import xlsxwriter  # noqa: F401 - the `bench` extra
    except ImportError:
        lines.append("export       XlsxWriter baseline skipped: pip install -e '.[bench]' installs XlsxWriter")
        return lines
    x = must(run_rss([sys.executable, "-m", "bench.child", str(out), str(ctx.tmp / "xlsxwriter.xlsx"), "xlsxwriter"]),
             "XlsxWriter")
    fast = json.loads(x.stdout)
    ok = r.seconds < fast["seconds"] and r.max_rss_mb < 150
    lines.append(line("export", f"the same export: {r.seconds:.2f} s, peak RSS {r.max_rss_mb:.0f} MB",
                      f"XlsxWriter constant_memory, same cell values, write only: {fast['seconds']:.2f} s "
                      f"({rows / fast['seconds']:,.0f} rows/s), peak RSS {x.max_rss_mb:.0f} MB",
                      f"{r.seconds / fast['seconds']:.2f}x the time",
                      f"faster than XlsxWriter and < 150 MB: {verdict(ok)}"))
    return lines


# -- start-up ----------------------------------------------------------------------------
def median_time(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        times.append(must(run(cmd), " ".join(cmd[-3:])).seconds)
    return statistics.median(times)


def w_startup(ctx: Ctx) -> list[str]:
    reps = ctx.sizes.repeat
    bare = median_time([sys.executable, "-c", "pass"], reps)
    help_ = median_time(evidence("--help"), reps)
    lines = [line("start-up", f"'evidence --help' {help_ * 1000:.0f} ms (median of {reps})",
                  f"'python -c pass' {bare * 1000:.0f} ms", f"{help_ / bare:.1f}x",
                  f"< 150 ms: {verdict(help_ < 0.150)}")]
    items_db(ctx)
    ref = f"EV-{max(1, ctx.sizes.items // 2):06d}"
    show = median_time(evidence("--db", sqlite_url(ctx.items_db), "item", "show", ref), reps)
    lines.append(line("start-up", f"'evidence item show {ref}' {show * 1000:.0f} ms on the {ctx.sizes.items:,}-item "
                                  f"database (median of {reps})",
                      f"'python -c pass' {bare * 1000:.0f} ms", f"{show / bare:.1f}x",
                      f"< 150 ms: {verdict(show < 0.150)}"))
    return lines


# -- concurrency -------------------------------------------------------------------------
def w_concurrency(ctx: Ctx) -> list[str]:
    if not command_exists("custody", "transfer"):
        return ["concurrency  skipped: 'evidence custody transfer' does not exist yet"]
    lines = [_concurrency(ctx, "SQLite", lambda: sqlite_url(copy_seeded(ctx, "concurrency.db")), None)]
    if ctx.pg_url:
        name, url = _pg_database(ctx.pg_url)
        try:
            lines.append(_concurrency(ctx, "PostgreSQL", lambda: url, url))
        finally:
            _pg_drop(ctx.pg_url, name)
    else:
        lines.append("concurrency  PostgreSQL skipped: give --pg URL or set EVIDENCE_TEST_PG_URL")
    return lines


def _concurrency(ctx: Ctx, backend: str, make_url, pg_url: str | None) -> str:
    from ledger.db import open_ledger

    s = ctx.sizes
    url = make_url()
    lg = open_ledger(url)
    try:
        def officers(session):
            if pg_url is not None:
                _seed_session(session)
            data.add_officers(session, [(f"W-{n:03d}", "officer") for n in range(1, s.writers + 1)])
        lg.write(officers)
    finally:
        lg.dispose()
    register_in_process(url, s.hold_items, by="W-001")
    start = time.time() + 3.0 + 0.4 * s.writers  # every worker has imported the ledger by then
    procs = [subprocess.Popen([sys.executable, "-m", "bench.worker", url, f"W-{n:03d}", str(s.hold_items),
                               str(s.seconds), str(start), str(n)], stdout=subprocess.PIPE, text=True)
             for n in range(1, s.writers + 1)]
    results = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"a concurrency worker exited {p.returncode}")
        results.append(json.loads(out))
    done = sum(r["done"] for r in results)
    refused = sum(r["refused"] for r in results)
    env = sum(r["environment"] for r in results)
    doubles, mismatches = _replay_holders(url)
    v = run(evidence("--db", url, "verify")) if command_exists("verify") else None
    proof = (f"replay: {doubles} transfers from a non-holder, {mismatches} holder mismatches"
             + (f", 'evidence verify' exit {v.rc}" if v else ""))
    ok = doubles == 0 and mismatches == 0 and (v is None or v.rc == 0)
    return (f"{'concurrency':<12} {backend}: {done / s.seconds:,.1f} transfers/s with {s.writers} writer processes "
            f"over {s.seconds:.0f} s ({done} done, {refused} refused as stale, {env} lock timeouts; "
            f"{s.hold_items} items) | proof: {proof} | target: zero double holders: {verdict(ok)}")


def _replay_holders(url: str) -> tuple[int, int]:
    """Replay every registration and transfer: each transfer must come from the item's holder
    at that point of the log, and the final holders must be those of the items table."""
    from sqlalchemy import select

    from ledger.db import Ledger
    from ledger.models import Event, Item

    lg = Ledger(url)
    holder: dict[str, str] = {}
    doubles = 0
    try:
        with lg.read() as session:
            for body, in session.execute(select(Event.body).where(Event.type.in_(
                    ["item.registered", "custody.transferred"])).order_by(Event.seq)).yield_per(5000):
                doc = json.loads(body)
                if doc["type"] == "item.registered":
                    holder[doc["data"]["item"]] = doc["data"]["holder"]
                    continue
                for item in doc["items"]:
                    if holder.get(item) != doc["data"]["from"]:
                        doubles += 1
                    holder[item] = doc["data"]["to"]
            table = dict(session.execute(select(Item.id, Item.holder)).all())
    finally:
        lg.dispose()
    mismatches = sum(1 for k, v in table.items() if holder.get(k) != v)
    return doubles, mismatches


def _seed_session(session) -> None:
    from ledger import registry

    data.add_officers(session, list(data.OFFICERS))
    registry.add_location(session, "ER-AQP", name="Bench ER-AQP", kind="evidence-room", by=data.ADMIN)
    registry.add_location(session, "VAULT-1", name="Bench VAULT-1", kind="vault", by=data.ADMIN)
    registry.add_location(session, "LOT-1", name="Bench LOT-1", kind="vehicle-lot", by=data.ADMIN)
    registry.open_case(session, data.CASE, title="Bench case", prosecutor="F-2001", by="B-1001", at="2020-10-06T04:00")
    registry.record_seizure(session, data.CASE, at="2020-10-06T05:30", place="Bench street 1", by="B-1001")


def _pg_admin(pg_url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    return psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
                           dbname=u.database or "postgres", autocommit=True)


def _pg_database(pg_url: str) -> tuple[str, str]:
    import uuid

    from sqlalchemy.engine import make_url

    from ledger.db import make_engine
    from ledger.migrate import upgrade

    name = f"evidence_bench_{uuid.uuid4().hex[:10]}"
    with _pg_admin(pg_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return name, url


def _pg_drop(pg_url: str, name: str) -> None:
    with _pg_admin(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


WORKLOADS = {
    "ed25519": w_ed25519,
    "import": w_import,
    "verify": w_verify,
    "export": w_export,
    "start-up": w_startup,
    "concurrency": w_concurrency,
}
