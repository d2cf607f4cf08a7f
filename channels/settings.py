"""Channel settings read from the environment (secrets and deployment choices never live in the
repository)."""
import os
from typing import List

# The demo page that `make run` serves (scripts/run.sh, WEB_PORT 8080 by default).
DEFAULT_ALLOWED_ORIGINS = ["http://127.0.0.1:8080", "http://localhost:8080"]


def allowed_origins() -> List[str]:
    """Web origins whose pages may open the chat socket: WAYPOINT_ALLOWED_ORIGINS, comma-separated
    (e.g. "https://example.org,https://www.example.org"), else the local demo page."""
    configured = os.environ.get("WAYPOINT_ALLOWED_ORIGINS", "")
    origins = [origin.strip().rstrip("/") for origin in configured.split(",") if origin.strip()]
    return origins or list(DEFAULT_ALLOWED_ORIGINS)
