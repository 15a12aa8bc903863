"""Queueing: Erlang C and Erlang A waits, abandonment and service levels; pure math.

May import the ground floor only: queues know nothing of menus or callers.
"""
