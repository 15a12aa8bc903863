"""Callers: the week, the compiled absorbing chain, its queues, the exact solve and the
simulation, and the figures made of them. May import structure, queueing and below."""
