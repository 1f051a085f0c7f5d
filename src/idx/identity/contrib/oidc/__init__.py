"""OpenID Connect sign-in (relying party): デジタル認証アプリ (My Number Card), staff SSO, gBizID.

One client serves every provider; each is an ``IdentityProvider`` row of a municipality. JOSE
and OAuth work goes through Authlib (its OAuth 2 client, PKCE, ``private_key_jwt`` and OIDC
claim validation) and joserfc, the JOSE layer Authlib itself is built on.
"""
