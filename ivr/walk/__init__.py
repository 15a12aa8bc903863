"""Walk: one caller pressing given keys through the compiled chain, and journeys of them.

May import callers and the rooms below it.
"""
