"""The engine: batched perturbed forward passes, finite-difference rules, error bounds and comparison.

numpy only: no config, no rendering. It sees a network only through the Model interface (model.py).
"""
