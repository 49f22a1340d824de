"""The observations behind a plan, cheap enough to run on every ``nerspec plan``.

- ``stat_cache``: sha256 of files remembered by their stat (the only reason a no-op plan hashes nothing);
- ``stats``: the stats of every file of a cached source in one blob, in threads, or started early in a child
  process (``stats.prefetch``) so that they overlap the start-up of ``plan``;
- ``data``: the data fingerprint (what training sees) over every data source;
- ``documents``: per-document hashes, for plan's added / removed / relabeled counts;
- ``model``: the model fingerprint (training inputs, recipe and versions over the data fingerprint).
"""
