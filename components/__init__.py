"""Custom Rasa NLU components (the crisis detector has its own package, safety/)."""
