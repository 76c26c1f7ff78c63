"""The item lifecycle: every state x every action, allowed or refused."""

from __future__ import annotations

import pytest

from donations import i18n
from donations.lifecycle import (
    EVENT_KINDS,
    Action,
    IllegalTransition,
    State,
    allowed_actions,
    can,
    transition,
)

# The whole table of DESIGN.md: (state, action) -> new state. Everything else is refused.
ALLOWED = {
    (State.pledged, Action.pack): State.packed,
    (State.packed, Action.unpack): State.pledged,
    (State.packed, Action.dispatch): State.in_transit,
    (State.in_transit, Action.receive): State.received,
    (State.in_transit, Action.close): State.missing,
    (State.missing, Action.receive): State.received,
    (State.received, Action.deploy): State.deployed,
}
ALL_PAIRS = [(s, a) for s in State for a in Action]


class TestTransition:
    @pytest.mark.parametrize(("state", "action"), [p for p in ALL_PAIRS if p in ALLOWED])
    def test_allowed_action_gives_the_new_state(self, state: State, action: Action) -> None:
        assert transition(state, action) == ALLOWED[(state, action)]
        assert can(state, action)

    @pytest.mark.parametrize(("state", "action"), [p for p in ALL_PAIRS if p not in ALLOWED])
    def test_refused_action_names_state_and_allowed_actions(
        self, state: State, action: Action
    ) -> None:
        with pytest.raises(IllegalTransition) as info:
            transition(state, action)
        message = str(info.value)
        assert f"cannot {action.value}" in message
        assert f"that is {state.value}" in message
        allowed = [a.value for (s, a) in ALLOWED if s == state]
        for name in allowed:
            assert name in message.split("allowed from")[1]
        if not allowed:
            assert "none (final state)" in message
        assert info.value.state == state and info.value.action == action
        assert not can(state, action)

    def test_accepts_plain_strings(self) -> None:
        assert transition("in_transit", "receive") is State.received

    def test_unknown_state_is_a_value_error(self) -> None:
        with pytest.raises(ValueError):
            transition("lost", "receive")


class TestAllowedActions:
    @pytest.mark.parametrize("state", list(State))
    def test_lists_exactly_the_allowed_actions(self, state: State) -> None:
        assert set(allowed_actions(state)) == {a for (s, a) in ALLOWED if s == state}

    def test_deployed_is_final(self) -> None:
        assert allowed_actions(State.deployed) == ()


class TestEventKinds:
    def test_every_action_writes_an_item_event(self) -> None:
        assert set(EVENT_KINDS) == set(Action)
        assert EVENT_KINDS[Action.close] == "item.missing"
        assert all(kind.startswith("item.") for kind in EVENT_KINDS.values())


class TestMessagesInTheRequestLanguage:
    """The refusal is written in the language current when it is raised: the codes in
    English (what the API has always said), their names in French."""

    def test_english_exactly(self) -> None:
        with pytest.raises(IllegalTransition) as info:
            transition(State.in_transit, Action.deploy)
        assert str(info.value) == (
            "cannot deploy an item that is in_transit; allowed from in_transit: receive, close"
        )

    @pytest.mark.parametrize(("state", "action"), [p for p in ALL_PAIRS if p not in ALLOWED])
    def test_french_for_every_refusal(self, state: State, action: Action) -> None:
        with i18n.language("fr"), pytest.raises(IllegalTransition) as info:
            transition(state, action)
        message = str(info.value)
        assert message.startswith("impossible d"), message
        assert f"l’état «\u00a0{state_name_fr(state)}\u00a0»" in message
        assert "{" not in message and "cannot" not in message and state.value not in message
        if not allowed_actions(state):
            assert message.endswith("aucune (état final)")

    def test_french_example(self) -> None:
        with i18n.language("fr"), pytest.raises(IllegalTransition) as info:
            transition(State.in_transit, Action.deploy)
        assert " ".join(str(info.value).split()) == (
            "impossible de mettre en service un article à l’état « en transit » ; "
            "actions possibles depuis l’état « en transit » : réceptionner, déclarer manquant"
        )


def state_name_fr(state: State) -> str:
    return {
        State.pledged: "promis",
        State.packed: "emballé",
        State.in_transit: "en transit",
        State.received: "réceptionné",
        State.missing: "manquant",
        State.deployed: "en service",
    }[state]
