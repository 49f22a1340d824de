"""The observations behind a plan, cheap enough to run on every ``nerspec plan``.

- ``stat_cache``: sha256 of files remembered by their stat (the only reason a no-op plan hashes nothing);
- ``stats``: the stats of every file of a cached source in one blob, in threads;
- ``verdict``: a no-op plan's printed verdict with witnesses of all it read: a repeated plan answers from it;
- ``data``: the data fingerprint (what training sees) over every data source;
- ``documents``: per-document hashes, for plan's added / removed / relabeled counts;
- ``model``: the model fingerprint (training inputs, recipe and versions over the data fingerprint).
"""
