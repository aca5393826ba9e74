"""The REST API for API users (ADM-4, AUTO-6), mounted at /api/v1/.

API users authenticate with a bearer token (`auth.ApiTokenAuthentication`); every view derives
from `views.AccountAPIView`, which opens the tenant scope once the token is known.
"""
