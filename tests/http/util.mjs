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

import { readFileSync } from 'node:fs';
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
