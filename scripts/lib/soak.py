"""The sampler and the verdict of scripts/soak (issue 16).

`sample` runs beside the load: every --interval seconds it starts a few ceremonies it never finishes (as a closed
browser tab leaves them, in the Hanko passkey-server API and in the Hanko Public API), reads the admin API, and
writes one CSV row: the server's resident memory (VmRSS) and open file descriptors, the database's size, and the
row counts of the tables that must stay bounded and of those that grow with use. It stops once every load
generator it watches has exited.

`verdict` reads that CSV and says whether what must level off does; see docs/soak.md for the rules. It exits 1
when a rule fails, never because of speed.
"""

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

# Rows that only live until they expire: removed by the cleanup job (ceremonies, sessions, passcodes, one-time
# tokens) or swept on each claim (nonces).
BOUNDED = ["ceremonies", "nonces", "sessions", "passcodes", "one_time_tokens"]
# Rows each completed ceremony may add, for good.
GROWING = ["users", "credentials", "transactions", "emails", "audit_events"]


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def count_query():
    return "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in BOUNDED + GROWING)


class Sqlite:
    def __init__(self, path):
        self.path = path

    def size(self):
        wal = self.path + "-wal"
        return os.path.getsize(self.path), os.path.getsize(wal) if os.path.exists(wal) else 0

    def counts(self):
        # A connection per sample, closed at once, so that the sampler never holds back a checkpoint.
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            return list(connection.execute(count_query()).fetchone())
        finally:
            connection.close()


