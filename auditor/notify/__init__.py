"""Notifications on change (issue 15): after ``auditor run``, or as ``auditor notify --run RUN``, a digest of
what changed since each tenant's previous audit goes to the ``[[notify]]`` channels of the config.

- ``settings``: the ``[[notify]]`` table (channel, target or target_env, filters; secrets from the environment);
- ``digest``: the news of a run, pure functions of results (grades dropped, checks newly failing, tenants
  that could not be read, acceptances and attestations ending soon, new partner security alerts);
- ``gather``: that digest read from the history store (auditor.store.tenant_history);
- ``formats``: text, HTML, Adaptive Card and JSON renderings, untrusted text kept as text;
- ``send``: delivery through apprise; ``dispatch``: every channel, each failure a result, never an exception.

Importing this package loads neither apprise nor the database layer (``auditor --help`` stays fast).
"""
