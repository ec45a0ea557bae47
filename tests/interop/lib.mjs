// lib.mjs: what the interop tests share: the stack's settings (exported by
// tests/lib/stack.sh), a person at a browser (cookie jar, sign-in and
// consent pages answered as a browser would submit them), a real loopback
// redirect listener, SQL on the test database, JWT decoding, the MCP
// SDK's client provider, and an HTTPS server publishing documents (client
// metadata, JWK Sets) with the test CA's certificate.

import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

/** The stack this run brought up. */
export const env = {
  base: must('STACK_BASE'),
  resource: must('STACK_RESOURCE'),
  user: must('STACK_USER'),
  otherUser: must('STACK_OTHER_USER'),
  password: must('STACK_PASSWORD'),
  db: must('STACK_DB'),
  tlsCert: process.env.INTEROP_TLS_CERT,
  tlsKey: process.env.INTEROP_TLS_KEY,
};
env.issuer = env.base;

// An environment variable that must be set.
function must(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run tests/interop/run.sh`);
  return v;
}

/** SQL on the test database as the cluster superuser; rows as tab-separated lines. */
export function sql(query) {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', env.db, '-c', query],
    { encoding: 'utf8' }).trim();
}

/** The claims (payload) and header of a compact JWT, unverified. */
export function decodeJwt(token) {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
  };
}

/** Undo HTML escaping of an attribute value. */
function unescapeHtml(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** name -> value of the <input> elements of the page (what a form submits). */
export function formFields(html) {
  const fields = {};
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const attrs = {};
    for (const m of tag.matchAll(/([a-zA-Z-]+)\s*=\s*"([^"]*)"/g)) attrs[m[1].toLowerCase()] = unescapeHtml(m[2]);
    if (attrs.name !== undefined) fields[attrs.name] = attrs.value ?? '';
  }
  return fields;
}

/**
 * A person at a browser: keeps cookies (as a browser does for a secure
 * context such as http://127.0.0.1), never follows redirects by itself.
 */
export class Person {
  constructor(username = env.user, password = env.password) {
    this.username = username;
    this.password = password;
    this.cookies = new Map();
    this.setCookieLines = [];
  }

  /** fetch with this person's cookies; records Set-Cookie. */
  async fetch(url, init = {}) {
    const headers = new Headers(init.headers ?? {});
    if (this.cookies.size)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(new URL(url, env.base), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      this.setCookieLines.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** POST a form (application/x-www-form-urlencoded). */
  postForm(url, fields) {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /**
   * Open an authorization URL, sign in if asked, answer the consent page
   * with `decision`, and return the Location the server sends the browser
   * to (not followed).  Any unexpected page fails the test.
   */
  async authorize(authorizationUrl, decision = 'approve') {
    let res = await this.fetch(authorizationUrl);
    let html = await res.text();
    if (res.status === 200 && /type="password"/.test(html)) {
      const f = formFields(html);
      assert.ok(f.csrf, 'sign-in page has a csrf field');
      res = await this.postForm('/login', {
        csrf: f.csrf, return_to: f.return_to, username: this.username, password: this.password,
      });
      await res.text();
      assert.equal(res.status, 303, 'sign-in answers 303');
      res = await this.fetch(res.headers.get('location'));
      html = await res.text();
    }
    if (res.status === 302) return res.headers.get('location');	// no consent needed
    assert.equal(res.status, 200, `consent page expected, got ${res.status}: ${html.slice(0, 300)}`);
    const f = formFields(html);
    assert.ok(f.request_id, 'consent page has request_id');
    this.lastConsentPage = html;
    res = await this.postForm('/consent', { request_id: f.request_id, csrf: f.csrf, decision });
    const body = await res.text();
    assert.equal(res.status, 302, `consent answers 302, got ${res.status}: ${body.slice(0, 300)}`);
    return res.headers.get('location');
  }
}

/**
 * A real loopback redirect listener (RFC 8252 section 7.3) on a port the
 * system picks, as native MCP clients run one.  `callback()` resolves with
 * the full URL of the next request to `path`.
 */
export async function loopbackListener(path = '/callback') {
  const received = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You may close this window.');
    if (waiters.length) waiters.shift()(url);
    else received.push(url);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    port,
    redirectUri: `http://127.0.0.1:${port}${path}`,
    callback: () => (received.length ? Promise.resolve(received.shift()) : new Promise((r) => waiters.push(r))),
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The browser follows the redirect to the loopback listener; resolves with what it received. */
export async function deliverRedirect(location, listener) {
  const res = await fetch(location, { redirect: 'manual' });
  await res.text();
  assert.equal(res.status, 200, 'the loopback listener answered');
  return listener.callback();
}

/** POST a JSON-RPC message to /mcp with a bearer token. */
export async function mcpCall(token, message, extraHeaders = {}) {
  return fetch(env.resource, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...extraHeaders,
    },
    body: JSON.stringify(message),
  });
}

