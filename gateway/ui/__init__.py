"""The admin UI at /ui: Django's admin with our site, login and pages.

Every change made here goes through the same services as the management API
(keys/services), so validation, the audit log and cache invalidation are the
same whichever way a change is made.
"""
