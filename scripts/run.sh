#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST + Socket.IO) on loopback and says where to
# talk to them. With --shell, chats in this terminal instead. Called by `make run` / `make shell`
# after training; stops both servers on Ctrl+C.
#
# Environment: HOST (default 127.0.0.1), PORT (5005), ACTIONS_PORT (5055), WEB_PORT (8080: the
# demo page with the chat widget), WAYPOINT_ALLOWED_ORIGINS (pages that may open the chat socket;
# default the demo page), a messaging app's variables to switch it on (docs/channels.md),
# WAYPOINT_DATA_DIR (var: the conversation database and logs),
# WAYPOINT_LOG_LEVEL (info; `debug` logs message text, so use it only on your own test data).
set -euo pipefail
cd "$(dirname "$0")/.."

# Rasa's telemetry (and the error reports it sends to an outside host) stays off.
export RASA_TELEMETRY_ENABLED=false
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
WEB_PORT="${WEB_PORT:-8080}"
export WAYPOINT_ALLOWED_ORIGINS="${WAYPOINT_ALLOWED_ORIGINS:-http://127.0.0.1:${WEB_PORT},http://localhost:${WEB_PORT}}"
DATA_DIR="${WAYPOINT_DATA_DIR:-var}"
PY=.venv/bin/python
LOG_DIR="$DATA_DIR/log"
mkdir -p "$LOG_DIR"

model=$(ls -t models/*.tar.gz 2>/dev/null | head -n 1 || true)
if [ -z "$model" ]; then
  echo "error: no trained model in models/; run 'make train' first." >&2
  exit 1
fi

for port in "$PORT" "$ACTIONS_PORT" "$WEB_PORT"; do
  if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
    echo "error: port $port on $HOST is already in use (another Waypoint running?)." >&2
    echo "       Stop it, or choose other ports: make run PORT=5105 ACTIONS_PORT=5155 WEB_PORT=8180" >&2
    exit 1
  fi
done

# endpoints.yml with the chosen action server port and data folder.
endpoints="$DATA_DIR/endpoints.run.yml"
sed -e "s|http://127.0.0.1:5055/webhook|http://127.0.0.1:${ACTIONS_PORT}/webhook|" \
    -e "s|db: var/conversations.db|db: ${DATA_DIR}/conversations.db|" endpoints.yml > "$endpoints"

# Channels: REST and Socket.IO always, each messaging app whose variables are set.
credentials="$DATA_DIR/credentials.run.yml"
"$PY" -m channels.enabled credentials.yml "$credentials"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "Starting the action server on 127.0.0.1:${ACTIONS_PORT} (log: $LOG_DIR/actions.log) ..."
SANIC_HOST=127.0.0.1 "$PY" -m rasa_sdk --actions actions -p "$ACTIONS_PORT" \
  > "$LOG_DIR/actions.log" 2>&1 &
pids+=($!)

log_level="${WAYPOINT_LOG_LEVEL:-info}"
if [ "${1:-}" = "--shell" ]; then
  echo "Loading $model; type /stop to end the chat."
  "$PY" -m rasa shell --model "$model" --endpoints "$endpoints" -p "$PORT" \
    --log-file "$LOG_DIR/rasa.log"
  exit $?
fi

echo "Starting Rasa with $model on ${HOST}:${PORT} (log: $LOG_DIR/rasa.log) ..."
"$PY" -m rasa run --model "$model" --endpoints "$endpoints" --credentials "$credentials" \
  -i "$HOST" -p "$PORT" --log-file "$LOG_DIR/rasa.log" \
  $([ "$log_level" = debug ] && echo --debug) > "$LOG_DIR/rasa.stdout.log" 2>&1 &
rasa_pid=$!
pids+=($rasa_pid)

url="http://${HOST}:${PORT}"
page="http://127.0.0.1:${WEB_PORT}/"
if [ -f build/web/index.html ]; then
  "$PY" web/serve.py --root build/web --port "$WEB_PORT" --server "$url" \
    > "$LOG_DIR/web.log" 2>&1 &
  pids+=($!)
else
  page="(not built: run 'make widget')"
fi
for _ in $(seq 1 240); do
  if ! kill -0 "$rasa_pid" 2>/dev/null; then
    echo "error: the Rasa server stopped during start-up; last lines of its log:" >&2
    tail -n 20 "$LOG_DIR/rasa.stdout.log" >&2
    exit 1
  fi
  # Rasa opens its port only after the model has loaded.
  if curl -sf -o /dev/null "$url/"; then
    break
  fi
  sleep 0.5
done

cat <<EOF

Waypoint is running at $url
  Chat page: $page
  REST:      POST $url/webhooks/rest/webhook   body: {"sender": "<conversation id>", "message": "<text>"}
  Socket.IO: $url  (path /socket.io, events user_uttered / bot_uttered)
  Try it:    curl -s -X POST $url/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
Conversations are kept in ${DATA_DIR}/conversations.db. Press Ctrl+C to stop.
EOF
wait "$rasa_pid"
