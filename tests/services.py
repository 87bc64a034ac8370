"""Real services for a test run: a throwaway PostgreSQL cluster and a Redis server.

Loaded by `make test`'s second pass (`pytest -p tests.services`). Before pytest-django reads the
settings, it starts both on free loopback ports, with pytest-postgresql's executor driving the
PostgreSQL binaries (installed from Debian by `make test`), points DATABASE_URL and REDIS_URL at
them, and removes them and their files when the run ends. PostgreSQL refuses to run as root, so
as root (CI) the cluster runs as the `postgres` system user that Debian's package creates.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

_started = {}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pg_ctl():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    path = found[-1] if found else shutil.which("pg_ctl")
    if not path:
        raise pytest.UsageError("pg_ctl not found: `make test` installs Debian's postgresql")
    return path


def start_postgresql(workdir):
    from pytest_postgresql.executors.proc import PostgreSQLExecutor

    executable = pg_ctl()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
        wrapper = workdir / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec runuser -u postgres -- "{executable}" "$@"\n')
        wrapper.chmod(0o755)
        executable = str(wrapper)
    executor = PostgreSQLExecutor(
        executable=executable,
        host="127.0.0.1",
        port=free_port(),
        user="postgres",
        dbname="casebook",
        datadir=str(workdir / "data"),
        unixsocketdir=str(workdir),
        logfile=str(workdir / "postgresql.log"),
        startparams="-w",
        postgres_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
    )
    executor.start()
    return executor


def start_redis(workdir):
    binary = shutil.which("redis-server")
    if not binary:
        raise pytest.UsageError("redis-server not found: `make test` installs Debian's redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise pytest.UsageError("redis-server did not answer within 20 s")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # tryfirst: before pytest-django, which reads the settings (and so DATABASE_URL) in this hook.
    workdir = Path(tempfile.mkdtemp(prefix="casebook-services-"))
    _started["workdir"] = workdir
    _started["postgresql"] = executor = start_postgresql(workdir)
    _started["redis"], redis_port = start_redis(workdir)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{executor.port}/casebook"
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"


def pytest_report_header(config):
    if "postgresql" in _started:
        return [f"services: PostgreSQL at {os.environ['DATABASE_URL']}, Redis at {os.environ['REDIS_URL']}"]
    return []


def pytest_unconfigure(config):
    if "redis" in _started:
        _started.pop("redis").terminate()
    if "postgresql" in _started:
        _started.pop("postgresql").stop()
    if "workdir" in _started:
        shutil.rmtree(_started.pop("workdir"), ignore_errors=True)
