"""The Administration section (NAV-1): users and rights, API users, logs (ADM-1, ADM-2, ADM-4, ADM-9)."""
