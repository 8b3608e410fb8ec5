"""Personal details on staff pages are masked until a staff member reveals them (logged)."""


def mask_name(name: str) -> str:
    return " ".join(f"{part[0]}{'*' * (len(part) - 1)}" for part in name.split() if part)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    if not domain:
        return "*" * len(email)
    return f"{local[:1]}{'*' * max(len(local) - 1, 2)}@{domain}"
