"""Training pipelines for the learned routers (battles -> fitted router), and cross-validation.

Heavy imports (torch, transformers) happen inside functions so that importing this package is cheap.
"""
