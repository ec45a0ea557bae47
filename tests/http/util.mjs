// util.mjs: small parsing helpers for tests/http/run.sh (so that the HTTP
// layer needs neither jq nor python).
//
//   node util.mjs json FILE EXPR      print a member (EXPR like .a.b[0].c); "" when absent
//   node util.mjs field FILE NAME     value of <input ... name="NAME" value="..."> (HTML-unescaped)
//   node util.mjs urlencode STRING    application/x-www-form-urlencoded encoding
//   node util.mjs param URL NAME      a query parameter of URL (decoded); "" when absent
//   node util.mjs pkce                a verifier and its S256 challenge, on two lines
//   node util.mjs sse FILE            the JSON of the first "data:" line of an SSE body
//   node util.mjs b64url-json PART    decode a base64url JSON part (a JWT segment)
//   node util.mjs h2 PORT METHOD PATH [NAME VALUE]...
//                                     one HTTP/2 request over TLS with the header
//                                     fields sent as given (HPACK literals, no
//                                     client-side checks: CR/LF, duplicates); prints
//                                     the status (or "reset"), then the body

import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';

// The value at a path like .a.b[0].c, or undefined.
function lookup(obj, expr) {
  const parts = expr.match(/[^.[\]]+/g) ?? [];
  let v = obj;
  for (const p of parts) {
    if (v === null || v === undefined) return undefined;
    v = v[/^\d+$/.test(p) ? Number(p) : p];
  }
  return v;
}

// Print a JSON value: strings raw, other values as JSON, absent as "".
function printValue(v) {
  if (v === undefined) process.stdout.write('');
  else if (typeof v === 'string') process.stdout.write(v);
  else process.stdout.write(JSON.stringify(v));
}

// Undo HTML escaping of an attribute value.
function unescapeHtml(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const l = e.toLowerCase();
    if (l === 'amp') return '&';
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'quot') return '"';
    if (l === 'apos') return "'";
    return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
  });
}

// The value attribute of the input element named name, as a browser would submit it.
function field(html, name) {
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const attrs = {};
    for (const m of tag.matchAll(/([a-zA-Z-]+)\s*=\s*"([^"]*)"/g)) attrs[m[1].toLowerCase()] = m[2];
    if (attrs.name !== undefined && unescapeHtml(attrs.name) === name)
      return attrs.value === undefined ? '' : unescapeHtml(attrs.value);
  }
  return undefined;
}


// ---- a raw HTTP/2 client (only what the gateway checks need) ----

// An HPACK integer with a 7-bit prefix and no Huffman flag.
function hpackInt(n) {
  if (n < 127) return [n];
  const out = [127];
  for (n -= 127; n >= 128; n >>= 7) out.push((n & 127) | 128);
  out.push(n);
  return out;
}

// A header field as "literal without indexing, new name" (RFC 7541 6.2.2).
function hpackLiteral(name, value) {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0, ...hpackInt(n.length)]), n, Buffer.from(hpackInt(v.length)), v]);
}

// One frame.
function h2frame(type, flags, stream, payload) {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

// HPACK Huffman codes of the digits (RFC 7541 appendix B), for :status.
const digitCodes = ['00000', '00001', '00010', '011001', '011010', '011011', '011100', '011101', '011110', '011111'];

// The :status of a response header block (first field), or '?'.
function h2status(block) {
  const statics = { 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 };
  if (statics[block[0]]) return String(statics[block[0]]);
  if ((block[0] & 0x3f) !== 8 && (block[0] & 0x0f) !== 8) return '?';
  const len = block[1] & 0x7f;
  const raw = block.subarray(2, 2 + len);
  if (!(block[1] & 0x80)) return raw.toString('latin1');
  let bits = [...raw].map((b) => b.toString(2).padStart(8, '0')).join('');
  let out = '';
  while (out.length < 3) {
    const d = digitCodes.findIndex((c) => bits.startsWith(c));
    if (d < 0) return '?';
    out += d;
    bits = bits.slice(digitCodes[d].length);
  }
  return out;
}

// Send one request on stream 1; resolve with "STATUS\nBODY".
function h2request(port, method, path, fields) {
  const body = method === 'POST'
    ? Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}') : Buffer.alloc(0);
  const block = Buffer.concat([hpackLiteral(':method', method), Buffer.from([0x87]),
    hpackLiteral(':path', path), hpackLiteral(':authority', `127.0.0.1:${port}`),
    ...(method === 'POST' ? [hpackLiteral('content-type', 'application/json')] : []),
    ...fields.map(([n, v]) => hpackLiteral(n, v))]);
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let status = 'none';
    let data = '';
    const s = tls.connect({ port: Number(port), host: '127.0.0.1', ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
      s.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), h2frame(4, 0, 0, Buffer.alloc(0)),
        h2frame(1, body.length ? 4 : 5, 1, block), ...(body.length ? [h2frame(0, 1, 1, body)] : [])]));
    });
    const done = () => { s.destroy(); resolve(`${status}\n${data}`); };
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        const [type, flags, stream] = [buf[3], buf[4], buf.readUInt32BE(5)];
        if (buf.length < 9 + len) break;
        const p = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (type === 4 && !(flags & 1)) s.write(h2frame(4, 1, 0, Buffer.alloc(0)));
        if (stream !== 1) { if (type === 7) return done(); continue; }
        if (type === 1) status = h2status(p);
        if (type === 0) data += p.toString();
        if (type === 3) { if (status === 'none') status = 'reset'; return done(); }
        if (flags & 1) return done();
      }
    });
    s.on('error', done);
    s.on('close', done);
    setTimeout(done, 5000);
  });
}

const [cmd, ...args] = process.argv.slice(2);
try {
  switch (cmd) {
    case 'json':
      printValue(lookup(JSON.parse(readFileSync(args[0], 'utf8')), args[1]));
      break;
    case 'field':
      printValue(field(readFileSync(args[0], 'utf8'), args[1]));
      break;
    case 'urlencode':
      process.stdout.write(new URLSearchParams({ v: args[0] }).toString().slice(2));
      break;
    case 'param': {
      const v = new URL(args[0], 'http://x').searchParams.get(args[1]);
      process.stdout.write(v ?? '');
      break;
    }
    case 'pkce': {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      process.stdout.write(`${verifier}\n${challenge}\n`);
      break;
    }
    case 'sse': {
      const line = readFileSync(args[0], 'utf8').split(/\r?\n/).find((l) => l.startsWith('data:'));
      process.stdout.write(line ? line.slice(5).trim() : '');
      break;
    }
    case 'h2': {
      const fields = [];
      for (let i = 3; i + 1 < args.length; i += 2) fields.push([args[i], args[i + 1]]);
      process.stdout.write(await h2request(args[0], args[1], args[2], fields));
      break;
    }
    case 'b64url-json':
      process.stdout.write(Buffer.from(args[0], 'base64url').toString('utf8'));
      break;
    default:
      console.error(`util.mjs: unknown command ${cmd}`);
      process.exit(2);
  }
} catch (err) {
  // Unparseable input prints nothing, so the caller's check fails visibly.
  console.error(`util.mjs ${cmd}: ${err.message}`);
  process.exit(1);
}
