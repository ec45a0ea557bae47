// sdk.test.mjs: the official MCP TypeScript SDK client against our server
// and the demo upstream, the way Claude Desktop connects: 401 -> protected
// resource metadata -> authorization server metadata -> dynamic registration
// (public client, loopback redirect on a random port) -> PKCE S256 with
// state and resource -> sign-in and consent -> the redirect captured on a
// real loopback listener -> token exchange -> tools/list and tools/call
// whoami -> a forced 401 answered by a refresh -> revocation.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, refreshAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  env, Person, loopbackListener, deliverRedirect, decodeJwt, mcpCall, whoamiCall, postForm, MemoryProvider, recordingFetch,
} from './lib.mjs';

describe('MCP TypeScript SDK client, as Claude Desktop connects', () => {
  const log = [];
  let listener, provider, person, client, transport, callbackUrl, authUrl;

  // A fresh client and transport sharing the provider (a reconnect).
  function connectNew() {
    transport = new StreamableHTTPClientTransport(new URL(env.resource), {
      authProvider: provider, fetch: recordingFetch(log),
    });
    client = new Client({ name: 'interop-sdk', version: '1.0.0' });
    return client.connect(transport);
  }

  before(async () => {
    listener = await loopbackListener('/callback');
    provider = new MemoryProvider(listener.redirectUri);
    person = new Person();
  });
  after(async () => {
    await client?.close().catch(() => {});
    await listener?.close();
  });

  test('connect without a token ends in an authorization redirect', async () => {
    await assert.rejects(connectNew(), UnauthorizedError);
    assert.equal(provider.authorizationUrls.length, 1, 'redirectToAuthorization called once');
    authUrl = provider.authorizationUrls[0];
  });

  test('the first request to /mcp got 401 with resource_metadata', () => {
    const first = log[0];
    assert.equal(first.path, '/mcp');
    assert.equal(first.status, 401);
    assert.match(first.www, /^Bearer /);
    assert.ok(first.www.includes(`resource_metadata="${env.base}/.well-known/oauth-protected-resource/mcp"`), first.www);
  });

  test('discovery: protected resource metadata, then authorization server metadata', () => {
    const gets = log.filter((e) => e.method === 'GET').map((e) => `${e.path} ${e.status}`);
    const prm = gets.indexOf('/.well-known/oauth-protected-resource/mcp 200');
    const asm = gets.indexOf('/.well-known/oauth-authorization-server 200');
    assert.ok(prm >= 0, `PRM fetched: ${gets.join(', ')}`);
    assert.ok(asm > prm, `AS metadata fetched after PRM: ${gets.join(', ')}`);
  });

  test('dynamic registration as a public client with the loopback redirect', () => {
    const reg = log.find((e) => e.path === '/register');
    assert.ok(reg, 'POST /register');
    assert.equal(reg.status, 201);
    const sent = JSON.parse(reg.requestBody);
    assert.deepEqual(sent.redirect_uris, [listener.redirectUri]);
    const got = JSON.parse(reg.responseBody);
    assert.ok(got.client_id, 'client_id issued');
    assert.equal(got.client_secret, undefined, 'no secret for a public client');
    assert.equal(got.token_endpoint_auth_method, 'none');
    assert.deepEqual(got.redirect_uris, [listener.redirectUri]);
    assert.equal(provider.saved.client.client_id, got.client_id);
  });

  test('authorization URL: code, PKCE S256, state, resource, our redirect', () => {
    const p = authUrl.searchParams;
    assert.equal(`${authUrl.origin}${authUrl.pathname}`, `${env.base}/authorize`);
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('client_id'), provider.saved.client.client_id);
    assert.equal(p.get('code_challenge_method'), 'S256');
    assert.match(p.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(p.get('state'), provider.states.at(-1));
    assert.equal(p.get('resource'), env.resource);
    assert.equal(p.get('redirect_uri'), listener.redirectUri);
    assert.ok(p.get('scope')?.split(' ').includes('mcp:tools'), `scope ${p.get('scope')}`);
  });

  test('sign-in and consent; the redirect arrives on the loopback listener', async () => {
    const location = await person.authorize(authUrl, 'approve');
    assert.ok(location.startsWith(`${listener.redirectUri}?`), location);
    assert.match(person.lastConsentPage, /Interop test \(MCP TypeScript SDK\)/, 'consent names the client');
    callbackUrl = await deliverRedirect(location, listener);
    assert.equal(callbackUrl.pathname, '/callback');
  });

  test('the callback carries code, the same state, and iss (RFC 9207)', () => {
    const p = callbackUrl.searchParams;
    assert.equal(p.get('error'), null);
    assert.ok(p.get('code'), 'code');
    assert.equal(p.get('state'), provider.states.at(-1));
    assert.equal(p.get('iss'), env.issuer);
  });

  test('finishAuth exchanges the code for tokens', async () => {
    await transport.finishAuth(callbackUrl.searchParams.get('code'));
    const t = provider.saved.tokens;
    assert.ok(t?.access_token, 'access token');
    assert.ok(t?.refresh_token, 'refresh token');
    assert.match(t.token_type, /^bearer$/i);
    const tok = log.filter((e) => e.path === '/token').at(-1);
    const sent = new URLSearchParams(tok.requestBody);
    assert.equal(sent.get('grant_type'), 'authorization_code');
    assert.equal(sent.get('resource'), env.resource, 'resource sent on the token request');
    assert.ok(sent.get('code_verifier'), 'code_verifier sent');
    const { header, claims } = decodeJwt(t.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(claims.aud, env.resource);
    assert.equal(claims.sub, env.user);
    assert.equal(claims.client_id, provider.saved.client.client_id);
  });

  test('reconnect: tools/list through the gateway', async () => {
    await connectNew();
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'whoami'), JSON.stringify(tools));
  });

  test('tools/call whoami reports the signed-in user', async () => {
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    assert.notEqual(r.isError, true);
    assert.equal(r.structuredContent.subject, env.user);
    assert.equal(r.structuredContent.client_id, provider.saved.client.client_id);
    assert.ok(r.structuredContent.scopes.includes('mcp:tools'));
    assert.equal(r.structuredContent.authorization_header_received, false, 'the bearer never reaches upstream');
  });

  test('a forced 401 is answered by a refresh, and the call goes through', async () => {
    const before = provider.saved.tokens;
    const [h, p, s] = before.access_token.split('.');
    // A token the server must refuse (its signature no longer verifies), as an expired one is.
    provider.saved.tokens = { ...before, access_token: `${h}.${p}.${s.slice(0, -4)}AAAA` };
    const mark = log.length;
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal(r.structuredContent.subject, env.user);
    const seen = log.slice(mark);
    const refused = seen.find((e) => e.path === '/mcp' && e.status === 401);
    assert.ok(refused, 'the stale token got 401');
    assert.match(refused.www, /error="invalid_token"/);
    const refresh = seen.find((e) => e.path === '/token');
    assert.equal(refresh?.status, 200, 'refresh 200');
    assert.equal(new URLSearchParams(refresh.requestBody).get('grant_type'), 'refresh_token');
    assert.equal(new URLSearchParams(refresh.requestBody).get('resource'), env.resource);
    const after = provider.saved.tokens;
    assert.notEqual(after.access_token, before.access_token);
    assert.notEqual(after.refresh_token, before.refresh_token, 'refresh token rotated (public client)');
  });

  test('revocation: afterwards both tokens fail', async () => {
    const { access_token: at, refresh_token: rt } = provider.saved.tokens;
    const clientId = provider.saved.client.client_id;
    const revoked = await postForm('/revoke', { token: rt, token_type_hint: 'refresh_token', client_id: clientId });
    assert.equal(revoked.status, 200);

    const res = await mcpCall(at, whoamiCall);
    assert.equal(res.status, 401, 'the access token of the revoked grant is refused');
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

    const metadata = await (await fetch(`${env.base}/.well-known/oauth-authorization-server`)).json();
    await assert.rejects(
      refreshAuthorization(env.issuer, { metadata, clientInformation: provider.saved.client, refreshToken: rt, resource: new URL(env.resource) }),
      (err) => err.constructor.name === 'InvalidGrantError' || err.errorCode === 'invalid_grant',
      'the revoked refresh token gets invalid_grant',
    );
  });

  test('the SDK client, after revocation, goes back to authorization', async () => {
    const before = provider.authorizationUrls.length;
    await assert.rejects(client.callTool({ name: 'whoami', arguments: {} }));
    assert.equal(provider.authorizationUrls.length, before + 1, 'a new authorization redirect');
    assert.ok(provider.invalidated.includes('tokens'), 'the SDK dropped its tokens after invalid_grant');
    assert.ok(log.every((e) => e.status < 500), `no 5xx: ${log.filter((e) => e.status >= 500).map((e) => e.path)}`);
  });
});
