"""Everything that imports pytest: options, state, collection, reports, controller, fixtures, stage checks, redaction of pytest's output, Allure glue, hookspecs."""
