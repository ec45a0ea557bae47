// cimd.test.mjs: clients identified by a Client ID Metadata Document
// (their client_id is the HTTPS URL of a JSON document they publish), end
// to end through the real server, its outbound fetcher and the sign-in and
// consent pages.  The documents are served over HTTPS by the test
// (documentServer: https://localhost:PORT/..., a certificate of the test
// CA the server trusts through --fetch-ca-file):
//   - the MCP TypeScript SDK client in its client metadata URL mode: it
//     never registers, gets a token and calls the MCP server;
//   - a document shaped like Claude Code's: portless http://localhost and
//     http://127.0.0.1 redirect URIs, no application_type, the callback on
//     a port the system picks (RFC 8252 section 7.3);
//   - a document shaped like ChatGPT's: token_endpoint_auth_method
//     private_key_jwt, an RS256 key at a jwks_uri, the assertion (RFC 7523)
//     signed by jose, through the SDK's addClientAuthentication.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, refreshAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  env, sql, Person, loopbackListener, deliverRedirect, decodeJwt, postForm, MemoryProvider, recordingFetch,
  documentServer, formFields, authorizationUrl,
} from './lib.mjs';

const jwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const publishedBy = (host) => new RegExp(`published by</p>\\s*<p class="host">${host}</p>`);
const notVerified = /Its name is not verified/;

/** A PKCE verifier and its S256 challenge. */
function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** SQL string literal. */
const lit = (s) => `'${s.replaceAll("'", "''")}'`;

/** The clients row of a metadata client: kind|application_type|token_endpoint_auth_method. */
function clientRow(clientId) {
  return sql(`SELECT kind || '|' || coalesce(application_type, '') || '|' || token_endpoint_auth_method
    FROM mcp_oauth.clients WHERE client_id = ${lit(clientId)}`);
}

/** The MCP SDK client: a transport and client over one provider, every request logged. */
function sdkSession(provider, log) {
  const s = {
    connect() {
      s.transport = new StreamableHTTPClientTransport(new URL(env.resource), { authProvider: provider, fetch: recordingFetch(log) });
      s.client = new Client({ name: 'interop-cimd', version: '1.0.0' });
      return s.client.connect(s.transport);
    },
    close: () => s.client?.close().catch(() => {}),
  };
  return s;
}

let docs;
before(async () => { docs = await documentServer(); });
after(() => docs?.close());

