"""Staff second factors (二要素認証): TOTP (RFC 6238) and WebAuthn passkeys, sign-in lockout.

See ``docs/decisions/0006-staff-mfa.md``. The models live here but belong to the ``identity`` app
(imported by ``idx.identity.models``); ``services`` writes, ``selectors`` reads, ``views`` are the
sign-in, enrolment and re-authentication pages mounted under ``/staff/`` by the back office.
"""
