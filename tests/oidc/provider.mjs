// A real OpenID Connect provider for the login tests: panva's oidc-provider (OpenID Certified),
// on loopback only. The accounts and their claims are a JSON file that is read afresh at every
// login, so a test changes a person's roles at the "organisation" by rewriting the file.
//   PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_URI, ACCOUNTS_FILE
// Login uses the provider's development interactions: any password, the login is the account id.
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} saknas`);
  return value;
};
const port = Number(env('PORT'));
const issuer = `http://127.0.0.1:${port}`;
const accounts = () => JSON.parse(fs.readFileSync(env('ACCOUNTS_FILE'), 'utf8'));

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    post_logout_redirect_uris: [env('POST_LOGOUT_URI')],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, id) {
    if (!(id in accounts())) return undefined;
    return { accountId: id, async claims() { return { ...accounts()[id], sub: id }; } };
  },
  claims: { openid: ['sub', 'roles', 'kommun'] },
  conformIdTokenClaims: false, // roles and kommun in the ID token, as Entra ID puts app roles there
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['bara-for-tester'] },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 300, AuthorizationCode: 60, IdToken: 300 },
  // a first-party client: no consent screen
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid');
    await grant.save();
    return grant;
  },
});

http.createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
