from django.conf import settings


def company_details() -> dict:
    """The business's name and contact details: every page's footer and every email."""
    return {
        "name": settings.COMPANY_NAME,
        "privacy_email": settings.COMPANY_PRIVACY_EMAIL,
        "phone": settings.COMPANY_PHONE,
        "address": settings.COMPANY_ADDRESS,
    }


def company(request):
    return {"company": company_details()}
