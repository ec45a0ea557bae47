#!/usr/bin/env node
// whoami_mcp_server.mjs: a dependency-free demo MCP server (Streamable HTTP,
// MCP 2025-06-18 / 2025-11-25) that sits behind the mcp_oauth gateway.
//
// One tool, `whoami`, answers with the identity the gateway passed in the
// X-MCP-Subject, X-MCP-Client-Id and X-MCP-Scopes request headers.  For the
// tests it also reports whether an Authorization header reached it (the
// gateway must strip it, so this must always be false), which X-MCP-*
// headers it saw (X_MCP_* too: CGI-style servers fold both into one name)
// and the Cookie header it got.
//
//   node demo/whoami_mcp_server.mjs [--port 8081] [--host 127.0.0.1]
//        [--path /mcp] [--sse] [--sse-hold-ms 1000]
//
// POST answers with application/json, or with text/event-stream (one SSE
// event) when the request's Accept lists text/event-stream and either
// --sse, WHOAMI_SSE=1 or the query flag ?sse=1 asks for it.  GET opens an
// SSE stream that sends one event and closes after --sse-hold-ms.  DELETE
// ends a session.  A request may ask for a delay (query delay_ms=N or
// header X-Demo-Delay-Ms, at most 30000) to test graceful shutdown.
//
// Origin is not checked: the server listens on loopback only and is reached
// through the authenticating gateway, which forwards browser origins.

import http from 'node:http';
import { randomUUID } from 'node:crypto';

const SUPPORTED_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'];
const MAX_BODY = 1024 * 1024;

// Command line flags, with defaults.
function parseArgs(argv) {
  const opts = {
    port: 8081,
    host: '127.0.0.1',
    path: '/mcp',
    sse: process.env.WHOAMI_SSE === '1',
    sseHoldMs: 1000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`missing value for ${a}`);
      return argv[++i];
    };
    if (a === '--port') opts.port = Number(next());
    else if (a === '--host') opts.host = next();
    else if (a === '--path') opts.path = next();
    else if (a === '--sse') opts.sse = true;
    else if (a === '--sse-hold-ms') opts.sseHoldMs = Number(next());
    else if (a === '--help' || a === '-h') usage(null);
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
    usage('bad --port');
  return opts;
}

