"""The lint rules: each one's id, default severity, what it finds, and its settings.

One table, read by the linter (:mod:`ivr.structure.lint` and the rule families beside it),
``ivr rules``, the lint config and the audit policies that name a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Rule:
    """A lint rule's documentation and defaults."""

    id: str
    severity: str
    summary: str
    params: Mapping[str, float] = field(default_factory=dict)


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("NO_PATH_TO_HUMAN", "error",
         "no person (agent) can be reached from the start; warning for each menu a caller "
         "can reach from which no person can be reached"),
    Rule("DEAD_END", "error", "a node that does not end the call has no way on"),
    Rule("TRAP", "error", "a set of nodes callers can enter but never leave to any ending"),
    Rule("UNREACHABLE", "warning", "no key sequence from the start reaches the node"),
    Rule("SAME_OPTION_LOOP", "error", "every option of a menu leads back to that menu"),
    Rule("FALSE_PERSON_OPTION", "error",
         "an option the prompt offers as a person (in its language), or 0, that reaches no "
         "person without another choice: it leads back to its own menu (error) or on to "
         "other menus (warning); a stated repeat option is not one"),
    Rule("REDIRECT_LOOP", "error",
         "callers can be sent round a cycle of menus in which every hop is a message "
         "sending them to another department's menu"),
    Rule("DISCONNECT_ON_FAIL", "warning",
         "the system hangs up on a caller whose retries ran out"),
    Rule("DROPPED_CALLS", "warning",
         "the system hangs up on callers who were not served: a closed route, a message, "
         "a chance branch (a back-end result, unanswered ringing), silence or a wrong key; "
         "with the share of callers it drops (exact); error over `max_share`",
         {"max_share": 0.5}),
    Rule("UNREACHABLE_GOAL", "error",
         "an intent of the menu's callers whose goal no move callers can make from the "
         "start reaches"),
    Rule("HUMAN_DEPTH", "warning", "more than `max` menus before a person", {"max": 3}),
    Rule("TOO_MANY_OPTIONS", "warning",
         "more than `max` choices at a menu (not counting 0, *, #, repeat or typed "
         "extensions)", {"max": 5}),
    Rule("NO_ZERO_OUT", "warning", "a menu without 0, or whose 0 does not lead to a person"),
    Rule("KEY_CONVENTIONS", "warning",
         "* does not go back or cancel, or # is used as a menu choice"),
    Rule("CLOSED_NO_FALLBACK", "error",
         "an agent with opening hours but nowhere to send callers when closed"),
    Rule("LONG_PROMPT", "warning", "a prompt longer than `max_seconds` at the configured pace",
         {"max_seconds": 8}),
    # Reported by importers (ivr.model.Note): what an exported flow leaves open.
    Rule("UNRESOLVED_TARGET", "warning",
         "imported: where callers go depends on something only known at call time (a "
         "function result, an attribute, a placeholder or dynamic target)"),
    Rule("UNKNOWN_BLOCK", "warning",
         "imported: a block, widget or application ivr does not know; modelled as the "
         "nearest kind, with the assumption stated"),
    Rule("MISSING_TARGET", "error",
         "imported: a jump to something the flow does not define (callers are dropped)"),
    Rule("NO_MATCHING_KEY", "warning",
         "imported: a digit pattern that no single key press can match"),
    Rule("NO_VOICE_ENTRY", "warning",
         "imported: the flow has no entry for phone calls (SMS, chat or API only)"),
    Rule("LENIENT_READ", "warning",
         "imported: the file breaks its format where the platform is lenient (a malformed "
         "line it skips, an unescaped &, an older dialect); read as the platform reads it"),
)}

__all__ = ["RULES", "SEVERITIES", "Rule"]
