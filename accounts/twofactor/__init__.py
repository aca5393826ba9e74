"""Second factors (ACC-5: TOTP and backup codes with django-otp; ACC-6: passkeys with `webauthn`).

- services.py: enrolment, verification under row locks, disabling/resetting, session ending;
- webauthn.py: the passkey ceremonies (options, verification) and passkey management;
- stages.py: the second login step, an allauth login stage (STYLE.md 11);
- middleware.py: users who must have a second factor reach nothing else until they do;
- views/: the login step, passwordless passkey login, the security pages.
"""
