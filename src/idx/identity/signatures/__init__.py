"""Electronic signatures instead of seals (issue 3, item 2): the verification core.

``canonical`` turns submitted answers into the exact bytes an applicant signs; ``jpki`` verifies
a JPKI signing certificate (署名用電子証明書) signature over those bytes and extracts the basic
four facts (基本4情報). Nothing here keeps the raw certificate.
"""
