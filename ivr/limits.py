"""The largest and smallest values ivr accepts, in one place, and why.

Every reader (native menus, callers files, journeys, policies, lint configs, and so every
importer, which goes through the native reader) consults these, so a value past a limit
is refused at load time with one line naming file:line:col and the limit, instead of
allocating terabytes or printing ``nan`` later. Each limit is far beyond what a real menu
needs (docs/menu-format.md, "Limits", says how far and why). The size of an input file
is bounded apart, by ``--max-bytes`` (ivr.formats.text.MAX_BYTES).

Examples
--------
>>> MAX_RETRIES, MAX_AGENTS, MIN_SECONDS, MAX_SECONDS
(100, 100000, 0.001, 86400.0)
"""

from __future__ import annotations

import math

#: Whole numbers past this are refused without turning them into text (Python refuses to
#: print integers of more than 4,300 digits, and floats lose whole numbers past 2**53).
MAX_NUMBER = 10**12
#: Failed attempts a menu or input allows before ``on_fail``: real menus allow 1-5; every
#: attempt is a state of the compiled chain for every caller class.
MAX_RETRIES = 100
#: Agents on one queue: the largest contact centres staff a few thousand per queue.
MAX_AGENTS = 100_000
#: Calls per hour arriving at one line: a national helpline peaks near 50,000.
MAX_CALLS_PER_HOUR = 1_000_000.0
#: The fewest calls per hour that make a queue (0 means none queue): one call in 1,000
#: hours (six weeks). Rates below it only underflow the queue arithmetic.
MIN_CALLS_PER_HOUR = 0.001
#: Intents of one population: real populations have 3-50; each is a caller class.
MAX_INTENTS = 10_000
#: Nodes of one menu (with the flows it hands calls to): generated menus have 10^5.
MAX_NODES = 1_000_000
#: Options of one menu node: a keypad has 12 keys; imported extension directories a few
#: hundred typed-in numbers.
MAX_OPTIONS = 10_000
#: Digits an ``input`` collects: card and account numbers have up to 20.
MAX_INPUT_DIGITS = 100
#: The shortest non-zero time (seconds) a prompt, timeout, handle time or patience can
#: take: a millisecond, below any telephone's timing (a DTMF tone lasts 40 ms).
MIN_SECONDS = 0.001
#: The longest time (seconds) any of them can take: a day. A prompt of a day, or a
#: caller who waits a day on average, is a typo; queue figures need patience bounded.
MAX_SECONDS = 86_400.0
#: Prompt pace, in words per second: people speak 2-3; text-to-speech at most ~6.
MIN_WORDS_PER_SECOND = 0.1
MAX_WORDS_PER_SECOND = 100.0
#: Weibull shape of patience: real fits fall in 0.5-3.
MIN_SHAPE = 0.05
MAX_SHAPE = 50.0
#: Relative arrival weights: the largest may be at most this many times the smallest
#: non-zero one (a 3 a.m. hour has ~1/100 of the peak's calls).
MAX_WEIGHT_RATIO = 1e9
#: Journeys in one file, key presses in one journey, and steps a journey may allow.
MAX_JOURNEYS = 10_000
MAX_PRESSES = 1_000
MAX_JOURNEY_STEPS = 1_000_000
#: Menus, flows and files an input's ``transfer: flow`` chain may pull in.
MAX_LINKED_FLOWS = 1_000


def shown(value: object) -> str:
    """``repr(value)``, except for whole numbers too long to print (over 4,300 digits Python
    refuses; over 100 nobody reads them).

    Examples
    --------
    >>> shown(12), shown("a"), shown(10**500)
    ('12', "'a'", 'a number of 501 digits')
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**100:
        return f"a number of {digits(value):,} digits"
    return repr(value)


def digits(value: int) -> int:
    """Decimal digits of ``value`` without converting it to text (which fails past 4,300).

    Examples
    --------
    >>> digits(0), digits(999), digits(-1000), digits(10**5000)
    (1, 3, 4, 5001)
    """
    v = abs(value)
    if v < 10:
        return 1
    guess = int((v.bit_length() - 1) * math.log10(2)) + 1
    return guess + (v >= 10**guess)

