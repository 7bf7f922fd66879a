"""My Account -> Encryption. The page is drawn by static/js/e2e/ from /api/e2e/."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from e2e.selectors import get_e2e_settings


@login_required
@require_GET
def encryption(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "e2e/encryption.html",
        {
            "section": "encryption",
            "e2e_enabled": get_e2e_settings().enabled,
        },
    )
