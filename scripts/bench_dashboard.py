"""How long the faculty dashboard takes for a cohort of 200 residents × 50 cases, nothing cached.

A throwaway SQLite database (under --dir, made afresh each run) is seeded with bulk_create: 50
synthetic cases, one faculty member, a cohort of --residents residents, an exam of --cases cases
that every resident has answered (right, by an alias, a plural, a typo, another entity or
nonsense). Then each page is fetched --runs times with Django's test client, production settings,
and the median printed with whether it is under the target. Run it with `make bench-dashboard`
(`make bench` runs it too).

    python scripts/bench_dashboard.py --residents 200 --cases 50 --runs 9
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100


def configure(directory):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "casebook.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"sqlite:///{directory / 'dashboard.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(directory / "static"),  # production pages name hashed static files
            "DJANGO_CACHE_DIR": "",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def variants(name, rng):
    """Ways a resident might type a name: as is, lower case, a plural, a dropped letter."""
    typo = name[: len(name) // 2] + name[len(name) // 2 + 1 :]
    return rng.choice([name, name.lower(), name + "s", typo])


def seed(*, residents, cases):
    from django.contrib.auth.models import Permission, User
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from cases.models import Case, Diagnosis, Differential
    from quiz.models import Attempt, Question, QuizRun
    from teaching.models import Assignment, AssignmentCase, Cohort

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("seed_synthetic_cases", str(cases), verbosity=0)
    rng = random.Random(14)
    now = timezone.now()
    with transaction.atomic():
        teacher = User.objects.create_user("faculty")
        teacher.user_permissions.add(Permission.objects.get(codename="view_cohort", content_type__app_label="teaching"))
        User.objects.bulk_create(
            User(username=f"resident{n:03}", first_name="Resident", last_name=str(n), email=f"r{n}@example.org")
            for n in range(residents)
        )
        members = list(User.objects.filter(username__startswith="resident").order_by("pk"))
        cohort = Cohort.objects.create(name="Year 1")
        cohort.faculty.add(teacher)
        cohort.residents.add(*members)
        case_ids = list(Case.objects.order_by("pk").values_list("pk", flat=True)[:cases])
        exam = Assignment.objects.create(
            title="Benchmark exam", mode="exam", opens_at=now - timedelta(days=7), due_at=now - timedelta(days=1)
        )
        exam.cohorts.add(cohort)
        AssignmentCase.objects.bulk_create(
            AssignmentCase(assignment=exam, case_id=pk, position=n) for n, pk in enumerate(case_ids, start=1)
        )
        finals = dict(Differential.objects.filter(is_final=True, case__in=case_ids).values_list("case", "diagnosis"))
        names = {d.pk: d.name for d in Diagnosis.objects.all()}
        others = list(names.values())
        QuizRun.objects.bulk_create(
            QuizRun(user=user, assignment=exam, mode="exam", finished_at=now - timedelta(days=2)) for user in members
        )
        runs = list(QuizRun.objects.filter(assignment=exam).order_by("pk"))
        Question.objects.bulk_create(
            Question(run=run, position=n, case_id=pk) for run in runs for n, pk in enumerate(case_ids, start=1)
        )
        attempts = []
        for question in Question.objects.filter(run__assignment=exam).only("pk", "case_id"):
            roll = rng.random()
            if roll < 0.55:
                text, outcome, score = names[finals[question.case_id]], "correct", 1
            elif roll < 0.9:
                text, outcome, score = variants(rng.choice(others), rng), "wrong", 0
            else:
                text, outcome, score = rng.choice(["not sure", "?", "", "lesion", "tumour NOS"]), "wrong", 0
            attempts.append(
                Attempt(
                    question_id=question.pk,
                    answer_text=text,
                    outcome=outcome,
                    score=score,
                    time_taken=timedelta(seconds=rng.randint(10, 300)),
                    created_at=now - timedelta(days=3, minutes=rng.randint(0, 600)),
                )
            )
        Attempt.objects.bulk_create(attempts, batch_size=2000)
    return teacher, exam


def measure(client, path, runs):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(runs):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return timings, len(queries.captured_queries), len(response.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--runs", type=int, default=9, help="Requests per page; the median is reported.")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "casebook-bench"))
    args = parser.parse_args()

    directory = Path(args.dir) / "dashboard"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    configure(directory)
    started = time.perf_counter()
    teacher, exam = seed(residents=args.residents, cases=args.cases)
    print(
        f"Seeded {args.residents} residents × {args.cases} cases "
        f"({args.residents * args.cases} answers) in {time.perf_counter() - started:.1f} s"
    )

    from django.test import Client

    client = Client()
    client.force_login(teacher)
    pages = {
        "dashboard": "/teaching/",
        "results": f"/teaching/assignments/{exam.pk}/results/",
        "results.csv": f"/teaching/assignments/{exam.pk}/results.csv",
    }
    failed = False
    for name, path in pages.items():
        timings, queries, size = measure(client, path, args.runs)
        median = statistics.median(timings)
        ok = median < TARGET_MS
        failed |= not ok
        print(
            f"{name:12} median {median:6.1f} ms (first {timings[0]:6.1f} ms, {args.runs} runs), "
            f"{queries} queries, {size / 1024:.0f} KiB: {'under' if ok else 'OVER'} {TARGET_MS} ms"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
