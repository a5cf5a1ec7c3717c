"""The brain's algorithms: kNN graphs, near-duplicate pairs, pixel checks, the model.

Private: the public modules of ``brain`` (similarity, duplicates, uniqueness...)
use them; users call those.
"""
