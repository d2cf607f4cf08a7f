"""Rasa's RulePolicy with its rule look-up indexed by the previous action.

Rasa's RulePolicy finds the rules that fit the conversation by testing every rule against the
current state, on every prediction (twice inside a form): with our ~100 rules that is about 700
rule tests and 15 ms per message, most of the server's time. A rule can only fit if the action
in its last state is the conversation's previous action (or, for conversation-start rules, if
neither has one), and if the intent in its last state (when it names one) is the latest
intent, so indexing the rules by both leaves a handful to test. The tests
themselves are Rasa's own, unchanged: the rules found are exactly the ones Rasa would find.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Set, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, USER
from rasa.shared.core.generator import State
from rasa.shared.nlu.constants import ACTION_NAME, ACTION_TEXT, INTENT

# Index key of rules whose last state has no previous action: conversation-start rules.
NO_ACTION = ("", "")
# Index key of rules whose previous action this index cannot read: always tested.
ANY_ACTION = ("*", "*")


def _action_key(state: State) -> Tuple[Text, Text]:
    previous = state.get(PREVIOUS_ACTION) or {}
    if not previous:
        return NO_ACTION
    if set(previous) - {ACTION_NAME, ACTION_TEXT}:
        return ANY_ACTION
    return previous.get(ACTION_NAME) or "", previous.get(ACTION_TEXT) or ""


def _intent(state: State) -> Text:
    """The state's intent; "" when it names none (a rule without one fits any intent)."""
    return (state.get(USER) or {}).get(INTENT) or ""


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class IndexedRulePolicy(RulePolicy):
    def _rules_by_action(
        self, lookup: Dict[Text, Text]
    ) -> Dict[Tuple[Text, Text, Text], List[Text]]:
        # One index per look-up table (rules, rules for unhappy loop paths); rebuilt if a table
        # grows, as it does while the policy trains.
        cache = self.__dict__.setdefault("_indexes", {})
        cached = cache.get(id(lookup))
        if cached is None or cached[0] != len(lookup):
            index: Dict[Tuple[Text, Text, Text], List[Text]] = defaultdict(list)
            for key in lookup:
                states = self._rule_key_to_state(key)
                if states:
                    index[_action_key(states[-1]) + (_intent(states[-1]),)].append(key)
                else:
                    index[ANY_ACTION + ("",)].append(key)
            cached = (len(lookup), dict(index))
            cache[id(lookup)] = cached
        return cached[1]

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        if not states:
            return super()._get_possible_keys(lookup, states)
        index = self._rules_by_action(lookup)
        name, text = _action_key(states[-1])
        # A rule's state fits when its own keys match, so a rule naming only the action's name
        # (or only its text) fits an action that has both.
        keys = {(name, text), (name, ""), ("", text), ANY_ACTION} - (
            set() if (name, text) == NO_ACTION else {NO_ACTION})
        intents = {"", _intent(states[-1])}
        possible_keys = {key for k in keys for intent in intents
                         for key in index.get(k + (intent,), [])}
        for i, state in enumerate(reversed(states)):
            possible_keys = {key for key in possible_keys
                             if self._is_rule_applicable(key, i, state)}
        return possible_keys
