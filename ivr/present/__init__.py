"""Present: variants compared on the same callers, the --fail-if gate, tables, plots and
the HTML report. May import audit and every room below it; never prints."""
