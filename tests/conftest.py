"""Fixtures that put the real, trained assistant under test.

The newest model in models/ (built by `make train`) is loaded in-process once per session, and
the real action server runs as a subprocess on a free loopback port for the whole session.
"""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import pytest

PROJECT = Path(__file__).resolve().parents[1]
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


@pytest.fixture(scope="session", autouse=True)
def quiet_rasa_logs():
    """Rasa's debug log prints whole messages; tests keep to warnings, as a server does."""
    import logging

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)


def newest_model() -> Path:
    models = sorted((PROJECT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        pytest.exit("No trained model in models/. Run the tests with `make test`.", returncode=2)
    return models[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


@pytest.fixture(scope="session")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def model_path() -> Path:
    return newest_model()


@pytest.fixture(scope="session")
def action_server_url():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
        cwd=PROJECT,
        env=dict(os.environ, SANIC_HOST="127.0.0.1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        process.wait(timeout=15)


def load_agent(loop, model_path: Path, action_url: Optional[str], tracker_store=None):
    """The trained assistant; `tracker_store` is an endpoint config (default: in memory)."""
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    endpoints = AvailableEndpoints(
        action=EndpointConfig(url=action_url) if action_url else None,
        tracker_store=tracker_store,
    )
    return loop.run_until_complete(
        rasa_load_agent(model_path=str(model_path), endpoints=endpoints, loop=loop)
    )


@pytest.fixture(scope="session")
def agent(loop, model_path, action_server_url):
    return load_agent(loop, model_path, action_server_url)


class Conversation:
    """One user talking to the assistant: send text, read the replies and the tracker."""

    def __init__(self, agent, loop, sender_id: Optional[str] = None):
        self.agent = agent
        self.loop = loop
        self.sender_id = sender_id or f"test-{uuid.uuid4().hex}"

    def send(self, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        output = CollectingOutputChannel()
        message = UserMessage(text, output, self.sender_id, metadata=metadata)
        self.loop.run_until_complete(self.agent.handle_message(message))
        return output.messages

    def say(self, text: str, metadata: Optional[Dict] = None) -> str:
        """Sends text; returns all reply texts joined, for simple assertions."""
        return "\n".join(reply.get("text", "") for reply in self.send(text, metadata))

    @property
    def tracker(self):
        return self.loop.run_until_complete(
            self.agent.tracker_store.get_or_create_tracker(self.sender_id)
        )

    def slot(self, name: str):
        return self.tracker.get_slot(name)

    @property
    def last_intent(self) -> str:
        return self.tracker.latest_message.intent.get("name")


@pytest.fixture
def chat(agent, loop) -> Conversation:
    return Conversation(agent, loop)


def emergency_texts(region: str, language: str = "en") -> set:
    """Every emergency reply's text for one region and language (domain/safety.yml)."""
    import yaml

    domain = yaml.safe_load((PROJECT / "domain" / "safety.yml").read_text(encoding="utf-8"))
    wanted = [{"name": "region", "type": "slot", "value": region},
              {"name": "language", "type": "slot", "value": language}]
    return {variation["text"] for variations in domain["responses"].values()
            for variation in variations
            if all(c in variation.get("condition", []) for c in wanted)}


def buttons(replies: List[Dict]) -> List[Dict]:
    return [button for reply in replies for button in reply.get("buttons") or []]


class RunningAssistant:
    """`make run`'s start script (scripts/run.sh) on free loopback ports: the action server, Rasa
    with every channel whose variables `env` sets, and the widget's page. `url` is Rasa's,
    `page_url` the demo page's. `ports` (Rasa, actions, page) restarts one on the same ports."""

    def __init__(self, tmp_path, env=None, ports=None):
        self.port, self.actions_port, self.web_port = ports or (free_port(), free_port(),
                                                                free_port())
        self.ports = (self.port, self.actions_port, self.web_port)
        self.log = tmp_path / f"run-{self.port}.log"
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port),
                   ACTIONS_PORT=str(self.actions_port), WEB_PORT=str(self.web_port),
                   WAYPOINT_DATA_DIR=str(tmp_path), **(env or {}))
        self.url = f"http://127.0.0.1:{self.port}"
        self.page_url = f"http://127.0.0.1:{self.web_port}/"
        self.process = subprocess.Popen(
            ["scripts/run.sh"], cwd=PROJECT, env=env, stdout=self.log.open("w"),
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while "Waypoint is running" not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("run.sh did not start:\n" + self.log.read_text())
            time.sleep(0.5)

    def stored(self, sender_id: str, kind: str = None) -> list:
        """A conversation's stored events (the run's SQLite database), of one kind if given."""
        import json
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(self.log.parent / "conversations.db")) as db:
            rows = db.execute("SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id",
                              (sender_id,)).fetchall()
        return [json.loads(data) for type_name, data in rows if kind in (None, type_name)]

    def wait_turns(self, sender_id: str, count: int, timeout: float = 90) -> list:
        """The user's stored messages once there are `count`. Rasa stores a turn after it has
        sent every reply of it, so the replies have all gone out by then. (A message picked
        from "did you mean" buttons is stored twice, rewound and replayed, with one id.)"""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            said = list({e["message_id"]: e for e in self.stored(sender_id, "user")}.values())
            if len(said) >= count:
                return said
            time.sleep(0.2)
        raise AssertionError(f"{sender_id} has {len(said)} stored turns, not {count}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="session")
def running_assistant(tmp_path_factory):
    """One `make run` for the channel and browser tests (REST, Socket.IO, the page)."""
    assistant = RunningAssistant(tmp_path_factory.mktemp("running"))
    yield assistant
    assistant.stop()


_SESSION_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Shows the safety suite's figures (recall per stratum, false alarms) and the paths of the
    widget's screenshots taken in this run."""
    report = PROJECT / "results" / "safety" / "report.md"
    if report.exists() and report.stat().st_mtime >= _SESSION_STARTED:
        terminalreporter.write_sep("=", "safety suite")
        terminalreporter.write_line(report.read_text(encoding="utf-8"))
    shots = sorted(path for path in (PROJECT / "results" / "web").glob("*.png")
                   if path.stat().st_mtime >= _SESSION_STARTED)
    if shots:
        terminalreporter.write_sep("=", "widget screenshots (results/web/, git-ignored)")
        for path in shots:
            terminalreporter.write_line(str(path))
