"""Which channels a server runs: REST and Socket.IO always (credentials.yml), and each messaging
app whose environment variables are all set. Secrets stay in the environment: the file written
here names the channels, and each connector reads its own variables when it starts.

    python -m channels.enabled credentials.yml var/credentials.run.yml
"""
import os
import sys
from typing import Dict, List, Mapping, Tuple

import yaml

# credentials key (our connector's module path) -> the variables that switch it on.
MESSAGING: Dict[str, Tuple[str, ...]] = {
    "channels.telegram.WaypointTelegramInput": (
        "TELEGRAM_TOKEN", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_SECRET_TOKEN"),
    "channels.twilio.WaypointTwilioInput": (
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WEBHOOK_URL"),
    "channels.messenger.WaypointMessengerInput": (
        "FACEBOOK_VERIFY_TOKEN", "FACEBOOK_APP_SECRET", "FACEBOOK_PAGE_ACCESS_TOKEN"),
    "channels.slack.WaypointSlackInput": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
}


def enabled_messaging(environ: Mapping[str, str]) -> List[str]:
    return [key for key, names in MESSAGING.items() if all(environ.get(n) for n in names)]


def half_configured(environ: Mapping[str, str]) -> Dict[str, List[str]]:
    """Apps with some of their variables set but not all: the missing ones, by app."""
    return {key: [n for n in names if not environ.get(n)] for key, names in MESSAGING.items()
            if any(environ.get(n) for n in names) and not all(environ.get(n) for n in names)}


def credentials(base: Dict, environ: Mapping[str, str]) -> Dict:
    merged = dict(base)
    for key in enabled_messaging(environ):
        merged[key] = None
    return merged


def main(base_path: str, out_path: str) -> None:
    # A forgotten variable must not switch an app off silently: its users would get no answer.
    missing = half_configured(os.environ)
    if missing:
        for key, names in missing.items():
            print(f"error: {key.rsplit('.', 1)[-1]} is half configured; set {', '.join(names)} "
                  "too (docs/channels.md), or unset its other variables.", file=sys.stderr)
        sys.exit(2)
    with open(base_path, encoding="utf-8") as handle:
        base = yaml.safe_load(handle) or {}
    merged = credentials(base, os.environ)
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write("# Written by channels/enabled.py at start-up; edit credentials.yml instead.\n")
        yaml.safe_dump(merged, handle, default_flow_style=False, sort_keys=False)


if __name__ == "__main__":
    main(*sys.argv[1:3])
