// conformance.test.mjs: the official MCP conformance suite
// (@modelcontextprotocol/conformance, its own package in conformance/)
// against our server as an authorization server: its "authorization"
// command runs the scenarios authorization-server-metadata-endpoint
// (including the check that client_id_metadata_document_supported is true,
// a warning when it is not) and authorization-code-grant.  The suite
// prints an authorization URL for a person to open and waits on
// http://127.0.0.1:PORT/callback; here the person is the test, and the
// client is a metadata document URL with Claude Code's portless loopback
// redirect URI, so no registration is needed.  Its bundle wants Node 22
// (fs.globSync, only for a command not run here); conformance/node20.mjs
// lets it run on Node 20.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { env, Person, documentServer } from './lib.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const suite = path.join(here, 'conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js');

/** A TCP port nobody listens on now. */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Every check of every checks.json under dir. */
function readChecks(dir) {
  const checks = [];
  for (const f of fs.readdirSync(dir, { recursive: true }))
    if (path.basename(f) === 'checks.json')
      checks.push(...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  return checks;
}

// The suite's HTTP client (undici 7) needs Node 20.18.1 or later: on an
// older node (Debian 12's own is 18) the scenarios are skipped, saying so.
const [major, minor] = process.versions.node.split('.').map(Number);
const tooOld = major < 20 || (major === 20 && minor < 18)
  ? `Node ${process.version}: the conformance suite needs 20.18.1 or later` : false;

describe('MCP conformance suite: authorization server scenarios', { skip: tooOld }, () => {
  let docs, out, run;

  before(async () => {
    docs = await documentServer();
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp_oauth_conformance.'));
    const clientId = docs.url('/conformance/client.json');
    docs.serve('/conformance/client.json', {
      client_id: clientId,
      client_name: 'MCP conformance suite',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    });
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', path.join(here, 'conformance/node20.mjs'), suite, 'authorization',
      '--url', env.issuer, '--client-id', clientId, '--resource', env.resource, '--port', String(port), '--output-dir', out],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const person = new Person();
    let authorized;
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr.on('data', (d) => { output += d; });
    child.stdout.on('data', (d) => {
      output += d;
      const m = output.match(new RegExp(`^(${env.base}/authorize\\?\\S+)$`, 'm'));
      if (m && !authorized) {
        // the person opens the URL, signs in, approves; the browser follows the redirect
        authorized = person.authorize(m[1], 'approve').then(async (location) => {
          const res = await fetch(location);
          await res.text();
          return { location, status: res.status };
        }, (error) => {
          child.kill();	// it would wait five minutes for a callback that cannot come
          return { error: error.message };
        });
      }
    });
    const timer = setTimeout(() => child.kill(), 60000);
    const code = await exited;
    clearTimeout(timer);
    run = { code, output, authorized: await authorized, checks: readChecks(out) };
  });
  after(async () => {
    await docs?.close();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  // The check of that id, or a failure showing the suite's output.
  function check(id) {
    const c = run.checks.find((x) => x.id === id);
    assert.ok(c, `check ${id} ran: ${run.output.slice(-2000)}`);
    return c;
  }

  test('the suite exits 0 (no failed check)', () => {
    assert.equal(run.code, 0, run.output.slice(-3000));
  });

  test('authorization server metadata: SUCCESS', () => {
    const c = check('authorization-server-metadata');
    assert.equal(c.status, 'SUCCESS', c.errorMessage);
  });

  test('client_id_metadata_document_supported: SUCCESS, the warning is gone', () => {
    const c = check('authorization-server-metadata-cimd');
    assert.equal(c.status, 'SUCCESS', c.errorMessage);
    assert.equal(run.checks.filter((x) => x.status === 'WARNING').length, 0,
      JSON.stringify(run.checks.filter((x) => x.status === 'WARNING')));
  });

  test('authorization code grant with the metadata document as client: SUCCESS', () => {
    assert.ok(run.authorized?.location?.startsWith('http://127.0.0.1:'), JSON.stringify(run.authorized));
    assert.equal(run.authorized.status, 200, 'the suite\'s callback server got the redirect');
    const c = check('authorization-code-grant');
    assert.equal(c.status, 'SUCCESS', c.errorMessage);
  });
});