describe('authorization server metadata for CIMD clients', () => {
  test('client_id_metadata_document_supported, none and private_key_jwt advertised', async () => {
    const m = await (await fetch(`${env.base}/.well-known/oauth-authorization-server`)).json();
    assert.equal(m.client_id_metadata_document_supported, true);
    assert.ok(m.token_endpoint_auth_methods_supported.includes('none'), 'none kept: clients need it to use CIMD');
    assert.ok(m.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
    assert.ok(m.token_endpoint_auth_signing_alg_values_supported?.includes('RS256'));
  });
});

describe('MCP TypeScript SDK client with a client metadata URL', () => {
  const path = '/sdk/client.json';
  const log = [];
  let listener, provider, session, person, authUrl, callbackUrl, clientId;

  before(async () => {
    listener = await loopbackListener('/callback');
    clientId = docs.url(path);
    docs.serve(path, {
      client_id: clientId,
      client_name: 'Interop test (SDK, metadata document)',
      redirect_uris: [listener.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    provider = new MemoryProvider(listener.redirectUri, { clientMetadataUrl: clientId });
    session = sdkSession(provider, log);
    person = new Person();
  });
  after(async () => {
    await session?.close();
    await listener?.close();
  });

  test('connect without a token ends in an authorization redirect naming the URL as client_id', async () => {
    await assert.rejects(session.connect(), UnauthorizedError);
    assert.equal(provider.authorizationUrls.length, 1);
    authUrl = provider.authorizationUrls[0];
    assert.equal(authUrl.searchParams.get('client_id'), clientId);
    assert.equal(provider.saved.client.client_id, clientId);
  });

  test('the SDK did not register', () => {
    assert.deepEqual(log.filter((e) => e.path === '/register'), [], 'no POST /register');
    assert.equal(docs.hits(path), 0, 'the document is not fetched before the authorization request');
  });

  test('consent names the client and the host that publishes its document', async () => {
    const location = await person.authorize(authUrl, 'approve');
    assert.ok(location.startsWith(`${listener.redirectUri}?`), location);
    assert.match(person.lastConsentPage, /Interop test \(SDK, metadata document\)/);
    assert.match(person.lastConsentPage, publishedBy(docs.host));
    assert.match(person.lastConsentPage, notVerified, 'only loopback redirect URIs: the name is not verified');
    assert.equal(docs.hits(path), 1, 'the server fetched the document once');
    callbackUrl = await deliverRedirect(location, listener);
    assert.equal(callbackUrl.searchParams.get('iss'), env.issuer);
  });

  test('the document became a metadata client, native without application_type', () => {
    assert.equal(clientRow(clientId), 'metadata|native|none');
  });

  test('finishAuth exchanges the code; the token names the URL as client_id', async () => {
    await session.transport.finishAuth(callbackUrl.searchParams.get('code'));
    const t = provider.saved.tokens;
    assert.ok(t?.access_token && t?.refresh_token);
    const tok = log.filter((e) => e.path === '/token').at(-1);
    assert.equal(tok.status, 200);
    assert.equal(new URLSearchParams(tok.requestBody).get('client_id'), clientId);
    assert.equal(decodeJwt(t.access_token).claims.client_id, clientId);
  });

  test('reconnect: tools/call whoami through the gateway', async () => {
    await session.connect();
    const r = await session.client.callTool({ name: 'whoami', arguments: {} });
    assert.notEqual(r.isError, true);
    assert.equal(r.structuredContent.subject, env.user);
    assert.equal(r.structuredContent.client_id, clientId);
  });

  test('a refresh and a second authorization use the cached document', async () => {
    const metadata = await (await fetch(`${env.base}/.well-known/oauth-authorization-server`)).json();
    const refreshed = await refreshAuthorization(env.issuer, {
      metadata, clientInformation: provider.saved.client, refreshToken: provider.saved.tokens.refresh_token,
      resource: new URL(env.resource),
    });
    assert.ok(refreshed.access_token);
    const { challenge } = pkce();
    const url = authorizationUrl({
      client_id: clientId, redirect_uri: listener.redirectUri, code_challenge: challenge,
      code_challenge_method: 'S256', state: 'again', resource: env.resource,
    });
    const location = await person.authorize(url, 'deny');
    assert.match(location, /error=access_denied/);
    assert.equal(docs.hits(path), 1, 'no second fetch within max-age');
    assert.ok(log.every((e) => e.status < 500), `no 5xx: ${log.filter((e) => e.status >= 500).map((e) => e.path)}`);
  });
});

describe('a document shaped like Claude Code\'s', () => {
  const path = '/claude-code/client.json';
  let clientId, person;

  // One authorization as Claude Code makes it: its own listener on a
  // port the system picked, PKCE; the callback URL.
  async function authorizeOnce(listener, redirectUri, challenge, decision = 'approve') {
    const url = authorizationUrl({
      client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge,
      code_challenge_method: 'S256', state: randomBytes(8).toString('hex'), resource: env.resource, scope: 'mcp:tools',
    });
    const location = await person.authorize(url, decision);
    assert.ok(location.startsWith(`${redirectUri}?`), `redirected to the listener: ${location}`);
    return location;
  }

  before(() => {
    clientId = docs.url(path);
    docs.serve(path, {
      client_id: clientId,
      client_name: 'Claude Code',
      client_uri: 'https://claude.ai',
      redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    person = new Person();
  });

  test('http://127.0.0.1 on an ephemeral port: consent, code, token', async () => {
    const listener = await loopbackListener('/callback');
    try {
      const { verifier, challenge } = pkce();
      const location = await authorizeOnce(listener, listener.redirectUri, challenge);
      assert.match(person.lastConsentPage, /Claude Code/);
      assert.match(person.lastConsentPage, publishedBy(docs.host));
      assert.match(person.lastConsentPage, notVerified, 'every redirect URI is loopback: warned');
      const cb = await deliverRedirect(location, listener);
      const r = await postForm('/token', {
        grant_type: 'authorization_code', code: cb.searchParams.get('code'), redirect_uri: listener.redirectUri,
        code_verifier: verifier, client_id: clientId, resource: env.resource,
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(decodeJwt(r.json.access_token).claims.client_id, clientId);
    } finally {
      await listener.close();
    }
  });

  test('no application_type and only loopback redirect URIs: native', () => {
    assert.equal(clientRow(clientId), 'metadata|native|none');
  });

  test('another port, and http://localhost, match the portless URIs', async () => {
    const listener = await loopbackListener('/callback');
    try {
      const { challenge } = pkce();
      await authorizeOnce(listener, listener.redirectUri, challenge, 'deny');
      await authorizeOnce(listener, `http://localhost:${listener.port}/callback`, challenge, 'deny');
    } finally {
      await listener.close();
    }
  });

  test('a path the document does not list is refused without a redirect', async () => {
    const { challenge } = pkce();
    const url = authorizationUrl({
      client_id: clientId, redirect_uri: 'http://127.0.0.1:43210/elsewhere',
      code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: env.resource,
    });
    const res = await person.fetch(url);
    const html = await res.text();
    assert.equal(res.status, 400, html.slice(0, 300));
    assert.equal(res.headers.get('location'), null, 'never redirected to an unlisted URI');
    assert.equal(formFields(html).request_id, undefined, 'no consent form');
  });

  test('the server fetched the document once for all of these', () => {
    assert.equal(docs.hits(path), 1);
  });
});

describe('a document shaped like ChatGPT\'s: private_key_jwt with a jwks_uri', () => {
  const path = '/chatgpt/client.json';
  const jwksPath = '/chatgpt/jwks.json';
  const redirectUri = 'https://chatgpt.com/connector_platform_oauth_redirect';
  const log = [];
  const assertions = [];
  let clientId, key, kid, provider, session, person, authUrl, code, metadata;

  // An RFC 7523 client assertion signed by jose with claims over the defaults.
  async function assertion(claims = {}, header = {}, signingKey = key.privateKey) {
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ iss: clientId, sub: clientId, aud: `${env.base}/token`, iat: now, exp: now + 120, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT', ...header })
      .sign(signingKey);
  }

  // What ChatGPT adds to its token requests: the assertion, no secret.
  async function addClientAuthentication(headers, params, url) {
    const jwt = await assertion({ aud: String(url) });
    assertions.push(jwt);
    params.set('client_assertion_type', jwtBearer);
    params.set('client_assertion', jwt);
  }

  // A refresh through the token endpoint with fields added.
  const refreshWith = (fields) => postForm('/token', {
    grant_type: 'refresh_token', refresh_token: provider.saved.tokens.refresh_token, resource: env.resource, ...fields,
  });

  before(async () => {
    clientId = docs.url(path);
    key = await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    kid = 'chatgpt-test-1';
    docs.serve(jwksPath, { keys: [{ ...(await jose.exportJWK(key.publicKey)), kid, alg: 'RS256', use: 'sig' }] });
    docs.serve(path, {
      client_id: clientId,
      client_name: 'ChatGPT',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: docs.url(jwksPath),
    });
    provider = new MemoryProvider(redirectUri, { clientMetadataUrl: clientId, addClientAuthentication, clientName: 'ChatGPT' });
    session = sdkSession(provider, log);
    person = new Person();
    metadata = await (await fetch(`${env.base}/.well-known/oauth-authorization-server`)).json();
  });
  after(() => session?.close());

  test('authorization: consent shows the publisher and the https redirect host, no loopback warning', async () => {
    await assert.rejects(session.connect(), UnauthorizedError);
    authUrl = provider.authorizationUrls[0];
    assert.equal(authUrl.searchParams.get('client_id'), clientId);
    const location = await person.authorize(authUrl, 'approve');
    assert.ok(location.startsWith(`${redirectUri}?`), location);
    assert.match(person.lastConsentPage, /ChatGPT/);
    assert.match(person.lastConsentPage, publishedBy(docs.host));
    assert.match(person.lastConsentPage, /chatgpt\.com/);
    assert.doesNotMatch(person.lastConsentPage, notVerified);
    code = new URL(location).searchParams.get('code');
    assert.ok(code);
    assert.deepEqual(log.filter((e) => e.path === '/register'), [], 'no POST /register');
  });

  test('the document became a private_key_jwt metadata client (web: an https redirect)', () => {
    assert.match(clientRow(clientId), /^metadata\|[a-z]*\|private_key_jwt$/);
    assert.equal(sql(`SELECT jwks_uri FROM mcp_oauth.clients WHERE client_id = ${lit(clientId)}`), docs.url(jwksPath));
  });

  test('the code without an assertion: 401 invalid_client, the code still good', async () => {
    const r = await postForm('/token', {
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, resource: env.resource,
      code_verifier: provider.saved.verifier,
    });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json.error, 'invalid_client');
  });

  test('finishAuth: the SDK sends the jose assertion, the server fetches the JWK Set and issues tokens', async () => {
    await session.transport.finishAuth(code);
    const tok = log.filter((e) => e.path === '/token').at(-1);
    assert.equal(tok.status, 200, tok.responseBody);
    const sent = new URLSearchParams(tok.requestBody);
    assert.equal(sent.get('client_assertion_type'), jwtBearer);
    assert.equal(sent.get('client_secret'), null);
    assert.equal(decodeJwt(sent.get('client_assertion')).header.alg, 'RS256');
    assert.equal(decodeJwt(provider.saved.tokens.access_token).claims.client_id, clientId);
    assert.equal(docs.hits(jwksPath), 1, 'the JWK Set fetched once');
  });

  test('tools/call whoami as ChatGPT', async () => {
    await session.connect();
    const r = await session.client.callTool({ name: 'whoami', arguments: {} });
    assert.equal(r.structuredContent.subject, env.user);
    assert.equal(r.structuredContent.client_id, clientId);
  });

  test('refresh with a fresh assertion (aud the issuer); the key set stays cached', async () => {
    const before = provider.saved.tokens;
    const t = await refreshAuthorization(env.issuer, {
      metadata, clientInformation: provider.saved.client, refreshToken: before.refresh_token,
      resource: new URL(env.resource),
      addClientAuthentication: async (headers, params) => {
        params.set('client_assertion_type', jwtBearer);
        params.set('client_assertion', await assertion({ aud: env.issuer }));
      },
    });
    assert.notEqual(t.refresh_token, before.refresh_token);
    provider.saved.tokens = t;
    assert.equal(docs.hits(jwksPath), 1);
  });

  test('a replayed assertion (same jti): 401 invalid_client', async () => {
    const r = await refreshWith({ client_assertion_type: jwtBearer, client_assertion: assertions[0] });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json.error, 'invalid_client');
  });

  test('wrong aud, iss, expired, HS256, alg none, another key: each 401 invalid_client', async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = await jose.generateKeyPair('RS256', { modulusLength: 2048 });
    const hs = await new jose.SignJWT({ iss: clientId, sub: clientId, aud: `${env.base}/token`, exp: now + 60, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode('a shared secret of 32 bytes!!!!!'));
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${Buffer.from(JSON.stringify(
      { iss: clientId, sub: clientId, aud: `${env.base}/token`, exp: now + 60, jti: randomUUID() })).toString('base64url')}.`;
    const cases = {
      'aud another server': await assertion({ aud: 'https://elsewhere.example/token' }),
      'iss another client': await assertion({ iss: 'https://elsewhere.example/client.json' }),
      'sub another client': await assertion({ sub: 'https://elsewhere.example/client.json' }),
      expired: await assertion({ iat: now - 600, exp: now - 300 }),
      HS256: hs,
      'alg none': none,
      'a key not in the set, same kid': await assertion({}, {}, other.privateKey),
    };
    for (const [what, jwt] of Object.entries(cases)) {
      const r = await refreshWith({ client_assertion_type: jwtBearer, client_assertion: jwt });
      assert.equal(r.status, 401, `${what}: ${r.text}`);
      assert.equal(r.json?.error, 'invalid_client', what);
    }
  });

  test('after all those refusals the refresh token still works', async () => {
    const r = await refreshWith({ client_assertion_type: jwtBearer, client_assertion: await assertion() });
    assert.equal(r.status, 200, r.text);
    provider.saved.tokens = r.json;
  });

  test('revocation with an assertion; afterwards the refresh token is refused', async () => {
    const rt = provider.saved.tokens.refresh_token;
    const r = await postForm('/revoke', {
      token: rt, token_type_hint: 'refresh_token', client_assertion_type: jwtBearer,
      client_assertion: await assertion({ aud: `${env.base}/revoke` }),
    });
    assert.equal(r.status, 200, r.text);
    const again = await refreshWith({ client_assertion_type: jwtBearer, client_assertion: await assertion() });
    assert.equal(again.status, 400, again.text);
    assert.equal(again.json.error, 'invalid_grant');
    assert.ok(log.every((e) => e.status < 500), `no 5xx: ${log.filter((e) => e.status >= 500).map((e) => e.path)}`);
  });
});
