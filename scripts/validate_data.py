"""`rasa data validate` with every warning treated as a failure.

Rasa's `--fail-on-warnings` still exits 0 on some warnings (unused responses, for one), so we read
its output ourselves. A few responses are used by Rasa's built-in actions or by our SafetyPolicy
rather than by rules and stories; the validator cannot know that, so exactly those are allowed.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from safety.policy import CRISIS_INTENTS, EMERGENCY_RESPONSES, MENTION_LINES, REMINDER

# Responses uttered by Rasa's default actions (action_restart, the two-stage fallback,
# action_default_fallback) and by the SafetyPolicy, not by rules or stories; and the crisis
# intents, which the SafetyPolicy answers without a rule.
USED_WITHOUT_RULES = {"utter_restart", "utter_ask_rephrase", "utter_default", REMINDER,
                      *EMERGENCY_RESPONSES.values(), *MENTION_LINES.values(), *CRISIS_INTENTS}
# Responses our custom actions send (actions/: comparisons, "is detox enough?", sources, results
# of the flows) and the questions forms ask (utter_ask_<slot>).
SENT_BY_ACTIONS = re.compile(
    r"^utter_(compare_\w+|detox_not_enough|source|no_source|loc_\w+|self_check_\w+|ask_(loc|sc)_\w+)$")
UNUSED = re.compile(r"The (?:utterance|intent) '(\w+)' is not used in any story or rule")
WARNING = re.compile(r"UserWarning|FutureWarning|\bWARNING\b")
# Library deprecation notices printed on import; they say nothing about our data.
LIBRARY_NOISE = ("DeprecationWarning", "MovedIn20Warning", "declare_namespace", "Base: Decl",
                 "xla_computation", "pkg_resources")


def main() -> int:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain",
         "--fail-on-warnings"],
        capture_output=True, text=True, env=env,
    )
    output = result.stdout + result.stderr
    problems = []
    for line in output.splitlines():
        if not WARNING.search(line) or any(noise in line for noise in LIBRARY_NOISE):
            continue
        unused = UNUSED.search(line)
        if unused and (unused.group(1) in USED_WITHOUT_RULES
                       or SENT_BY_ACTIONS.match(unused.group(1))):
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
