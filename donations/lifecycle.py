"""The item lifecycle of DESIGN.md, as a pure state machine (no database).

```
pledged --pack--> packed --dispatch--> in_transit --receive--> received --deploy--> deployed
   ^                |                      |                      ^
   +-----unpack-----+                      +--close--> missing ---+ (receive: found later)
```

`transition(state, action)` gives the new state or raises `IllegalTransition`, which the
API turns into a 409 naming the current state and the actions allowed from it (in the
request's language: the codes themselves in English, their names in French).
"""

from __future__ import annotations

from enum import StrEnum

from donations.i18n import gettext as _
from donations.i18n import pgettext


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


def state_name(state: State | str) -> str:
    """The state's name in the current language (in English, its code: `in_transit`)."""
    names = {
        State.pledged: pgettext("item state", "pledged"),
        State.packed: pgettext("item state", "packed"),
        State.in_transit: pgettext("item state", "in_transit"),
        State.received: pgettext("item state", "received"),
        State.missing: pgettext("item state", "missing"),
        State.deployed: pgettext("item state", "deployed"),
    }
    return names[State(state)]


def action_name(action: Action | str) -> str:
    """The action as a verb in the current language (in English, its code: `receive`), as
    the list of the actions allowed names it."""
    names = {
        Action.pack: pgettext("item action", "pack"),
        Action.unpack: pgettext("item action", "unpack"),
        Action.dispatch: pgettext("item action", "dispatch"),
        Action.receive: pgettext("item action", "receive"),
        Action.close: pgettext("item action", "close"),
        Action.deploy: pgettext("item action", "deploy"),
    }
    return names[Action(action)]


class IllegalTransition(Exception):
    """An action that the item's current state does not allow (its message is in the
    language of the request that raised it)."""

    def __init__(self, state: State, action: Action) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed_actions(state)
        allowed = ", ".join(action_name(a) for a in self.allowed) or _("none (final state)")
        super().__init__(_refusal(action).format(state=state_name(state), allowed=allowed))


def _refusal(action: Action) -> str:
    """The refusal of `action` ("cannot receive an item that is ..."): a whole sentence for
    each action, as the verb may change the words around it in other languages."""
    sentences = {
        Action.pack: _("cannot pack an item that is {state}; allowed from {state}: {allowed}"),
        Action.unpack: _("cannot unpack an item that is {state}; allowed from {state}: {allowed}"),
        Action.dispatch: _(
            "cannot dispatch an item that is {state}; allowed from {state}: {allowed}"
        ),
        Action.receive: _(
            "cannot receive an item that is {state}; allowed from {state}: {allowed}"
        ),
        Action.close: _("cannot close an item that is {state}; allowed from {state}: {allowed}"),
        Action.deploy: _("cannot deploy an item that is {state}; allowed from {state}: {allowed}"),
    }
    return sentences[action]


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
