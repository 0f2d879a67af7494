"""Every write to keys, teams, users, budgets and end-users: validated input in,
one transaction, an audit entry, and cache invalidation once it commits."""
