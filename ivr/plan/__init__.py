"""What it takes and what if: staffing that meets a policy (``staffing``) and grids of
what-if combinations (``grid``, ``sweep``), above the caller model and the audit."""
