// negative.test.mjs: the real client libraries attempting what must fail,
// and the spec-correct errors they must see (never a 5xx): a wrong PKCE
// verifier, a replayed code (which also revokes what the code gave),
// a reused refresh token (after the grace period: the family is revoked),
// a wrong resource (RFC 8707 invalid_target), another client's code, a
// wrong client secret, and authorization requests without S256 PKCE.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { exchangeAuthorization, refreshAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  env, sql, Person, loopbackListener, registerClient, authorizeVia, mcpCall, whoamiCall, postForm,
  decodeJwt, notServerError,
} from './lib.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };
const resourceParams = { additionalParameters: { resource: env.resource }, ...insecure };

// Every response the libraries see goes through here: none may be a 5xx.
const statuses = [];
const fetchSpy = async (url, init) => {
  const res = await fetch(url, init);
  statuses.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} ${res.status}`);
  return res;
};
const spied = { ...insecure, [oauth.customFetch]: fetchSpy };
const spiedResource = { ...resourceParams, [oauth.customFetch]: fetchSpy };

/** oauth4webapi must reject with this OAuth error and status. */
function oauthError(error, status = 400) {
  return (e) => {
    assert.ok(e instanceof oauth.ResponseBodyError, `ResponseBodyError expected, got ${e}`);
    assert.equal(e.error, error, e.error_description);
    assert.equal(e.status, status);
    return true;
  };
}

/** Move the rotations of the grant of `accessToken` back past the grace period (never sleep). */
function endGracePeriod(accessToken) {
  const { grant_id: grantId } = decodeJwt(accessToken).claims;
  assert.ok(Number.isSafeInteger(grantId) && grantId > 0, `grant_id claim: ${grantId}`);
  sql(`UPDATE mcp_oauth.refresh_tokens SET rotated_at = rotated_at - interval '1 hour'
       WHERE rotated_at IS NOT NULL AND grant_id = ${grantId}`);
}

describe('negative interop: what must fail, fails as the specs say', () => {
  let as, person, listenerA, listenerB, clientA, clientB, metadata;

  // A fresh code for client `c` at `listener`, with its verifier.
  async function freshCode(c, listener, extra = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const cb = await authorizeVia(person, listener, {
      client_id: c.client_id, code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256', state, scope: 'mcp:tools', resource: env.resource, ...extra,
    });
    return { params: oauth.validateAuthResponse(as, c, cb, state), verifier, code: cb.searchParams.get('code') };
  }

  // Tokens for client `c`.
  async function freshTokens(c, listener) {
    const { params, verifier } = await freshCode(c, listener);
    const res = await oauth.authorizationCodeGrantRequest(as, c, oauth.None(), params, listener.redirectUri, verifier, spiedResource);
    return oauth.processAuthorizationCodeResponse(as, c, res);
  }

  // The refresh-token request, as oauth4webapi sends it.
  async function refresh(c, rt, extra = {}) {
    const res = await oauth.refreshTokenGrantRequest(as, c, oauth.None(), rt,
      { ...spied, additionalParameters: { resource: env.resource, ...extra } });
    return oauth.processRefreshTokenResponse(as, c, res);
  }

  before(async () => {
    const issuer = new URL(env.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    metadata = as;
    person = new Person();
    listenerA = await loopbackListener('/callback');
    listenerB = await loopbackListener('/callback');
    const reg = (name, l) => registerClient({
      client_name: name, redirect_uris: [l.redirectUri], token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    });
    clientA = { client_id: (await reg('Negative test A', listenerA)).client_id };
    clientB = { client_id: (await reg('Negative test B', listenerB)).client_id };
  });
  after(async () => {
    await listenerA?.close();
    await listenerB?.close();
  });

  test('wrong PKCE verifier: invalid_grant (oauth4webapi)', async () => {
    const { params } = await freshCode(clientA, listenerA);
    const res = await oauth.authorizationCodeGrantRequest(as, clientA, oauth.None(), params,
      listenerA.redirectUri, oauth.generateRandomCodeVerifier(), spiedResource);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, clientA, res), oauthError('invalid_grant'));
  });

  test('wrong PKCE verifier: invalid_grant (MCP SDK)', async () => {
    const { code } = await freshCode(clientA, listenerA);
    await assert.rejects(exchangeAuthorization(env.issuer, {
      metadata, clientInformation: clientA, authorizationCode: code,
      codeVerifier: oauth.generateRandomCodeVerifier(), redirectUri: listenerA.redirectUri,
      resource: new URL(env.resource), fetchFn: fetchSpy,
    }), (e) => e.constructor.name === 'InvalidGrantError');
  });

  test('replayed code: invalid_grant, and the tokens it gave are revoked', async () => {
    const { params, verifier } = await freshCode(clientA, listenerA);
    const first = await oauth.processAuthorizationCodeResponse(as, clientA,
      await oauth.authorizationCodeGrantRequest(as, clientA, oauth.None(), params, listenerA.redirectUri, verifier, spiedResource));
    assert.equal((await mcpCall(first.access_token, whoamiCall)).status, 200);
    const again = await oauth.authorizationCodeGrantRequest(as, clientA, oauth.None(), params,
      listenerA.redirectUri, verifier, spiedResource);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, clientA, again), oauthError('invalid_grant'));
    const gw = await mcpCall(first.access_token, whoamiCall);
    assert.equal(gw.status, 401, 'the first access token is revoked (OAuth 2.1 section 4.1.3)');
    await assert.rejects(refresh(clientA, first.refresh_token), oauthError('invalid_grant'));
  });

  test('refresh token retried within the grace period gets the same successor', async () => {
    const t = await freshTokens(clientA, listenerA);
    const r1 = await refresh(clientA, t.refresh_token);
    const r1again = await refresh(clientA, t.refresh_token);
    assert.equal(r1again.refresh_token, r1.refresh_token, 'same successor');
    assert.equal((await mcpCall(r1again.access_token, whoamiCall)).status, 200);
  });

  test('reused refresh token after the grace period: invalid_grant, the family revoked', async () => {
    const t = await freshTokens(clientA, listenerA);
    const r1 = await refresh(clientA, t.refresh_token);
    endGracePeriod(r1.access_token);
    await assert.rejects(refresh(clientA, t.refresh_token), oauthError('invalid_grant'));
    await assert.rejects(refresh(clientA, r1.refresh_token), oauthError('invalid_grant'),
      'the successor dies with the family');
    assert.equal((await mcpCall(r1.access_token, whoamiCall)).status, 401, 'the family\'s access token too');
  });

  test('reused refresh token through the MCP SDK: InvalidGrantError', async () => {
    const t = await freshTokens(clientA, listenerA);
    const r1 = await refreshAuthorization(env.issuer, {
      metadata, clientInformation: clientA, refreshToken: t.refresh_token, resource: new URL(env.resource), fetchFn: fetchSpy,
    });
    endGracePeriod(r1.access_token);
    await assert.rejects(refreshAuthorization(env.issuer, {
      metadata, clientInformation: clientA, refreshToken: t.refresh_token, resource: new URL(env.resource), fetchFn: fetchSpy,
    }), (e) => e.constructor.name === 'InvalidGrantError');
  });

  test('unknown resource at /authorize: redirected with invalid_target, state and iss', async () => {
    const state = oauth.generateRandomState();
    const verifier = oauth.generateRandomCodeVerifier();
    const cb = await authorizeVia(person, listenerA, {
      client_id: clientA.client_id, code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256', state, scope: 'mcp:tools', resource: 'https://other.example/mcp',
    });
    assert.throws(() => oauth.validateAuthResponse(as, clientA, cb, state), (e) => {
      assert.ok(e instanceof oauth.AuthorizationResponseError, String(e));
      assert.equal(e.error, 'invalid_target');
      return true;
    });
    assert.equal(cb.searchParams.get('iss'), env.issuer);
    assert.equal(cb.searchParams.get('state'), state);
  });

  test('another resource at /token than the code was issued for: invalid_target', async () => {
    const { params, verifier } = await freshCode(clientA, listenerA);
    const res = await oauth.authorizationCodeGrantRequest(as, clientA, oauth.None(), params, listenerA.redirectUri,
      verifier, { ...spied, additionalParameters: { resource: 'https://other.example/mcp' } });
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, clientA, res), oauthError('invalid_target'));
  });

  test('another resource on refresh: invalid_target', async () => {
    const t = await freshTokens(clientA, listenerA);
    await assert.rejects(refresh(clientA, t.refresh_token, { resource: 'https://other.example/mcp' }),
      oauthError('invalid_target'));
  });

  test('a resource written with an uppercase scheme and host is the same resource', async () => {
    const u = new URL(env.resource);
    const shouted = `HTTP://${u.host.toUpperCase()}${u.pathname}`;
    const { params, verifier } = await freshCode(clientA, listenerA, { resource: shouted });
    const t = await oauth.processAuthorizationCodeResponse(as, clientA,
      await oauth.authorizationCodeGrantRequest(as, clientA, oauth.None(), params, listenerA.redirectUri, verifier,
        { ...spied, additionalParameters: { resource: shouted } }));
    assert.equal(decodeJwt(t.access_token).claims.aud, env.resource, 'aud is the canonical resource');
  });

  test('another client\'s code: invalid_grant', async () => {
    const { params, verifier } = await freshCode(clientA, listenerA);
    const res = await oauth.authorizationCodeGrantRequest(as, clientB, oauth.None(), params,
      listenerA.redirectUri, verifier, spiedResource);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, clientB, res), oauthError('invalid_grant'));
  });

  test('another client\'s refresh token: invalid_grant', async () => {
    const t = await freshTokens(clientA, listenerA);
    await assert.rejects(refresh(clientB, t.refresh_token), oauthError('invalid_grant'));
  });

  test('a redirect_uri at /token other than at /authorize: invalid_grant', async () => {
    const { params, verifier } = await freshCode(clientA, listenerA);
    const res = await oauth.authorizationCodeGrantRequest(as, clientA, oauth.None(), params,
      listenerB.redirectUri, verifier, spiedResource);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, clientA, res), oauthError('invalid_grant'));
  });

  test('an expired code: invalid_grant', async () => {
    const { params, verifier, code } = await freshCode(clientA, listenerA);
    assert.ok(code);
    const expired = sql(`UPDATE mcp_oauth.authorization_codes SET expires_at = now() - interval '1 second'
	       WHERE redeemed_at IS NULL AND expires_at > now() AND client_id = '${clientA.client_id}' RETURNING 1`);
    assert.ok(expired.length > 0, 'the code row was found');
    const res = await oauth.authorizationCodeGrantRequest(as, clientA, oauth.None(), params,
      listenerA.redirectUri, verifier, spiedResource);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, clientA, res), oauthError('invalid_grant'));
  });

  test('a confidential client with a wrong secret: 401 invalid_client', async () => {
    const l = await loopbackListener('/cb');
    try {
      const info = await registerClient({
        client_name: 'Negative test confidential', redirect_uris: [l.redirectUri],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      const c = { client_id: info.client_id };
      const res = await oauth.introspectionRequest(as, c, oauth.ClientSecretBasic(`${info.client_secret}x`), 'x', spied);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /i);
      await assert.rejects(oauth.processIntrospectionResponse(as, c, res));
      const tok = await postForm('/token', { grant_type: 'refresh_token', refresh_token: 'mcp_rt_x' },
        { authorization: `Basic ${Buffer.from(`${encodeURIComponent(info.client_id)}:wrong`).toString('base64')}` });
      assert.equal(tok.status, 401);
      assert.equal(tok.json?.error, 'invalid_client');
    } finally {
      await l.close();
    }
  });

  test('a public client cannot introspect: 401 invalid_client', async () => {
    const r = await postForm('/introspect', { token: 'x', client_id: clientA.client_id });
    notServerError(r.status, 'introspect');
    assert.equal(r.status, 401);
    assert.equal(r.json?.error, 'invalid_client');
  });

  test('authorization without PKCE or with plain: redirected with invalid_request', async () => {
    for (const pkce of [{}, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }]) {
      const state = oauth.generateRandomState();
      const cb = await authorizeVia(person, listenerA, {
        client_id: clientA.client_id, state, scope: 'mcp:tools', resource: env.resource, ...pkce,
      });
      assert.throws(() => oauth.validateAuthResponse(as, clientA, cb, state),
        (e) => e instanceof oauth.AuthorizationResponseError && e.error === 'invalid_request');
      assert.equal(cb.searchParams.get('iss'), env.issuer);
    }
  });

  test('garbage at the token endpoint is a 4xx, never a 5xx', async () => {
    const cases = [
      { grant_type: 'authorization_code' },
      { grant_type: 'authorization_code', code: 'x'.repeat(5000), client_id: clientA.client_id, code_verifier: 'y' },
      { grant_type: 'refresh_token', refresh_token: '', client_id: clientA.client_id },
      { grant_type: 'refresh_token', refresh_token: 'mcp_rt_\u0000\u00ff', client_id: clientA.client_id },
      { grant_type: 'authorization_code', code: 'x', client_id: 'no-such-client', code_verifier: 'y'.repeat(43) },
      { grant_type: 'password', username: env.user, password: env.password, client_id: clientA.client_id },
    ];
    for (const body of cases) {
      const r = await postForm('/token', body);
      notServerError(r.status, JSON.stringify(body).slice(0, 80));
      assert.ok(r.status === 400 || r.status === 401, `${r.status} ${r.text.slice(0, 100)}`);
      assert.ok(typeof r.json?.error === 'string', r.text.slice(0, 100));
    }
  });

  test('no library request above was answered with a 5xx', () => {
    assert.ok(statuses.length > 10, `requests seen: ${statuses.length}`);
    assert.deepEqual(statuses.filter((s) => / 5\d\d$/.test(s)), []);
  });
});
