"""The audit before publishing (write-audit-publish): the suites (their spec, the contract's,
the reconciliations, the hand-written ones), the Great Expectations runner, the privacy guard
and each run's evidence."""
