"""EMAIL_URL, read the way the README writes it.

django-environ reads `filemail:///tmp/mail` as the relative path `tmp/mail` (it wants four
slashes for an absolute one), so the README's example wrote mail under the working directory.
Here the path of a `filemail://` URL is read as a file URL is: three slashes start an
absolute path (`filemail:///tmp/mail` is /tmp/mail; four still work), and a relative one
(`filemail://var/mail`) is under the project folder, not wherever the process was started.
Every other scheme is django-environ's.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ


def email_url_config(url: str, *, base_dir: Path) -> dict:
    config = environ.Env.email_url_config(url)
    parts = urlsplit(url)
    if parts.scheme != "filemail":
        return config
    config["EMAIL_HOST"] = None
    config["EMAIL_FILE_PATH"] = str(_folder(parts.netloc, parts.path, base_dir=base_dir))
    return config


def _folder(netloc: str, path: str, *, base_dir: Path) -> Path:
    written = unquote(netloc + path)
    if path.startswith("/") and not netloc:
        # filemail:///tmp/mail or filemail:////tmp/mail: absolute, however many slashes.
        return Path("/" + written.lstrip("/"))
    if not written:
        return base_dir / "var" / "mail"
    return base_dir / written
