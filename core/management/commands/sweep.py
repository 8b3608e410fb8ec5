from django.core.management.base import BaseCommand

from core.sweep import sweep_run


class Command(BaseCommand):
    help = "Run the periodic sweep once, in this process (what beat triggers every few minutes)."

    def handle(self, *args, **options):
        failed = sweep_run()
        if failed:
            self.stderr.write(f"Sweep finished; these steps failed: {', '.join(failed)}")
        else:
            self.stdout.write("Sweep finished.")
