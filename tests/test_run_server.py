"""`make run`'s own start script, end to end: it starts both servers on loopback, answers over
REST, and keeps conversations in SQLite across a restart."""
import json
import socket
import urllib.error
import urllib.request

import pytest

from conftest import RunningAssistant


def post(port, sender, text):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def listening_on(port, host):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def non_loopback_address():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET address: nothing is sent over UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_run_answers_over_rest_binds_loopback_and_keeps_conversations(tmp_path):
    assistant = RunningAssistant(tmp_path)
    try:
        output = assistant.log.read_text()
        assert f"http://127.0.0.1:{assistant.port}/webhooks/rest/webhook" in output
        replies = post(assistant.port, "persisted-user", "hello")
        assert "automated educational tool" in replies[0]["text"]
        # Custom actions are reachable: an unclear message gets the "did you mean" buttons.
        assert "Did you mean" in post(assistant.port, "another-user", "relapse")[0]["text"]
        # The HTTP API (trackers, training, model swaps) is off: only the channels are served.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                f"http://127.0.0.1:{assistant.port}/conversations/persisted-user/tracker", timeout=10)
        assert refused.value.code == 404
        outside = non_loopback_address()
        if outside:
            assert not listening_on(assistant.port, outside)
            assert not listening_on(assistant.actions_port, outside)
    finally:
        assistant.stop()
    assert (tmp_path / "conversations.db").exists()

    restarted = RunningAssistant(tmp_path)
    try:
        # The conversation survived the restart: a second hello is greeted as a returning user.
        again = post(restarted.port, "persisted-user", "hello")
        assert again[0]["text"].startswith("Hi again")
    finally:
        restarted.stop()
