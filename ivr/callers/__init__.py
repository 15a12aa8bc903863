"""Callers: the week, the compiled absorbing chain, its queues, the exact solve and the
simulation, and the figures made of them. May import structure, queueing and below."""

#: The seed of every simulation not given one (the same seed gives the same numbers).
#: Here rather than in ``simulate`` so the command line can show it without numpy.
DEFAULT_SEED = 20261123
