"""Throughput and latency of Casebook's main pages at 1,000, 10,000 and 100,000 cases (or up to 1,000,000).

For each size: a SQLite database of synthetic cases under --dir (made once, then reused), gunicorn
on 127.0.0.1 with production settings, and wrk against each page for --duration seconds. Every
page is compared with the floor, /about/, a constant page that runs no query. The query count
of each page, and what it costs with nothing cached ("uncached ms", the first request after an
edit), are measured in a separate process with Django's test client against the same database.
The gunicorn workers share a file cache (DJANGO_CACHE_DIR), emptied before each size; pass
--cache per-worker to measure each worker's own memory instead. Run it with `make bench`; the
table is printed and written to --dir.

    python scripts/benchmark.py --sizes 1000,10000,100000 --duration 10
    python scripts/benchmark.py --database postgres --cache redis --sizes 100000,1000000
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import types
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The pages residents read most are measured in French too (under /fr/), against the same targets.
FRENCH = ["list", "case", "answer", "quiz"]
PAGES = ["floor", "list", "filter", "search", "case", "answer", "quiz", "stack", *(f"{page}-fr" for page in FRENCH)]
# The fraction of the floor's throughput each page must keep, cached, at every size.
TARGETS = {"case": 0.8, "answer": 0.8, "list": 0.5, "filter": 0.5, "search": 0.5, "quiz": 0.5, "stack": 0.8}
TARGETS.update({f"{page}-fr": TARGETS[page] for page in FRENCH})
# With nothing cached (the first request after an edit): at most this many ms, {size: {page: ms}}.
COLD_TARGETS = {100_000: {"list": 100, "filter": 50, "search": 50}, 1_000_000: {"filter": 150, "search": 150}}
WRK_SCRIPT = """
-- Round-robin over the page's paths (one per line in BENCH_PATHS), so a page is measured
-- over many cases and queries rather than one warm row.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local i = math.random(#paths)
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def production_env(db_path, static_root, database_url=None):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "casebook.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url or f"sqlite:///{db_path}",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_CACHE_DIR": "",  # the probe and manage.py use their own memory; gunicorn may share one
    }


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=1800)


# In the probe process (Django set up against one benchmark database) -----------------------


