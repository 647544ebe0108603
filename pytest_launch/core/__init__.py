"""The plain-Python core: no pytest import. Model, vocabulary, decision, redaction, evidence, settings types, thresholds and rollout."""
