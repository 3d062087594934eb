"""The fact stage: finds statements of tracked facts in article text (pure functions)."""
