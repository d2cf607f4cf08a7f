"""Which channels run (channels/enabled.py): each messaging app when all of its variables are set,
and a half-configured app stops the start-up instead of going silent."""
import os
import subprocess

from channels.enabled import MESSAGING, credentials, half_configured
from conftest import PROJECT, free_port

TELEGRAM = "channels.telegram.WaypointTelegramInput"


def test_an_app_runs_only_with_all_its_variables():
    names = MESSAGING[TELEGRAM]
    everything = {name: "x" for name in names}
    assert TELEGRAM in credentials({"rest": None}, everything)
    assert TELEGRAM not in credentials({"rest": None}, {})
    assert half_configured(everything) == {} and half_configured({}) == {}
    assert half_configured({names[0]: "x"}) == {TELEGRAM: list(names[1:])}


def test_run_refuses_to_start_with_a_half_configured_app(tmp_path):
    env = dict(os.environ, PORT=str(free_port()), ACTIONS_PORT=str(free_port()),
               WEB_PORT=str(free_port()), WAYPOINT_DATA_DIR=str(tmp_path),
               TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="secret")
    for name in MESSAGING["channels.twilio.WaypointTwilioInput"][2:]:
        env.pop(name, None)
    run = subprocess.run(["scripts/run.sh"], cwd=PROJECT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode != 0
    assert "TWILIO_WEBHOOK_URL" in run.stderr and "half configured" in run.stderr
    assert "Waypoint is running" not in run.stdout
