"""Login by client certificate (ACC-7) and the certificate actions of users administration (ADM-3).

- `ca`: the portal's own login CA (root + issuing, ECDSA P-384), made on first use;
- `services`: issuing (PKCS#12 or a key made in the user's browser), the trust rules of the TLS
  terminator's headers, mapping a certificate to its user, panic button, suspend / revoke / reactivate;
- `views`, `urls`: the login and re-authentication pages, the user's own page with the panic button,
  the enrolment link, the administrators' actions;
- `middleware`: a user of a certificate-login account who logged in without a certificate (only
  before their first certificate) reaches nothing but the page where they make it.

The models (LoginCA, ClientCertificate, CertificateEnrolment) live in accounts.models.
"""
