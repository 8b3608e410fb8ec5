"""Print the current one-time code of a demo staff user's authenticator (seed_demo), so a demo
can sign in without an authenticator app. Development only: refuses to run with DEBUG off."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .seed_demo import DEVICE_NAME


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff user (seed_demo). DEBUG only."

    def add_arguments(self, parser):
        parser.add_argument("username", help="officer or care, or any user with a demo device")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_otp prints second-factor codes: it runs only with DEBUG on")
        username = options["username"]
        device = TOTPDevice.objects.filter(user__username=username, name=DEVICE_NAME).first()
        if device is None:
            raise CommandError(
                f"{username!r} has no '{DEVICE_NAME}' device: run `manage.py seed_demo` first"
            )
        # The same computation TOTPDevice.verify_token checks against, drift included.
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = time.time()
        totp.time = now
        code = f"{totp.token():0{device.digits}d}"
        seconds_left = device.step - int(now - device.t0) % device.step
        self.stdout.write(code)
        if totp.t() <= device.last_t:
            # verify_token accepts each time step once, so a code just used is refused.
            self.stderr.write(
                f"This code was used already; the next one comes in {seconds_left} s."
            )
        else:
            self.stderr.write(f"Valid for about {seconds_left} more seconds.")
