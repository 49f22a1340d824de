"""Production monitoring: drift of logged traffic against the test split, label-free precision estimates, and the
logged texts as a labeling pool. Features are recorded at serve time (``nerspec.serve.monitoring``); everything
here is a pure computation (``drift``, ``estimate``, ``analyze``) with I/O at the edges (``run``, ``pool``)."""
