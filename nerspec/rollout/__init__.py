"""Shadow and canary rollouts: a new model earns production on live traffic before it gets it.

Three parts, each where its layer puts it:

- the analysis is pure (``nerspec.plan.rollouts``: observations + thresholds -> figures and a verdict), and the
  plan decides on the verdict (``nerspec.plan.decide``: stage, promote, abort, drop);
- the server only records (``nerspec.serve.rollouts``: shadows and canaries, observations written in batches);
- this package orchestrates: ``act`` carries out the plan's rollout actions for ``apply``, ``status`` reads the
  rollouts in progress for ``nerspec deployments rollout``.
"""
