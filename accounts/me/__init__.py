"""The user menu (ACC-8, /me/): own contact details and credentials, personal data (GDPR)."""
