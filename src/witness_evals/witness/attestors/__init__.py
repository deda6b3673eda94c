"""witness/attestors."""
