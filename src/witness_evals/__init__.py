"""witness-evals: an executable model of in-toto/witness, a verified data generator, a benchmark
and a fine-tuning recipe for Witness-expert language models."""

__version__ = "0.1.0"
