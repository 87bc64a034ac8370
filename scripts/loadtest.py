"""50 simulated residents taking quizzes for 60 seconds against gunicorn on SQLite.

Each resident is a thread with its own cookies (session and CSRF): it starts a practice run
through the start form, and for each question reads it, commits an answer (free text or
multiple choice), opens the reveal and rates its recall, then starts another run. At the end the
attempts in the database must equal the answers the residents know were recorded, with no error.
Run it with `make loadtest`; it uses a fresh database under --dir, never the project's.

With --kill-workers N, N gunicorn workers are killed (SIGKILL) at even intervals during the run,
some of them mid-request. The residents then behave as people do: a page that failed to load is
loaded again; an answer whose commit got no reply is never sent again blindly: the resident
reloads the question, and only if it is still unanswered commits again. The run must lose no
attempt and count none twice; the errors the residents saw are reported.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import PYTHON, ROOT, manage, production_env, start_gunicorn, stop  # noqa: E402

MAX_STEPS_PER_RUN = 60  # a run has at most 5 questions of 4 requests each, plus start and summary
RETRIES = 8  # reloads of a page that failed, a quarter of a second apart
DROPPED = "dropped"  # no reply: the connection was cut (a worker died) or the gateway failed
_CHOICE = re.compile(r'name="choice" value="(\d+)"')
_NAME = re.compile(r'<option value="([^"]+)"></option>')


class Resident:
    """A browser, as far as Casebook can tell: cookies kept, forms posted with the CSRF token."""

    def __init__(self, port, stats):
        self.port, self.stats, self.cookies, self.rng = port, stats, {}, random.Random()

    def request(self, method, path, form=None, *, expect):
        """(body, redirect path), DROPPED when no reply came, or (None, None) on an unexpected status."""
        body = urlencode(form) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            self.stats.seen(f"{method}: no reply ({type(error).__name__})")
            return DROPPED, None
        finally:
            connection.close()
        self.stats.timing(method, time.monotonic() - started)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":  # the Secure flag is ignored: we are the only client
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        expected = expect if isinstance(expect, tuple) else (expect,)
        if response.status not in expected:
            self.stats.error(f"{method} {path}: {response.status}, expected {expect}")
            return None, None
        location = response.getheader("Location")
        return text, urlsplit(location).path if location else None

    def get(self, path, *, expect=200):
        """A page, reloaded as a person would when it fails to load."""
        for _ in range(RETRIES):
            text, location = self.request("GET", path, expect=expect)
            if text is not DROPPED:
                return text, location
            time.sleep(0.25)
        self.stats.error(f"GET {path}: no reply after {RETRIES} tries")
        return None, None

    def post(self, path, form, *, expect=302):
        return self.request(
            "POST", path, {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}, expect=expect
        )

    def post_again_if_lost(self, path, form):
        """A form whose sending may be repeated as it is (starting a run, rating recall)."""
        for _ in range(RETRIES):
            text, location = self.post(path, form)
            if text is not DROPPED:
                return text, location
            time.sleep(0.25)
        self.stats.error(f"POST {path}: no reply after {RETRIES} tries")
        return None, None

    def commit(self, url, answer):
        """Commit an answer; after a lost reply, look at the question before sending it again.

        Returns the reveal's path, or None. A question that redirects to its reveal was answered.
        """
        for _ in range(RETRIES):
            text, reveal_url = self.post(url, answer)
            if text is not DROPPED:
                return reveal_url
            time.sleep(0.25)
            page, location = self.get(url, expect=(200, 302))
            if page is None:
                return None
            if location is not None:  # answered after all: the server took the first commit
                self.stats.add("commits recorded though their reply was lost")
                return location
        self.stats.error(f"POST {url}: no reply after {RETRIES} tries")
        return None

    def take_quiz(self, deadline):
        """One run, start to summary; False on an error (the resident then stops)."""
        page, _ = self.get("/quiz/")
        if page is None:
            return False
        answer_format = self.rng.choice(["free_text", "multiple_choice"])
        _, url = self.post_again_if_lost("/quiz/", {"count": 5, "mode": "practice", "answer_format": answer_format})
        if url is None:
            return False
        self.stats.add("runs started")
        for _ in range(MAX_STEPS_PER_RUN):
            if not re.fullmatch(r"/quiz/[^/]+/\d+/", url):  # the summary: the run is over
                return self.get(url)[0] is not None
            question, location = self.get(url, expect=(200, 302))
            if question is None:
                return False
            if location is not None:  # answered already (a rating's reply was lost): on to its reveal
                url = location
                reveal_url = location
            else:
                self.stats.add("questions served")
                if answer_format == "multiple_choice":
                    answer = {"choice": self.rng.choice(_CHOICE.findall(question))}
                else:
                    answer = {"answer": self.rng.choice(_NAME.findall(question) or ["metastasis"])}
                reveal_url = self.commit(url, answer)
                if reveal_url is None:
                    return False
                self.stats.add("answers recorded")
            reveal, _ = self.get(reveal_url)
            if reveal is None or 'id="answer-heading"' not in reveal:
                self.stats.error(f"GET {reveal_url}: no answer shown")
                return False
            self.stats.add("reveals shown")
            _, url = self.post_again_if_lost(
                reveal_url.replace("/reveal/", "/rate/"), {"recall": self.rng.randint(1, 4)}
            )
            if url is None:
                return False
            if time.monotonic() > deadline:
                return True  # stop between questions: every committed answer has had its reveal
        self.stats.error("a run took more steps than it has questions")
        return False


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.errors = []
        self.seconds = defaultdict(list)

    def add(self, name):
        with self.lock:
            self.counts[name] += 1

    def seen(self, message):
        """An error a resident saw and got past (a page that failed to load, then loaded)."""
        with self.lock:
            self.counts[f"seen: {message}"] += 1

    def error(self, message):
        with self.lock:
            self.errors.append(message)

    def timing(self, method, seconds):
        with self.lock:
            self.seconds[method].append(seconds)


def resident_loop(port, stats, deadline):
    resident = Resident(port, stats)
    for _ in range(10_000):  # bounded; in practice the deadline ends it
        if time.monotonic() > deadline or not resident.take_quiz(deadline):
            return


def workers_of(master_pid):
    """The PIDs of gunicorn's workers: the master's children."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            children.append(int(stat.parent.name))
    return children