class Postgres:
    def __init__(self, url):
        self.url = url

    def query(self, sql):
        out = subprocess.run(["psql", self.url, "-At", "-F", ",", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [int(value) for value in out.strip().split(",")]

    def size(self):
        return self.query("SELECT pg_database_size(current_database())")[0], 0

    def counts(self):
        return self.query(count_query())


def request(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    sent = {"content-type": "application/json", **(headers or {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=sent, method=method),
                                    timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # A child that has exited but not yet been waited for is a zombie ("Z"): gone for our purposes.
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def sample(args):
    store = Sqlite(args.database) if args.store == "sqlite" else Postgres(args.database)
    hanko = f"{args.public}/{args.hanko_tenant}"
    public = f"{args.public}/{args.public_tenant}"
    admin_reads = [f"{args.admin}/tenants", f"{args.admin}/tenants/{args.hanko_tenant}",
                   f"{args.admin}/tenants/{args.hanko_tenant}/users?per_page=20",
                   f"{args.admin}/tenants/{args.public_tenant}/users?per_page=20",
                   f"{args.admin}/tenants/{args.hanko_tenant}/audit_logs", f"{args.admin}/metrics"]
    columns = ["t", "rss_kib", "fds", "db_bytes", "wal_bytes"] + BOUNDED + GROWING + [
        "abandoned", "admin_reads", "wrong_answers"]
    started = time.monotonic()
    abandoned = reads = wrong = 0
    with open(args.csv, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        while True:
            tick = time.monotonic()
            running = any(alive(pid) for pid in args.watch)
            for _ in range(args.abandon):
                for status in (request("POST", f"{hanko}/login/initialize", {}, {"apiKey": args.api_key}),
                               request("POST", f"{public}/webauthn/login/initialize", {})):
                    abandoned += 1
                    wrong += status != 200
            for url in admin_reads:
                reads += 1
                wrong += request("GET", url) != 200
            main, wal = store.size()
            row = [round(tick - started, 1), resident_kib(args.pid), open_fds(args.pid), main + wal, wal]
            writer.writerow(row + store.counts() + [abandoned, reads, wrong])
            out.flush()
            if not running:
                break
            time.sleep(max(0.0, args.interval - (time.monotonic() - tick)))


def load(path):
    with open(path) as rows:
        return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(rows)]


def thirds(rows):
    end = rows[-1]["t"]
    middle = [r for r in rows if end / 3 <= r["t"] < 2 * end / 3]
    last = [r for r in rows if r["t"] >= 2 * end / 3]
    return middle, last


def per_event(rows, column):
    """How much `column` grew per audit event (one per ceremony, failures too) over `rows`."""
    events = rows[-1]["audit_events"] - rows[0]["audit_events"]
    return (rows[-1][column] - rows[0][column]) / events if events > 0 else None


def ceremony_ceiling(rows, row, settle, slack):
    """What the ceremonies table may hold at `row` if expired ceremonies are removed: those started (and left)
    in the last `settle` seconds, plus the ones the load has in flight."""
    earlier = [r for r in rows if r["t"] <= row["t"] - settle]
    left_since = row["abandoned"] - (earlier[-1]["abandoned"] if earlier else 0)
    return left_since + slack


def verdict(args):
    rows = load(args.csv)
    checks = []

    def check(name, ok, figures):
        checks.append({"check": name, "ok": bool(ok), "figures": figures})

    check("samples taken", len(rows) >= 5 and all(r["rss_kib"] > 0 and r["fds"] > 0 and r["db_bytes"] > 0
                                                   for r in rows), f"{len(rows)} samples over {rows[-1]['t']:.0f} s")
    check("admin reads and abandoned ceremony starts answered 200", rows[-1]["wrong_answers"] == 0,
          f"{rows[-1]['admin_reads']:.0f} admin reads, {rows[-1]['abandoned']:.0f} ceremonies started and left, "
          f"{rows[-1]['wrong_answers']:.0f} wrong answers")

    settle = args.ceremony_ttl + args.cleanup_interval + 2 * args.interval
    late = [r for r in rows if r["t"] >= settle]
    worst = max(late, key=lambda r: r["ceremonies"] - ceremony_ceiling(rows, r, settle, args.in_flight), default=None)
    if worst is None:
        check("expired ceremonies removed", False, f"the run is shorter than {settle:.0f} s")
    else:
        ceiling = ceremony_ceiling(rows, worst, settle, args.in_flight)
        check("expired ceremonies removed", worst["ceremonies"] <= ceiling,
              f"at most what was left in the last {settle:.0f} s plus {args.in_flight} in flight: worst "
              f"{worst['ceremonies']:.0f} rows at {worst['t']:.0f} s against {ceiling:.0f}")
    drops = sum(1 for a, b in zip(rows, rows[1:]) if b["sessions"] < a["sessions"])
    check("expired sessions removed", drops > 0,
          f"the count fell {drops} times (the load never logs out: only the cleanup removes sessions); "
          f"peak {max(r['sessions'] for r in rows):.0f}, last {rows[-1]['sessions']:.0f}")

    if args.mode == "long":
        middle, last = thirds(rows)
        if len(middle) < 3 or len(last) < 3:
            check("thirds of the run sampled", False, f"{len(middle)} and {len(last)} samples")
        else:
            def plateau(name, column, allowed):
                mid, end = max(r[column] for r in middle), max(r[column] for r in last)
                check(f"{name} levels off", end <= allowed(mid),
                      f"max {mid:,.0f} in the middle third, {end:,.0f} in the last (allowed {allowed(mid):,.0f})")

            plateau("resident memory (KiB)", "rss_kib", lambda m: m * 1.10)
            plateau("open file descriptors", "fds", lambda m: m + 5)
            for table in BOUNDED:
                plateau(f"{table} rows", table, lambda m: m * 1.25 + 20)
            for table in GROWING[:-1] + ["db_bytes"]:
                mid, end = per_event(middle, table), per_event(last, table)
                if mid is None or end is None:
                    check(f"{table} per ceremony", False, "no audit events in a third: the load stalled")
                    continue
                unit = "bytes" if table == "db_bytes" else "rows"
                if table == "db_bytes":
                    # Pages are allocated in steps, so a small absolute slack besides the relative one.
                    ok, rule = end <= mid * 1.25 + 64, "does not grow"
                else:
                    ok, rule = (end <= mid * 1.25 + 0.01 and end >= mid * 0.75 - 0.01), "steady"
                check(f"{table} per ceremony {rule}", ok,
                      f"{mid:.3f} {unit} per audit event in the middle third, {end:.3f} in the last")

    width = max(len(c["check"]) for c in checks)
    for c in checks:
        print(f"{'ok  ' if c['ok'] else 'FAIL'} {c['check']:<{width}}  {c['figures']}")
    first, final = rows[0], rows[-1]
    print(f"first/last sample: RSS {first['rss_kib'] / 1024:.1f}/{final['rss_kib'] / 1024:.1f} MiB, "
          f"fds {first['fds']:.0f}/{final['fds']:.0f}, database {first['db_bytes'] / 1e6:.1f}/"
          f"{final['db_bytes'] / 1e6:.1f} MB; rows at the end: "
          + ", ".join(f"{t} {final[t]:,.0f}" for t in BOUNDED + GROWING))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"checks": checks, "first": first, "last": final}, out, indent=1)
    return 0 if all(c["ok"] for c in checks) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--pid", type=int, required=True, help="the server's process")
    s.add_argument("--store", choices=["sqlite", "postgres"], required=True)
    s.add_argument("--database", required=True, help="the SQLite file, or the PostgreSQL database's URL")
    s.add_argument("--public", required=True, help="the public listener's URL")
    s.add_argument("--admin", required=True, help="the admin listener's URL")
    s.add_argument("--hanko-tenant", required=True)
    s.add_argument("--api-key", required=True, help="the Hanko tenant's API key")
    s.add_argument("--public-tenant", required=True, help="a tenant with the Hanko Public API enabled")
    s.add_argument("--interval", type=float, default=5.0)
    s.add_argument("--abandon", type=int, default=1, help="ceremonies started and left per dialect and sample")
    s.add_argument("--watch", type=int, nargs="+", required=True, help="load generators; sampling ends with them")
    s.add_argument("--csv", required=True)
    v = sub.add_parser("verdict")
    v.add_argument("--csv", required=True)
    v.add_argument("--mode", choices=["short", "long"], required=True)
    v.add_argument("--interval", type=float, required=True, help="the sampling interval")
    v.add_argument("--ceremony-ttl", type=float, required=True, help="seconds a started ceremony lives")
    v.add_argument("--cleanup-interval", type=float, required=True)
    v.add_argument("--in-flight", type=int, required=True, help="ceremonies the load may have open at once")
    v.add_argument("--json", help="also write the checks here")
    args = parser.parse_args()
    if args.command == "sample":
        sample(args)
        return 0
    return verdict(args)


if __name__ == "__main__":
    sys.exit(main())
