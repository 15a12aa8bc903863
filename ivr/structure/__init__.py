"""Structure: a menu as a graph and as edge arrays, the lint rules, the cheat sheet, diffs.

May import the ground floor (model, errors, week, gcpause) and formats; nothing above.
"""
