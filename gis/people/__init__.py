"""People who sign in, their roles and scopes, and what the database enforces for them.

- :mod:`gis.people.passwords`: argon2id hashes of passwords.
- :mod:`gis.people.directory`: people (add, list, disable, change a password, check a
  password at sign-in).
- :mod:`gis.people.sessions`: the sessions behind page cookies.
- :mod:`gis.people.scope`: telling PostgreSQL who calls, for its row-level security
  (sql/functions/access_policies.sql).
- :mod:`gis.people.admin_log`: the append-only log of changes that are not event
  transitions.
"""