def kill_workers(master_pid, count, seconds, stats):
    """Kill `count` workers at even intervals over the run (gunicorn's master starts new ones)."""
    rng = random.Random(7)
    for _ in range(count):
        time.sleep(seconds / (count + 1))
        workers = workers_of(master_pid)
        if workers:
            os.kill(rng.choice(workers), signal.SIGKILL)
            stats.add("workers killed")


def percentile(values, fraction):
    return sorted(values)[min(len(values) - 1, int(len(values) * fraction))] * 1000 if values else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--cases", type=int, default=1000, help="Synthetic cases in the fresh database.")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--dir", default="/tmp/casebook-bench")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres: a throwaway PostgreSQL cluster, with a throwaway Redis as the shared cache.",
    )
    parser.add_argument(
        "--kill-workers",
        type=int,
        default=0,
        metavar="N",
        help="Kill N gunicorn workers at even intervals during the run.",
    )
    args = parser.parse_args()

    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "loadtest.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    services = {}
    if args.database == "postgres":
        sys.path.insert(0, str(ROOT))
        from tests.services import start_postgresql, start_redis

        services["dir"] = Path(tempfile.mkdtemp(prefix="casebook-loadtest-", dir=workdir))
        services["postgresql"] = postgres = start_postgresql(services["dir"])
        services["redis"], redis_port = start_redis(services["dir"])
        env = {
            **production_env(db_path, workdir / "static", f"postgres://postgres@127.0.0.1:{postgres.port}/casebook"),
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        }
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute('CREATE DATABASE "casebook"')
    else:
        env = production_env(db_path, workdir / "static")
    try:
        run_load(args, env, workdir)
    finally:
        if "redis" in services:
            services["redis"].terminate()
        if "postgresql" in services:
            services["postgresql"].stop()
        if "dir" in services:
            shutil.rmtree(services["dir"], ignore_errors=True)


def run_load(args, env, workdir):
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_synthetic_cases", str(args.cases))

    stats = Stats()
    process = start_gunicorn(env, args.port, args.workers)
    try:
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=resident_loop, args=(args.port, stats, deadline), daemon=True)
            for _ in range(args.residents)
        ]
        if args.kill_workers:
            threads.append(
                threading.Thread(
                    target=kill_workers, args=(process.pid, args.kill_workers, args.seconds, stats), daemon=True
                )
            )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 180)
        elapsed = time.monotonic() - started
        still_running = sum(thread.is_alive() for thread in threads)
    finally:
        stop(process)

    attempts = json.loads(
        subprocess.run(
            [
                PYTHON,
                "manage.py",
                "shell",
                "-c",
                "import json; from quiz.models import Attempt, QuizRun; "
                "print(json.dumps([Attempt.objects.count(), QuizRun.objects.count(), "
                "Attempt.objects.filter(recall__isnull=False).count()]))",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.split("\n")[-2]
    )
    requests = sum(len(v) for v in stats.seconds.values())
    all_seconds = [s for v in stats.seconds.values() for s in v]
    recorded = stats.counts["answers recorded"]
    ok = not stats.errors and not still_running and attempts[0] == recorded
    rows = [
        ("database", args.database),
        ("residents", args.residents),
        ("seconds", f"{elapsed:.1f}"),
        ("cases", args.cases),
        ("gunicorn workers", args.workers),
        ("requests", requests),
        ("requests/s", f"{requests / elapsed:.1f}"),
        (
            "p50 / p99 GET ms",
            f"{percentile(stats.seconds['GET'], 0.5):.0f} / {percentile(stats.seconds['GET'], 0.99):.0f}",
        ),
        (
            "p50 / p99 POST ms",
            f"{percentile(stats.seconds['POST'], 0.5):.0f} / {percentile(stats.seconds['POST'], 0.99):.0f}",
        ),
        ("p50 / p99 all ms", f"{percentile(all_seconds, 0.5):.0f} / {percentile(all_seconds, 0.99):.0f}"),
        ("runs started (clients)", stats.counts["runs started"]),
        ("runs in database", attempts[1]),
        ("questions served", stats.counts["questions served"]),
        ("answers the residents know were recorded", recorded),
        ("of which the commit's reply was lost", stats.counts["commits recorded though their reply was lost"]),
        ("reveals shown", stats.counts["reveals shown"]),
        ("attempts in database", attempts[0]),
        ("lost attempts", max(recorded - attempts[0], 0)),
        ("attempts counted twice", max(attempts[0] - recorded, 0)),
        ("recall ratings in database", attempts[2]),
        ("workers killed", stats.counts["workers killed"]),
        *sorted(
            (f"errors seen and got past ({name[6:]})", n)
            for name, n in stats.counts.items()
            if name.startswith("seen: ")
        ),
        ("errors", len(stats.errors)),
        ("residents still running", still_running),
        ("0 lost, 0 counted twice, no error", "yes" if ok else "NO"),
    ]
    table = "| measure | value |\n| --- | ---: |\n" + "\n".join(f"| {name} | {value} |" for name, value in rows)
    print(table)
    for message in stats.errors[:20]:
        print("error:", message)
    (workdir / f"loadtest-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(table + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