/** A JSON-RPC tools/call whoami message. */
export const whoamiCall = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } };

/** POST a form to a server endpoint without any client library (for what libraries refuse to send). */
export async function postForm(path, fields, headers = {}) {
  const res = await fetch(new URL(path, env.base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Assert an HTTP status is not a server error. */
export function notServerError(status, what) {
  assert.ok(status < 500, `${what}: answered ${status}, a server error`);
}

/** Register a client by RFC 7591 (plain fetch: neither library does it); the client information. */
export async function registerClient(metadata) {
  const res = await fetch(new URL('/register', env.base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  const body = await res.json();
  assert.equal(res.status, 201, `registration: ${JSON.stringify(body)}`);
  return body;
}

/** The authorization endpoint's URL with params (response_type code unless given; undefined ones left out). */
export function authorizationUrl(params) {
  const url = new URL('/authorize', env.base);
  for (const [k, v] of Object.entries({ response_type: 'code', ...params }))
    if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/**
 * One authorization round trip as a person: build the authorization URL,
 * sign in, decide, and deliver the redirect to the listener; the callback URL.
 */
export async function authorizeVia(person, listener, params, decision = 'approve') {
  const url = authorizationUrl({ redirect_uri: listener.redirectUri, ...params });
  const location = await person.authorize(url, decision);
  return deliverRedirect(location, listener);
}

/**
 * An in-memory OAuthClientProvider, as a desktop client keeps one per
 * server.  options: clientMetadataUrl (the SDK then uses it as client_id
 * when the server supports Client ID Metadata Documents),
 * addClientAuthentication (the SDK calls it instead of its own client
 * authentication at the token endpoint), clientName.
 */
export class MemoryProvider {
  constructor(redirectUri, options = {}) {
    this._redirectUri = redirectUri;
    this.saved = {};
    this.clientName = options.clientName ?? 'Interop test (MCP TypeScript SDK)';
    if (options.clientMetadataUrl) this.clientMetadataUrl = options.clientMetadataUrl;
    if (options.addClientAuthentication) this.addClientAuthentication = options.addClientAuthentication;
    this.authorizationUrls = [];
    this.states = [];
    this.invalidated = [];
  }
  get redirectUrl() { return this._redirectUri; }
  get clientMetadata() {
    return {
      client_name: this.clientName,
      redirect_uris: [this._redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    const s = randomBytes(16).toString('base64url');
    this.states.push(s);
    return s;
  }
  clientInformation() { return this.saved.client; }
  saveClientInformation(info) { this.saved.client = info; }
  tokens() { return this.saved.tokens; }
  saveTokens(tokens) {
    this.saved.tokens = tokens;
    (this.tokenHistory ??= []).push(tokens);
  }
  redirectToAuthorization(url) { this.authorizationUrls.push(url); }
  saveCodeVerifier(v) { this.saved.verifier = v; }
  codeVerifier() { return this.saved.verifier; }
  invalidateCredentials(scope) {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'tokens') delete this.saved.tokens;
    if (scope === 'all' || scope === 'client') delete this.saved.client;
    if (scope === 'all' || scope === 'verifier') delete this.saved.verifier;
  }
}

/** A fetch that records method, path, status (and the body of some requests). */
export function recordingFetch(log) {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const res = await fetch(input, init);
    const entry = { method, path: url.pathname, status: res.status, www: res.headers.get('www-authenticate') };
    if (url.pathname === '/register' || url.pathname === '/token') {
      entry.requestBody = typeof init.body === 'string' ? init.body : init.body?.toString();
      entry.responseBody = await res.clone().text();
    }
    log.push(entry);
    return res;
  };
}

/**
 * An HTTPS server on 127.0.0.1 with the test CA's certificate for
 * localhost, publishing documents at https://localhost:PORT/PATH as a
 * client's website does (host: localhost:PORT).  serve(path, body, headers) publishes (a body
 * object as JSON, Cache-Control max-age=600 unless headers say otherwise),
 * unpublish(path) makes it 404, hits(path) counts requests.
 */
export async function documentServer() {
  assert.ok(env.tlsCert && env.tlsKey, 'INTEROP_TLS_CERT and INTEROP_TLS_KEY are set: run tests/interop/run.sh');
  const docs = new Map();
  const hits = new Map();
  const server = https.createServer({ cert: fs.readFileSync(env.tlsCert), key: fs.readFileSync(env.tlsKey) }, (req, res) => {
    const path = new URL(req.url, 'https://localhost').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const doc = docs.get(path);
    if (!doc) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, doc.headers).end(doc.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    host: `localhost:${port}`,
    url: (path) => `https://localhost:${port}${path}`,
    serve(path, body, headers = {}) {
      docs.set(path, {
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'content-type': 'application/json', 'cache-control': 'max-age=600', ...headers },
      });
    },
    unpublish: (path) => docs.delete(path),
    hits: (path) => hits.get(path) ?? 0,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
