"""Framework-free algorithms for cluster discovery.

Nothing here imports Django (a test enforces it): the engine takes plain data — numpy
arrays, scipy sparse matrices and the dataclasses in :mod:`swim.engine.data` — and returns
plain data. The Django side (``swim/discovery``) converts rows to these inputs and back.
"""
