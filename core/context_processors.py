from django.conf import settings


def company(request):
    """The business's name and contact details, shown in every page's footer."""
    return {
        "company": {
            "name": settings.COMPANY_NAME,
            "privacy_email": settings.COMPANY_PRIVACY_EMAIL,
            "phone": settings.COMPANY_PHONE,
            "address": settings.COMPANY_ADDRESS,
        }
    }
