"""The surfaces' rendering: results as rich renderables, report files and figures. Nothing here computes a verdict."""