def probe():
    """Print JSON: the paths to load for each page, and the queries each page runs."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cases.anatomy import Compartment, Region
    from cases.models import Case

    slugs = list(Case.objects.published().order_by("pk").values_list("slug", flat=True)[::97][:60])
    stacked = stack_case(Case.objects.get(slug=slugs[0]))
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post("/quiz/", {"count": 10, "mode": "practice", "answer_format": "free_text"})
    assert response.status_code == 302, response.status_code
    question = response["Location"]
    run = question.rstrip("/").rsplit("/", 1)[0]  # /quiz/<token>
    words = [
        "leg weakness",
        "back pain",
        "urinary",
        "night sweats",
        "lytic",
        "cord",
        "numb hands",
        "fall",
        "oedema",
        "travel",
        "saddle",
        "crp",
    ]
    paths = {
        "floor": ["/about/"],
        "list": ["/"] + [f"/?page={n}" for n in range(2, 21)],
        "filter": [f"/?region={r}&compartment={c}" for r in Region.values for c in Compartment.values],
        "search": [f"/?q={w.replace(' ', '+')}" for w in words],
        "case": [f"/cases/{slug}/" for slug in slugs],
        "answer": [f"/cases/{slug}/answer/" for slug in slugs],
        "quiz": [f"{run}/{n}/" for n in range(1, 11)],
        "stack": [stacked.get_absolute_url()],  # a case page with a 20-frame image series
    }
    paths.update({f"{page}-fr": ["/fr" + path for path in paths[page]] for page in FRENCH})
    for path in paths["quiz"]:
        client.get(path)  # a question's first view records when it was served
    visitor = Client(HTTP_HOST="127.0.0.1")  # no session: as a resident browsing arrives
    queries, cold = {}, {}
    for page, page_paths in paths.items():
        counts = []
        for path in (page_paths[0], page_paths[-1]):  # cold, then another variant
            with CaptureQueriesContext(connection) as ctx:
                status = (client if page.startswith("quiz") else visitor).get(path).status_code
            assert status == 200, (path, status)
            counts.append(len(ctx.captured_queries))
        queries[page] = counts
        # What a page costs when nothing is cached (the first request after an edit): the median
        # of up to 7 of its paths, each with the cache emptied first. This process's own cache.
        timings = []
        for path in page_paths[1:8] or page_paths:
            cache.clear()
            started = time.perf_counter()
            (client if page.startswith("quiz") else visitor).get(path)
            timings.append((time.perf_counter() - started) * 1000)
        cold[page] = statistics.median(timings)
    print(
        json.dumps(
            {
                "cases": Case.objects.published().count(),
                "paths": paths,
                "queries": queries,
                "cold_ms": cold,
                "cookie": f"sessionid={client.cookies['sessionid'].value}",
            }
        )
    )


def stack_case(case):
    """The case, with a 20-frame series of the synthetic phantom on its first finding (added once)."""
    from imaging.models import ImageSeries
    from imaging.phantom import phantom_series
    from imaging.services import add_series, process_series

    finding = case.findings.order_by("order").first()
    if not ImageSeries.objects.filter(finding=finding, status=ImageSeries.Status.READY).exists():
        series = add_series(finding=finding, files=phantom_series(frames=20, size=512, plant=False))
        process_series(series.pk)
    return case


# In the driver -----------------------------------------------------------------------------


def prepare_database(size, workdir, static_root, postgres=None):
    db_path = workdir / f"cases-{size}.sqlite3"
    database_url = None
    if postgres is not None:  # a database per size in the throwaway cluster
        import psycopg

        name = f"cases_{size}"
        with psycopg.connect(
            host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                connection.execute(f'CREATE DATABASE "{name}"')
        database_url = f"postgres://postgres@127.0.0.1:{postgres.port}/{name}"
    env = production_env(db_path, static_root, database_url)
    manage(env, "migrate", "--noinput", "-v0")  # applies new migrations (indexes) to a kept database
    have = int(
        subprocess.run(
            [
                PYTHON,
                "manage.py",
                "shell",
                "-c",
                "from cases.models import Case; print(Case.objects.filter(is_synthetic=True).count())",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout.split()[-1]
    )
    if have > size and postgres is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        manage(env, "migrate", "--noinput", "-v0")
        have = 0
    if have < size:
        print(f"  seeding {size - have} synthetic cases into {db_path}", flush=True)
        manage(env, "seed_synthetic_cases", str(size - have))
    return env


def start_gunicorn(env, port, workers):
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "casebook.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            "--error-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/about/", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            raise SystemExit("gunicorn exited while starting")
    stop(process)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def drain(port):
    """Wait until requests a previous wrk left queued in gunicorn are served (up to 120 s)."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/about/", timeout=120).close()
    except OSError:
        pass


def visit_once(port, paths, cookie):
    """Request every path once, so the measured run sees the steady state (each page already
    rendered once since the last edit); the cost of that first render is the "uncached" column."""
    for path in paths:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if cookie else {})
        urllib.request.urlopen(request, timeout=120).close()


def run_wrk(url, *, paths_file, script, duration, connections, threads, cookie):
    env = {**os.environ, "BENCH_PATHS": str(paths_file)}
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        *(["-H", f"Cookie: {cookie}"] if cookie else []),
        url,
    ]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True, timeout=duration + 60).stdout
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": errors,
    }


