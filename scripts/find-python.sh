#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter: Rasa 3.6 installs on 3.10 and not on 3.11+.
# Looks at $PYTHON, then python3.10 on PATH, then pyenv's versions; exits 1 with a message if none.
set -u

is_310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
command -v pyenv >/dev/null 2>&1 && pyenv_root="$(pyenv root)"
for dir in "$pyenv_root"/versions/3.10*; do
  [ -x "$dir/bin/python" ] && candidates+=("$dir/bin/python")
done
command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")

for py in "${candidates[@]}"; do
  if is_310 "$py"; then
    # Resolve pyenv shims to the real interpreter so the venv does not depend on pyenv's state.
    "$py" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done

cat >&2 <<'MSG'
error: Python 3.10 was not found (Rasa 3.6 needs exactly 3.10; 3.11 and newer do not work).
Install it, then run make again, for example:
  pyenv install 3.10.13          # with pyenv
  sudo apt install python3.10 python3.10-venv   # Debian/Ubuntu with the deadsnakes PPA
Or point the Makefile at one: make PYTHON=/path/to/python3.10 ...
MSG
exit 1
