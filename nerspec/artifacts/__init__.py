"""Model artifacts: ``layout`` owns what an artifact is (its files, completeness, hashes, integrity); ``stores``
owns where artifacts live (a local directory or an object store, behind one protocol and one scheme table)."""
