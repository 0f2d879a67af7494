"""`python manage.py verify_audit`: check the audit log's hash chain."""
from django.core.management.base import BaseCommand, CommandError

from keys.audit import audit_verify


class Command(BaseCommand):
    help = "Verify that no audit log row was edited or deleted."

    def handle(self, *args, **options) -> None:
        checked, broken = audit_verify()
        if broken:
            raise CommandError(f"audit log broken at entry {broken.entry_id}: {broken.reason} "
                               f"({checked} rows before it are intact)")
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {checked} rows"))
