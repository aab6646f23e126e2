"""LINE: the webhook's answer time at 50 events a second, and what a conversation adds to a report.

Runs `machikoe serve` (the embedded default: SQLite, its in-process worker)
with the LINE platform stand-in of the tests on 127.0.0.1, and measures:

1. The webhook answer to signed events sent at a fixed pace (50 a second by
   default), against the cheapest answer of the same server, ``/healthz``,
   paced the same way in the same run (the ceiling). Target: p99 < 100 ms.
2. The server's CPU time per report made through a whole LINE conversation
   (photo, location, category, description, confirm), against the same
   report sent once to ``POST /api/v1/reports`` with the same photo, both
   processed to the end by the same worker. Target: the conversation adds
   < 200 ms of server time per report.

    python bench/line_webhook.py [--rate 50] [--seconds 10] [--reports 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    HOST,
    Processes,
    describe,
    free_port,
    load_average,
    machikoe_command,
    machine_summary,
    percentile,
    phone_photo_pixels,
    run_with_processes,
    send_at_rate,
    verdict,
)
from tests.channels.line import standin as line

WEBHOOK_P99_TARGET = 0.100
CONVERSATION_CPU_TARGET = 0.200
INSIDE = (35.650, 139.780)


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"answer {response.status_code}: {response.text[:200]}")
    return elapsed


def wait_done(base: str, public_ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for public_id in public_ids:
        while True:
            body = requests.get(f"{base}/api/v1/reports/{public_id}", timeout=5).json()
            if body.get("department") and body.get("photo_state") in ("complete", None):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"report {public_id} was not processed in time")
            time.sleep(0.2)


def run(workdir: Path, processes: Processes, args: argparse.Namespace) -> int:
    print(machine_summary())
    print(f"load average at start: {load_average():.1f}")
    platform = line.LinePlatform("")
    port = free_port()
    base = f"http://{HOST}:{port}"
    platform.webhook_base = base
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MACHIKOE_", "DATABASE_URL", "REDIS_URL", "CELERY_"))}
    env.update(MACHIKOE_DATA_DIR=str(workdir / "data"), MACHIKOE_LOG_LEVEL="WARNING", MACHIKOE_RATE_LIMITS_ENABLED="false",
               MACHIKOE_LINE_API_BASE_URL=platform.url, MACHIKOE_LINE_DATA_API_BASE_URL=platform.url,
               MACHIKOE_PUBLIC_BASE_URL=base, MACHIKOE_NOTIFY_DISPATCH_INTERVAL_SECONDS="1")
    try:
        subprocess.run([*machikoe_command(), "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([*machikoe_command(), "seed-demo"], env=env, check=True, capture_output=True, timeout=120)
        channel = platform.channel("990019")
        subprocess.run([*machikoe_command(), "line", "configure", "--jurisdiction", "990019"], env=env, check=True,
                       capture_output=True, timeout=120, input=f"{channel.secret}\n{channel.token}\n".encode())
        server = processes.start("serve", [*machikoe_command(), "serve", "--port", str(port)], env)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not become ready")
            processes.check_alive()
            time.sleep(0.2)
        count = int(args.rate * args.seconds)
        # 1. The answer, then the ceiling, each paced alike.
        users = [line.new_user_id() for _ in range(50)]
        webhook = send_at_rate(lambda i, _: timed(lambda: platform.send("990019", line.text(users[i % len(users)], "通報"))),
                               count, args.rate, threads=16)
        ceiling = send_at_rate(lambda i, _: timed(lambda: requests.get(f"{base}/healthz", timeout=5)), count, args.rate, threads=16)
        print(describe(f"webhook answer ({count} events at {args.rate:g}/s)", webhook))
        print(describe("ceiling: /healthz on the same server", ceiling))
        p99, ceiling_p99 = percentile(webhook, 0.99), percentile(ceiling, 0.99)
        print(f"webhook p99 / ceiling p99: {p99 / ceiling_p99:.2f}")
        time.sleep(3)  # let the worker answer the events before the CPU comparison
        # 2. Server CPU per report: through the API, then through a conversation.
        photo = phone_photo_pixels(size=(2016, 1512))
        cpu = lambda: processes.cpu_seconds()["serve"]  # noqa: E731
        before = cpu()
        api_ids = []
        for _ in range(args.reports):
            response = requests.post(f"{base}/api/v1/reports", timeout=30, headers={"Idempotency-Key": str(uuid.uuid4())},
                                     data={"category": "road_damage", "description": "歩道に大きな穴があります",
                                           "lat": INSIDE[0], "lon": INSIDE[1]}, files={"photos": ("p.jpg", photo, "image/jpeg")})
            if response.status_code != 201:
                raise RuntimeError(f"API answer {response.status_code}: {response.text[:200]}")
            api_ids.append(response.json()["id"])
        wait_done(base, api_ids, 120)
        api_cpu = (cpu() - before) / args.reports
        before = cpu()
        line_ids = []
        for number in range(args.reports):
            user = line.new_user_id()
            platform.contents[f"photo-{number}"] = photo
            for event in (line.image(user, f"photo-{number}"), line.location(user, *INSIDE), line.postback(user, "category=road_damage"),
                          line.text(user, "歩道に大きな穴があります"), line.postback(user, "action=submit")):
                replies = len(platform.replies_to("990019"))
                platform.send("990019", event)
                platform.wait_for_replies("990019", replies + 1, timeout=60)
            answer = platform.replies_to("990019")[-1].texts[0]
            line_ids.append(answer.rsplit("/", 1)[1].strip())
        wait_done(base, line_ids, 120)
        line_cpu = (cpu() - before) / args.reports
        added = line_cpu - api_cpu
        print(f"server CPU per report: API {api_cpu * 1000:.0f} ms, LINE conversation {line_cpu * 1000:.0f} ms, "
              f"added {added * 1000:.0f} ms (target < {CONVERSATION_CPU_TARGET * 1000:.0f} ms)")
        print(json.dumps({"webhook_p99_ms": round(p99 * 1000, 1), "ceiling_p99_ms": round(ceiling_p99 * 1000, 1),
                          "api_cpu_ms": round(api_cpu * 1000), "line_cpu_ms": round(line_cpu * 1000),
                          "added_cpu_ms": round(added * 1000)}))
        del server
    finally:
        platform.close()
    failures = []
    if p99 >= WEBHOOK_P99_TARGET:
        failures.append(f"webhook p99 {p99 * 1000:.0f} ms is not under {WEBHOOK_P99_TARGET * 1000:.0f} ms")
    if added >= CONVERSATION_CPU_TARGET:
        failures.append(f"the conversation adds {added * 1000:.0f} ms, not under {CONVERSATION_CPU_TARGET * 1000:.0f} ms")
    return verdict(failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--reports", type=int, default=10)
    args = parser.parse_args()
    return run_with_processes(lambda workdir, processes: run(workdir, processes, args), prefix="machikoe-line-")


if __name__ == "__main__":
    sys.exit(main())
