// An OpenID Provider for the relying party's tests: panva's oidc-provider (OpenID Certified),
// configured from a JSON file (argv[2]) the pytest fixture writes. It listens on 127.0.0.1 and
// prints "ready" once it accepts connections.
//
// Configuration:
//   port, issuer                the listening port and the exact issuer identifier (a trailing
//                               "/" is kept as given)
//   keys                        the provider's private signing keys (JWK, EC P-256)
//   omit_kid                    publish the keys and sign ID tokens without "kid" (OIDC Core
//                               §10.1 allows this when the set holds one key)
//   issuer_audience_only        accept only the issuer identifier as the client assertion's "aud"
//                               (FAPI 2.0, as oidc-provider 9's profile does)
//   client                      the relying party: client_id, public jwks, redirect_uris
//   accounts                    account id -> claims (基本4情報)
import { readFileSync } from 'node:fs';

import { CompactSign, decodeJwt, importJWK } from 'jose';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const signingKey = config.keys[0];

const provider = new Provider(config.issuer, {
  clients: [{
    client_id: config.client.client_id,
    redirect_uris: config.client.redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    id_token_signed_response_alg: 'ES256',
    jwks: config.client.jwks,
  }],
  jwks: { keys: config.keys },
  claims: {
    openid: ['sub'],
    name: ['name'],
    address: ['address'],
    birthdate: ['birthdate'],
    gender: ['gender'],
  },
  pkce: { methods: ['S256'], required: () => true },
  cookies: { keys: ['idx-test-openid-provider'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  async assertJwtClientAuthClaimsAndHeader(ctx, claims) {
    if (config.issuer_audience_only && claims.aud !== ctx.oidc.issuer) {
      throw new errors.InvalidClientAuth('audience (aud) must be the issuer identifier');
    }
  },
});

if (config.omit_kid) {
  // The library always names its keys; this provider publishes and signs without "kid".
  const key = await importJWK(signingKey, 'ES256');
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks' && ctx.body && Array.isArray(ctx.body.keys)) {
      ctx.body = { keys: ctx.body.keys.map(({ kid, ...rest }) => rest) };
    }
    if (ctx.path === '/token' && ctx.body && typeof ctx.body.id_token === 'string') {
      const claims = decodeJwt(ctx.body.id_token);
      const idToken = await new CompactSign(Buffer.from(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
        .sign(key);
      ctx.body = { ...ctx.body, id_token: idToken };
    }
  });
}

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.closeAllConnections();
    process.exit(0);
  });
}
