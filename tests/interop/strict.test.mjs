// strict.test.mjs: a strict OAuth 2.1 client (oauth4webapi) and a strict
// JWT verifier (jose) against our server: discovery with issuer validation,
// authorization response validation including iss (RFC 9207), code
// exchange with PKCE and resource, refresh, introspection (RFC 7662),
// revocation (RFC 7009), and the access token verified against jwks_uri
// (signature, iss, aud, exp, typ per RFC 9068).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { env, Person, loopbackListener, registerClient, authorizeVia, mcpCall, whoamiCall } from './lib.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };	// http://127.0.0.1: a test stack without TLS
const resourceParams = { additionalParameters: { resource: env.resource }, ...insecure };

describe('oauth4webapi (strict OAuth 2.1 client) and jose', () => {
  let as, client, clientAuth, listener, person, verifier, state, callback, tokens, refreshed, jwks;

  before(async () => {
    listener = await loopbackListener('/cb');
    person = new Person();
  });
  after(() => listener?.close());

  test('RFC 8414 discovery: issuer validated byte for byte', async () => {
    const issuer = new URL(env.issuer);
    const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
    as = await oauth.processDiscoveryResponse(issuer, res);
    assert.equal(as.issuer, env.issuer, 'issuer is exactly the configured string');
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.equal(as.authorization_response_iss_parameter_supported, true);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint',
      'revocation_endpoint', 'introspection_endpoint', 'jwks_uri'])
      assert.ok(as[k]?.startsWith(`${env.base}/`), `${k} on this server: ${as[k]}`);
  });

  test('OIDC discovery names the same issuer', async () => {
    const issuer = new URL(env.issuer);
    const oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
    assert.equal(oidc.issuer, as.issuer);
    assert.equal(oidc.token_endpoint, as.token_endpoint);
  });

  test('discovery expecting another issuer is refused by the client', async () => {
    const other = new URL(env.issuer.replace('127.0.0.1', 'localhost'));
    const res = await fetch(`${env.base}/.well-known/oauth-authorization-server`);
    await assert.rejects(oauth.processDiscoveryResponse(other, res),
      (e) => e.code === oauth.JSON_ATTRIBUTE_COMPARISON);
  });

  test('registration of a confidential client (client_secret_basic)', async () => {
    const info = await registerClient({
      client_name: 'Interop test (oauth4webapi)',
      redirect_uris: [listener.redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    assert.ok(info.client_secret, 'a secret is issued once');
    assert.equal(info.token_endpoint_auth_method, 'client_secret_basic');
    client = { client_id: info.client_id };
    clientAuth = oauth.ClientSecretBasic(info.client_secret);
  });

  test('authorization response: code, state and iss validated', async () => {
    verifier = oauth.generateRandomCodeVerifier();
    state = oauth.generateRandomState();
    callback = await authorizeVia(person, listener, {
      client_id: client.client_id,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      scope: 'mcp:tools mcp:resources',
      resource: env.resource,
    });
    assert.equal(callback.searchParams.get('iss'), env.issuer);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    assert.ok(params.get('code'));
  });

  test('the client refuses the same response with another iss or state', () => {
    const forged = new URL(callback);
    forged.searchParams.set('iss', 'https://attacker.example');
    assert.throws(() => oauth.validateAuthResponse(as, client, forged, state));
    const noIss = new URL(callback);
    noIss.searchParams.delete('iss');
    assert.throws(() => oauth.validateAuthResponse(as, client, noIss, state));
    assert.throws(() => oauth.validateAuthResponse(as, client, callback, 'another-state'));
  });

  test('code exchange (PKCE, resource, client_secret_basic)', async () => {
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const res = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params,
      listener.redirectUri, verifier, resourceParams);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.access_token && tokens.refresh_token);
    assert.ok(tokens.expires_in > 0 && tokens.expires_in <= 3600, `short-lived: ${tokens.expires_in}`);
    assert.deepEqual(tokens.scope.split(' ').sort(), ['mcp:resources', 'mcp:tools']);
  });

  test('jose verifies the access token against jwks_uri (signature, iss, aud, exp, typ)', async () => {
    jwks = jose.createRemoteJWKSet(new URL(as.jwks_uri));
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
      issuer: env.issuer,
      audience: env.resource,
      typ: 'at+jwt',
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'],
    });
    assert.ok(protectedHeader.kid, 'kid');
    assert.notEqual(protectedHeader.alg, 'none');
    assert.equal(payload.sub, env.user);
    assert.equal(payload.client_id, client.client_id);
    assert.equal(payload.scope, tokens.scope);
    assert.ok(payload.exp > Date.now() / 1000, 'not expired');
    assert.ok(payload.exp - payload.iat <= 3600, 'short-lived');
  });

  test('jose refuses the token for another audience, issuer, typ, a later time, a changed signature', async () => {
    const t = tokens.access_token;
    await assert.rejects(jose.jwtVerify(t, jwks, { issuer: env.issuer, audience: 'https://other.example/mcp' }),
      (e) => e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'aud');
    await assert.rejects(jose.jwtVerify(t, jwks, { issuer: `${env.issuer}/`, audience: env.resource }),
      (e) => e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'iss');
    await assert.rejects(jose.jwtVerify(t, jwks, { typ: 'JWT' }),
      (e) => e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'typ');
    const { exp } = jose.decodeJwt(t);
    await assert.rejects(jose.jwtVerify(t, jwks, { currentDate: new Date((exp + 3600) * 1000) }),
      (e) => e.code === 'ERR_JWT_EXPIRED');
    const [h, p, s] = t.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: env.otherUser })).toString('base64url')}.${s}`;
    await assert.rejects(jose.jwtVerify(tampered, jwks), (e) => e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  test('the gateway accepts the token and reports the user', async () => {
    const res = await mcpCall(tokens.access_token, whoamiCall);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.result.structuredContent.subject, env.user);
    assert.equal(body.result.structuredContent.client_id, client.client_id);
  });

  test('introspection: the access token is active, with its claims', async () => {
    const res = await oauth.introspectionRequest(as, client, clientAuth, tokens.access_token, insecure);
    const info = await oauth.processIntrospectionResponse(as, client, res);
    assert.equal(info.active, true);
    assert.equal(info.sub, env.user);
    assert.equal(info.client_id, client.client_id);
    assert.equal(info.scope, tokens.scope);
    const aud = Array.isArray(info.aud) ? info.aud : [info.aud];
    assert.ok(aud.includes(env.resource), `aud ${JSON.stringify(info.aud)}`);
    assert.equal(typeof info.exp, 'number');
  });

  test('introspection of the refresh token and of garbage', async () => {
    let info = await oauth.processIntrospectionResponse(as, client,
      await oauth.introspectionRequest(as, client, clientAuth, tokens.refresh_token, insecure));
    assert.equal(info.active, true);
    info = await oauth.processIntrospectionResponse(as, client,
      await oauth.introspectionRequest(as, client, clientAuth, 'no-such-token', insecure));
    assert.deepEqual(info, { active: false });
  });

  test('refresh: a new access token, the refresh token rotated', async () => {
    const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, resourceParams);
    refreshed = await oauth.processRefreshTokenResponse(as, client, res);
    assert.ok(refreshed.access_token);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    await jose.jwtVerify(refreshed.access_token, jwks, { issuer: env.issuer, audience: env.resource, typ: 'at+jwt' });
  });

  test('refresh may narrow the scope, never widen it', async () => {
    let res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token,
      { additionalParameters: { resource: env.resource, scope: 'mcp:tools' }, ...insecure });
    const narrowed = await oauth.processRefreshTokenResponse(as, client, res);
    assert.equal(narrowed.scope, 'mcp:tools');
    assert.equal(jose.decodeJwt(narrowed.access_token).scope, 'mcp:tools');
    res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, narrowed.refresh_token,
      { additionalParameters: { resource: env.resource, scope: 'mcp:tools mcp:admin' }, ...insecure });
    await assert.rejects(oauth.processRefreshTokenResponse(as, client, res),
      (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_scope' && e.status === 400);
    refreshed = narrowed;
  });

  test('revocation (RFC 7009) of the refresh token ends the grant', async () => {
    const res = await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token, insecure);
    await oauth.processRevocationResponse(res);
    for (const t of [refreshed.access_token, refreshed.refresh_token, tokens.access_token]) {
      const info = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, clientAuth, t, insecure));
      assert.equal(info.active, false, 'inactive after revocation');
    }
    const gw = await mcpCall(refreshed.access_token, whoamiCall);
    assert.equal(gw.status, 401);
    const res2 = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token, resourceParams);
    await assert.rejects(oauth.processRefreshTokenResponse(as, client, res2),
      (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant' && e.status === 400);
  });

  test('revoking an unknown or already revoked token answers 200', async () => {
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, 'no-such-token', insecure));
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token, insecure));
  });

  test('a public client may come back on another loopback port (RFC 8252 section 7.3)', async () => {
    const first = await loopbackListener('/callback');
    const info = await registerClient({
      client_name: 'Interop test (port change)', redirect_uris: [first.redirectUri],
      token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    });
    await first.close();
    const second = await loopbackListener('/callback');
    try {
      assert.notEqual(second.port, first.port);
      const pub = { client_id: info.client_id };
      const v = oauth.generateRandomCodeVerifier();
      const st = oauth.generateRandomState();
      const cb = await authorizeVia(person, second, {
        client_id: pub.client_id, code_challenge: await oauth.calculatePKCECodeChallenge(v),
        code_challenge_method: 'S256', state: st, resource: env.resource, scope: 'mcp:tools',
      });
      const params = oauth.validateAuthResponse(as, pub, cb, st);
      const res = await oauth.authorizationCodeGrantRequest(as, pub, oauth.None(), params, second.redirectUri, v, resourceParams);
      const t = await oauth.processAuthorizationCodeResponse(as, pub, res);
      assert.ok(t.access_token);
    } finally {
      await second.close();
    }
  });
});
