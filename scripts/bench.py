"""Benchmarks a Rasa project the way a user meets it: train, start, answer, under load.

Prints, for one project and configuration:
  - train time (a forced full `rasa train`),
  - time from starting `rasa run` to its first answer over REST,
  - peak resident memory of the Rasa server and of the action server,
  - message latency (p50/p95) and throughput at 1, 10 and 50 concurrent conversations over the
    REST channel on loopback, each level bounded in message count and in time.

Everything runs on 127.0.0.1 with free ports and a throw-away tracker database, so it neither
needs nor touches a running assistant. Run it with the project's venv:

    .venv/bin/python scripts/bench.py                    # this project (what `make bench` does)
    .venv/bin/python scripts/bench.py --project /tmp/stock --no-actions   # e.g. a `rasa init` project
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp
import yaml

# Typical first messages; any Rasa assistant answers each with something.
DEFAULT_MESSAGES = [
    "hello",
    "what medications are used to treat opioid addiction",
    "tell me about withdrawal",
    "what can you do",
    "are you a bot",
    "thanks",
    "how do I find a treatment center",
    "bye",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rasa_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SANIC_HOST": "127.0.0.1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def peak_rss_mb(pid: int) -> Optional[float]:
    """VmHWM: the process's peak resident set size so far."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def train(project: Path, out_dir: Path, config: Optional[str]) -> float:
    cmd = [sys.executable, "-m", "rasa", "train", "--force", "--out", str(out_dir),
           "--fixed-model-name", "bench"]
    if (project / "domain").is_dir():
        cmd += ["--domain", "domain"]
    if config:
        cmd += ["--config", config]
    print(f"[bench] training ({' '.join(cmd[2:])}) ...", flush=True)
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=project, env=rasa_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit("[bench] training failed")
    return elapsed


def write_endpoints(project: Path, tmp: Path, action_port: Optional[int]) -> Path:
    """The project's endpoints, pointed at our action server and a throw-away SQLite file."""
    source = project / "endpoints.yml"
    endpoints = (yaml.safe_load(source.read_text()) or {}) if source.exists() else {}
    if action_port:
        endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{action_port}/webhook"}
    else:
        endpoints.pop("action_endpoint", None)
    store = endpoints.get("tracker_store") or {}
    sqlite = (store.get("type") == "SQL" and store.get("dialect", "sqlite") == "sqlite") or \
        str(store.get("type", "")).endswith("SQLiteTrackerStore")
    if sqlite:
        store["db"] = str(tmp / "bench-conversations.db")
    path = tmp / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints))
    return path


async def ask(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> list:
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        response.raise_for_status()
        return await response.json()


async def wait_for_first_answer(url: str, started: float, timeout: float, server) -> float:
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < timeout:
            if server.poll() is not None:
                raise SystemExit("[bench] the Rasa server exited during start-up")
            try:
                if await ask(session, url, "bench-first-answer", "hello"):
                    return time.perf_counter() - started
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"[bench] no answer within {timeout:.0f} s of start")


async def load_level(url: str, users: int, max_messages: int, max_seconds: float,
                     messages: List[str]) -> Dict[str, float]:
    """`users` people chat at once until the budget is spent.

    Each person sends the messages in turn, one after the other, and starts a new conversation
    (a new sender id) after the last one, so histories stay as long as real conversations.
    """
    latencies: List[float] = []
    errors = 0
    budget = {"left": max_messages}
    deadline = time.perf_counter() + max_seconds
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=users)

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def user(index: int) -> None:
            nonlocal errors
            turn = 0
            while budget["left"] > 0 and time.perf_counter() < deadline:
                budget["left"] -= 1
                if turn % len(messages) == 0:
                    sender = f"bench-{users}-{index}-{time.time_ns()}"
                text = messages[turn % len(messages)]
                turn += 1
                sent = time.perf_counter()
                try:
                    await ask(session, url, sender, text)
                    latencies.append(time.perf_counter() - sent)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))
        elapsed = time.perf_counter() - started

    if not latencies:
        return {"users": users, "messages": 0, "errors": errors}
    ordered = sorted(latencies)
    return {
        "users": users,
        "messages": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[max(0, int(round(0.95 * len(ordered))) - 1)],
        "throughput": len(latencies) / elapsed,
    }


def stop(process: Optional[subprocess.Popen]) -> None:
    if process and process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="Rasa project folder")
    parser.add_argument("--config", help="config file to train with (default: the project's)")
    parser.add_argument("--no-actions", action="store_true", help="do not start an action server")
    parser.add_argument("--levels", default="1,10,50", help="concurrent conversations per level")
    parser.add_argument("--max-messages", type=int, default=300, help="messages per level, at most")
    parser.add_argument("--max-seconds", type=float, default=45, help="seconds per level, at most")
    parser.add_argument("--start-timeout", type=float, default=180)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    project = args.project.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="waypoint-bench-"))
    action_server = rasa_server = None
    figures: Dict[str, object] = {"project": str(project), "config": args.config or "config.yml"}
    try:
        figures["train_s"] = train(project, tmp / "models", args.config)
        print(f"[bench] trained in {figures['train_s']:.1f} s", flush=True)

        action_port = None
        if not args.no_actions:
            action_port = free_port()
            action_server = subprocess.Popen(
                [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port)],
                cwd=project, env=rasa_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )

        port = free_port()
        endpoints = write_endpoints(project, tmp, action_port)
        credentials = project / "credentials.yml"
        cmd = [sys.executable, "-m", "rasa", "run", "-i", "127.0.0.1", "-p", str(port),
               "--model", str(tmp / "models" / "bench.tar.gz"), "--endpoints", str(endpoints)]
        if credentials.exists():
            cmd += ["--credentials", str(credentials)]
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        print("[bench] starting the Rasa server ...", flush=True)
        started = time.perf_counter()
        rasa_server = subprocess.Popen(cmd, cwd=project, env=rasa_env(),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        figures["first_answer_s"] = asyncio.run(
            wait_for_first_answer(url, started, args.start_timeout, rasa_server))
        print(f"[bench] first answer {figures['first_answer_s']:.1f} s after start", flush=True)

        levels = []
        for users in (int(x) for x in args.levels.split(",")):
            print(f"[bench] {users} concurrent conversation(s) ...", flush=True)
            levels.append(asyncio.run(load_level(url, users, args.max_messages, args.max_seconds,
                                                 DEFAULT_MESSAGES)))
        figures["levels"] = levels
        figures["rasa_peak_rss_mb"] = peak_rss_mb(rasa_server.pid)
        if action_server:
            figures["actions_peak_rss_mb"] = peak_rss_mb(action_server.pid)
    finally:
        stop(rasa_server)
        stop(action_server)
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"project              {figures['project']}  (config: {figures['config']})")
    print(f"train time           {figures['train_s']:.1f} s")
    print(f"start to 1st answer  {figures['first_answer_s']:.1f} s")
    print(f"peak memory          Rasa server {figures['rasa_peak_rss_mb']:.0f} MB"
          + (f", action server {figures['actions_peak_rss_mb']:.0f} MB"
             if figures.get("actions_peak_rss_mb") else ""))
    print(f"{'users':>6} {'messages':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'msg/s':>7}")
    for level in figures["levels"]:
        if not level["messages"]:
            print(f"{level['users']:>6} {0:>9} {level['errors']:>7}   (no successful message)")
            continue
        print(f"{level['users']:>6} {level['messages']:>9} {level['errors']:>7} "
              f"{level['p50_ms']:>8.0f} {level['p95_ms']:>8.0f} {level['throughput']:>7.1f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
