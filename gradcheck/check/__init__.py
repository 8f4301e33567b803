"""The check: a problem built from a config, the engine run over its Model, the results as data."""
