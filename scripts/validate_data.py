"""`rasa data validate` with every warning treated as a failure.

Rasa's `--fail-on-warnings` still exits 0 on some warnings (unused responses, for one), so we read
its output ourselves. A few responses are used by Rasa's built-in actions rather than by our rules
and stories; the validator cannot know that, so exactly those warnings are allowed.
"""
import os
import re
import subprocess
import sys

# Responses uttered by Rasa's default actions (action_restart, the two-stage fallback,
# action_default_fallback), not by rules or stories.
USED_BY_DEFAULT_ACTIONS = {"utter_restart", "utter_ask_rephrase", "utter_default"}
UNUSED_RESPONSE = re.compile(r"The utterance '(\w+)' is not used in any story or rule")
WARNING = re.compile(r"UserWarning|FutureWarning|\bWARNING\b")
# Library deprecation notices printed on import; they say nothing about our data.
LIBRARY_NOISE = ("DeprecationWarning", "MovedIn20Warning", "declare_namespace", "Base: Decl",
                 "xla_computation", "pkg_resources")


def main() -> int:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings"],
        capture_output=True, text=True, env=env,
    )
    output = result.stdout + result.stderr
    problems = []
    for line in output.splitlines():
        if not WARNING.search(line) or any(noise in line for noise in LIBRARY_NOISE):
            continue
        unused = UNUSED_RESPONSE.search(line)
        if unused and unused.group(1) in USED_BY_DEFAULT_ACTIONS:
            continue
        problems.append(line.strip())
    if result.returncode != 0 or problems:
        print(output[-5000:])
        print("\nData validation failed:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("Data validation passed (rasa data validate, warnings as failures).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