// Print usage (and an error) and exit.
function usage(err) {
  const text = 'usage: whoami_mcp_server.mjs [--port N] [--host ADDR] ' +
    '[--path /mcp] [--sse] [--sse-hold-ms N]';
  if (err) {
    console.error(`whoami: ${err}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

const opts = parseArgs(process.argv.slice(2));
const sessions = new Set();

// The identity and header facts this request carried.
function identity(req) {
  const seen = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.replace(/_/g, '-').startsWith('x-mcp-')) seen[name] = value;
  }
  const scopes = req.headers['x-mcp-scopes'];
  return {
    subject: req.headers['x-mcp-subject'] ?? null,
    client_id: req.headers['x-mcp-client-id'] ?? null,
    scopes: scopes ? scopes.split(' ').filter((s) => s) : [],
    authorization_header_received: req.headers.authorization !== undefined,
    x_mcp_headers: seen,
    cookie_header: req.headers.cookie ?? null,
  };
}

// Whether Accept lists media type (q=0 excluded).
function accepts(req, type) {
  const accept = req.headers.accept ?? '';
  return accept.split(',').some((part) => {
    const [media, ...params] = part.trim().split(';').map((s) => s.trim());
    if (media.toLowerCase() !== type && media !== '*/*') return false;
    return !params.some((p) => /^q=0(\.0*)?$/i.test(p));
  });
}

// Write a JSON body with status and extra headers.
function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// Answer a JSON-RPC message as JSON or as one SSE event.
function sendRpc(req, res, url, body, headers) {
  const wantSse = (opts.sse || url.searchParams.get('sse') === '1') &&
    accepts(req, 'text/event-stream');
  if (!wantSse) return sendJson(res, 200, body, headers);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    ...headers,
  });
  res.end(`id: ${randomUUID()}\nevent: message\ndata: ${JSON.stringify(body)}\n\n`);
}

// A JSON-RPC error object.
function rpcError(id, code, message) {
  return { jsonrpc: '2.0', id: id ?? null, error: { code, message } };
}

// The result of initialize.
function initializeResult(params) {
  const asked = params?.protocolVersion;
  return {
    protocolVersion: SUPPORTED_VERSIONS.includes(asked) ? asked : SUPPORTED_VERSIONS[0],
    capabilities: { tools: {} },
    serverInfo: { name: 'whoami', title: 'mcp_oauth whoami demo', version: '0.1.0' },
    instructions: 'Call whoami to see which user, client and scopes the gateway passed.',
  };
}

// The one tool.
const WHOAMI_TOOL = {
  name: 'whoami',
  title: 'Who am I',
  description: 'Returns the user, client and scopes of the access token used to call this server.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
};

// The result of tools/call, or a JSON-RPC error.
function callTool(req, msg) {
  const name = msg.params?.name;
  if (name !== 'whoami') return rpcError(msg.id, -32602, `unknown tool: ${String(name)}`);
  const who = identity(req);
  return {
    jsonrpc: '2.0',
    id: msg.id,
    result: {
      content: [{ type: 'text', text: JSON.stringify(who) }],
      structuredContent: who,
      isError: false,
    },
  };
}

// Dispatch one JSON-RPC request (with an id) to its answer.
function answer(req, msg) {
  switch (msg.method) {
    case 'initialize':
      return { jsonrpc: '2.0', id: msg.id, result: initializeResult(msg.params) };
    case 'ping':
      return { jsonrpc: '2.0', id: msg.id, result: {} };
    case 'tools/list':
      return { jsonrpc: '2.0', id: msg.id, result: { tools: [WHOAMI_TOOL] } };
    case 'tools/call':
      return callTool(req, msg);
    default:
      return rpcError(msg.id, -32601, `method not found: ${String(msg.method)}`);
  }
}

// Read the request body up to MAX_BODY bytes; null when too large.
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Headers every answer carries (what the tests look at).
function commonHeaders(req) {
  return {
    'X-Demo-Saw-Authorization': req.headers.authorization !== undefined ? 'yes' : 'no',
  };
}

// Check Mcp-Session-Id (when sent) and MCP-Protocol-Version; false if answered.
function checkSession(req, res) {
  const sid = req.headers['mcp-session-id'];
  if (sid !== undefined && !sessions.has(sid)) {
    sendJson(res, 404, rpcError(null, -32001, 'session not found'), commonHeaders(req));
    return false;
  }
  const version = req.headers['mcp-protocol-version'];
  if (version !== undefined && !SUPPORTED_VERSIONS.includes(version)) {
    sendJson(res, 400, rpcError(null, -32600, `unsupported MCP-Protocol-Version: ${version}`),
      commonHeaders(req));
    return false;
  }
  return true;
}

// POST: one JSON-RPC message.
async function handlePost(req, res, url) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    return sendJson(res, 415, rpcError(null, -32600, 'Content-Type must be application/json'),
      commonHeaders(req));
  }
  const text = await readBody(req);
  if (text === null) return sendJson(res, 413, rpcError(null, -32600, 'body too large'));
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return sendJson(res, 400, rpcError(null, -32700, 'parse error'), commonHeaders(req));
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg) || msg.jsonrpc !== '2.0') {
    return sendJson(res, 400, rpcError(null, -32600, 'invalid request'), commonHeaders(req));
  }
  const headers = commonHeaders(req);
  if (msg.method === 'initialize') {
    const sid = randomUUID();
    sessions.add(sid);
    headers['Mcp-Session-Id'] = sid;
  } else if (!checkSession(req, res)) {
    return undefined;
  }
  // Notifications and responses get 202 Accepted with no body.
  if (msg.id === undefined || msg.method === undefined) {
    res.writeHead(202, { ...headers, 'Content-Length': 0 });
    return res.end();
  }
  return sendRpc(req, res, url, answer(req, msg), headers);
}

// GET: an SSE stream with one event, held open for a while.
function handleGet(req, res) {
  if (!accepts(req, 'text/event-stream')) {
    res.writeHead(405, { Allow: 'POST, DELETE', ...commonHeaders(req) });
    return res.end();
  }
  if (!checkSession(req, res)) return undefined;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    ...commonHeaders(req),
  });
  const note = {
    jsonrpc: '2.0',
    method: 'notifications/message',
    params: { level: 'info', logger: 'whoami', data: identity(req) },
  };
  res.write(`id: ${randomUUID()}\nevent: message\ndata: ${JSON.stringify(note)}\n\n`);
  const timer = setTimeout(() => res.end(), opts.sseHoldMs);
  res.on('close', () => clearTimeout(timer));
  return undefined;
}

// DELETE: end the session named by Mcp-Session-Id.
function handleDelete(req, res) {
  const sid = req.headers['mcp-session-id'];
  if (sid === undefined) {
    return sendJson(res, 400, rpcError(null, -32600, 'Mcp-Session-Id required'), commonHeaders(req));
  }
  if (!sessions.delete(sid)) {
    return sendJson(res, 404, rpcError(null, -32001, 'session not found'), commonHeaders(req));
  }
  res.writeHead(204, commonHeaders(req));
  return res.end();
}

// The requested delay in milliseconds (query delay_ms or X-Demo-Delay-Ms).
function requestedDelay(req, url) {
  const raw = url.searchParams.get('delay_ms') ?? req.headers['x-demo-delay-ms'] ?? '0';
  const ms = Number(raw);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 30000) : 0;
}

// Route one request.
async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== opts.path) return sendJson(res, 404, { error: 'not found' });
  const delay = requestedDelay(req, url);
  if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
  switch (req.method) {
    case 'POST': return handlePost(req, res, url);
    case 'GET': return handleGet(req, res);
    case 'DELETE': return handleDelete(req, res);
    default:
      res.writeHead(405, { Allow: 'GET, POST, DELETE', ...commonHeaders(req) });
      return res.end();
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(`whoami: ${err.stack ?? err}`);
    if (!res.headersSent) sendJson(res, 500, rpcError(null, -32603, 'internal error'));
    else res.destroy();
  });
});

server.listen(opts.port, opts.host, () => {
  const { address, port } = server.address();
  console.log(`whoami MCP server listening on http://${address}:${port}${opts.path}`);
});

// Stop accepting, let requests in flight finish, then exit.
function shutdown() {
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