def bench_size(size, args, workdir, static_root, services):
    print(f"\n== {size:,} cases on {args.database}", flush=True)
    env = prepare_database(size, workdir, static_root, services.get("postgresql"))
    found = json.loads(
        subprocess.run(
            [PYTHON, __file__, "--probe"], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True, timeout=600
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    script = workdir / "round_robin.lua"
    script.write_text(WRK_SCRIPT)
    if args.cache == "shared":  # the workers share one file cache, emptied first
        cache_dir = workdir / f"cache-{size}"
        shutil.rmtree(cache_dir, ignore_errors=True)
        env = {**env, "DJANGO_CACHE_DIR": str(cache_dir)}
    elif args.cache == "redis":  # as on several machines: one Redis, emptied first
        env = {**env, "REDIS_URL": services["redis_url"]}
        import redis

        redis.Redis.from_url(services["redis_url"]).flushall()
    process = start_gunicorn(env, args.port, args.workers)
    rows = []
    try:
        for page in args.pages.split(","):
            paths_file = workdir / f"paths-{page}.txt"
            paths_file.write_text("\n".join(found["paths"][page]) + "\n")
            options = dict(
                paths_file=paths_file,
                script=script,
                connections=args.connections,
                threads=args.threads,
                cookie=found["cookie"] if page.startswith("quiz") else None,
            )
            url = f"http://127.0.0.1:{args.port}/"
            drain(args.port)
            visit_once(args.port, found["paths"][page], options["cookie"])
            run_wrk(url, duration=args.warmup, **options)
            drain(args.port)
            result = run_wrk(url, duration=args.duration, **options)
            rows.append(
                {
                    "size": size,
                    "page": page,
                    "queries": found["queries"][page],
                    "cold_ms": found["cold_ms"][page],
                    **result,
                }
            )
            print(
                f"  {page:7} {result['rps']:8.1f} req/s  p50 {result['p50']:7.1f} ms  "
                f"p99 {result['p99']:7.1f} ms  uncached {found['cold_ms'][page]:6.1f} ms  "
                f"queries {found['queries'][page]}  errors {result['errors']}",
                flush=True,
            )
    finally:
        stop(process)
    return rows


def start_services(args, workdir):
    """The throwaway PostgreSQL cluster and Redis server the options ask for (as the tests start them)."""
    sys.path.insert(0, str(ROOT))
    from tests.services import start_postgresql, start_redis

    services = {}
    if args.database == "postgres" or args.cache == "redis":
        services["dir"] = Path(tempfile.mkdtemp(prefix="casebook-bench-services-", dir=workdir))
    if args.database == "postgres" and args.postgres_port:  # a running cluster, its databases kept
        services["postgresql"] = types.SimpleNamespace(port=args.postgres_port, stop=lambda: None)
    elif args.database == "postgres":
        services["postgresql"] = start_postgresql(services["dir"])
    if args.cache == "redis":
        services["redis"], port = start_redis(services["dir"])
        services["redis_url"] = f"redis://127.0.0.1:{port}/0"
    return services


def stop_services(services):
    if "redis" in services:
        services["redis"].terminate()
    if "postgresql" in services:
        services["postgresql"].stop()
    if "dir" in services:
        shutil.rmtree(services["dir"], ignore_errors=True)


def table(rows):
    lines = [
        "| cases | page | req/s | × floor | p50 ms | p99 ms | uncached ms | queries | errors | target |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for size in dict.fromkeys(row["size"] for row in rows):
        of_size = [row for row in rows if row["size"] == size]
        floor = next(row["rps"] for row in of_size if row["page"] == "floor")
        for row in of_size:
            ratio = row["rps"] / floor
            target = TARGETS.get(row["page"])
            verdicts = [] if target is None else [f"≥ {target:g}×: {'met' if ratio >= target else 'MISSED'}"]
            cold_target = COLD_TARGETS.get(size, {}).get(row["page"])
            if cold_target is not None:
                verdicts.append(f"≤ {cold_target} ms uncached: {'met' if row['cold_ms'] <= cold_target else 'MISSED'}")
            verdict = "; ".join(verdicts)
            queries = "/".join(str(n) for n in dict.fromkeys(row["queries"]))
            lines.append(
                f"| {size:,} | {row['page']} | {row['rps']:.0f} | {ratio:.2f} | {row['p50']:.1f} | "
                f"{row['p99']:.1f} | {row['cold_ms']:.1f} | {queries} | {row['errors']} | {verdict} |"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--pages", default=",".join(PAGES), help="Which pages to load (the floor is needed for ratios)."
    )
    parser.add_argument("--duration", type=int, default=10, help="Seconds of load per page.")
    parser.add_argument("--warmup", type=int, default=2, help="Seconds of unmeasured load before each page.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres: a throwaway PostgreSQL cluster, a database per size, removed afterwards.",
    )
    parser.add_argument(
        "--cache",
        choices=["shared", "redis", "per-worker"],
        default="shared",
        help="shared: DJANGO_CACHE_DIR, one file cache for all workers (as README advises); "
        "redis: a throwaway Redis, as several machines would share; "
        "per-worker: each worker's own memory.",
    )
    parser.add_argument(
        "--postgres-port",
        type=int,
        help="With --database postgres: use the cluster running on 127.0.0.1 at this port (user postgres), "
        "and keep its databases cases_<size>, so that a million cases are seeded once.",
    )
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "casebook-bench"))
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        return probe()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it with apt-get)")
    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    static_root = workdir / "static"
    manage(production_env(workdir / "unused.sqlite3", static_root), "collectstatic", "--noinput", "-v0")
    sizes = [int(s) for s in args.sizes.split(",")]
    services = start_services(args, workdir)
    try:
        rows = [row for size in sizes for row in bench_size(size, args, workdir, static_root, services)]
    finally:
        stop_services(services)
    result = table(rows)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (workdir / f"results-{stamp}.md").write_text(result + "\n")
    (workdir / f"results-{stamp}.json").write_text(json.dumps(rows, indent=1))
    print(f"\nQueries: cold first path / another path of the page. Results in {workdir}/results-{stamp}.md\n")
    print(result)


if __name__ == "__main__":
    main()
