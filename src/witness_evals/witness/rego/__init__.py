"""witness/rego."""
