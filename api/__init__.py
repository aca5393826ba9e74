"""The REST API (AUTO-6) at /api/v1/: products and prices, organisations, orders and their actions,
certificate downloads and invoices, for API users' tokens (ADM-4).

Top floor beside the portal: it reads and acts through the services of orders, billing, contracts,
catalog and accounts, never a second copy of their rules. Authentication and the tenant scope are
accounts.api (`AccountAPIView`); every error answers an RFC 9457 problem document (`problems`).
"""
