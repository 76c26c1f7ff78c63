"""The item lifecycle of DESIGN.md, as a pure state machine (no database).

```
pledged --pack--> packed --dispatch--> in_transit --receive--> received --deploy--> deployed
   ^                |                      |                      ^
   +-----unpack-----+                      +--close--> missing ---+ (receive: found later)
```

`transition(state, action)` gives the new state or raises `IllegalTransition`, which the
API turns into a 409 naming the current state and the actions allowed from it.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    pledged = "pledged"
    packed = "packed"
    in_transit = "in_transit"
    received = "received"
    missing = "missing"
    deployed = "deployed"


class Action(StrEnum):
    pack = "pack"
    unpack = "unpack"
    dispatch = "dispatch"
    receive = "receive"
    close = "close"
    deploy = "deploy"


class Condition(StrEnum):
    good = "good"
    damaged = "damaged"


TRANSITIONS: dict[State, dict[Action, State]] = {
    State.pledged: {Action.pack: State.packed},
    State.packed: {Action.unpack: State.pledged, Action.dispatch: State.in_transit},
    State.in_transit: {Action.receive: State.received, Action.close: State.missing},
    State.missing: {Action.receive: State.received},
    State.received: {Action.deploy: State.deployed},
    State.deployed: {},
}

# The event kind each action writes for the item it moves.
EVENT_KINDS: dict[Action, str] = {
    Action.pack: "item.packed",
    Action.unpack: "item.unpacked",
    Action.dispatch: "item.dispatched",
    Action.receive: "item.received",
    Action.close: "item.missing",
    Action.deploy: "item.deployed",
}


class IllegalTransition(Exception):
    """An action that the item's current state does not allow."""

    def __init__(self, state: State, action: Action) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed_actions(state)
        allowed = ", ".join(a.value for a in self.allowed) or "none (final state)"
        super().__init__(
            f"cannot {action.value} an item that is {state.value}; "
            f"allowed from {state.value}: {allowed}"
        )


def allowed_actions(state: State | str) -> tuple[Action, ...]:
    """The actions allowed from `state`, in lifecycle order."""
    return tuple(TRANSITIONS[State(state)])


def transition(state: State | str, action: Action | str) -> State:
    """The state after `action`, or IllegalTransition."""
    current, act = State(state), Action(action)
    try:
        return TRANSITIONS[current][act]
    except KeyError:
        raise IllegalTransition(current, act) from None


def can(state: State | str, action: Action | str) -> bool:
    return Action(action) in TRANSITIONS[State(state)]
