"""/ui pages for keys, teams, users, budgets, customers and the audit log:
importing this package registers them on the /ui site."""
from keys.admin import audit, budgets, customers, keys, teams, users  # noqa: F401
