// The harness of the JavaScript suites: a real `trent serve --dev` per test file (SQLite, or a fresh PostgreSQL
// database with TRENT_TEST_BACKEND=postgres), its dev controls, an AWS SDK client for it, and numbered steps.
//   TRENT_BIN                the trent binary (default: <repo>/target/debug/trent)
//   TRENT_TEST_BACKEND       `postgres` to run on PostgreSQL instead of the embedded SQLite store
//   TRENT_TEST_POSTGRES_URL  with the above: an admin URL; a database `trent_js_<random>` is created and dropped there

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { KMSClient } from '@aws-sdk/client-kms';

export const REGION = 'us-east-1';
export const DAY = 86_400;
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Runs one SQL statement with psql against `url`; throws with psql's stderr on failure. */
function psql(url, sql) {
  const done = spawnSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  if (done.error) throw done.error;
  if (done.status !== 0) throw new Error(`psql failed (${sql}): ${done.stderr}`);
}

/** The admin URL with its database name replaced by `name` (query string kept). */
function databaseUrl(adminUrl, name) {
  const [base, query] = adminUrl.split(/\?(.*)/s);
  const [scheme, rest] = base.split(/:\/\/(.*)/s);
  const authority = rest.split('/', 1)[0];
  return `${scheme}://${authority}/${name}${query ? `?${query}` : ''}`;
}

/** Starts `trent serve --dev` on a free port; resolves once it prints `Trent listening on <endpoint>`. */
export async function startTrent() {
  const binary = process.env.TRENT_BIN ?? join(REPO, 'target/debug/trent');
  const dataDir = mkdtempSync(join(tmpdir(), 'trent-js-'));
  const server = { endpoint: null, child: null, dataDir, database: null };
  const extra = [];
  if (process.env.TRENT_TEST_BACKEND === 'postgres') {
    const admin = process.env.TRENT_TEST_POSTGRES_URL;
    if (!admin) throw new Error('TRENT_TEST_BACKEND=postgres needs TRENT_TEST_POSTGRES_URL');
    const name = `trent_js_${randomBytes(12).toString('hex')}`;
    psql(admin, `CREATE DATABASE ${name}`);
    server.database = { admin, name };
    extra.push('--database', databaseUrl(admin, name));
  }

  const child = spawn(
    binary,
    ['serve', '--dev', '--listen', '127.0.0.1:0', '--log', 'warn', '--data-dir', dataDir, ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  server.child = child;
  // Safety net: even if the runner exits without running `after` (an uncaught error, process.exit), kill trent.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  server.forgetExitHook = () => process.off('exit', killOnExit);

  try {
    server.endpoint = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${binary} did not start listening within 60 s`)), 60_000);
      const fail = (error) => { clearTimeout(timer); reject(error); };
      child.once('error', fail); // e.g. ENOENT: the binary is not built
      child.once('exit', (code, signal) => fail(new Error(`${binary} exited (${code ?? signal}) before listening`)));
      // Keep reading stdout after the banner so that trent never blocks on a full pipe.
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^Trent listening on (\S+)/.exec(line);
        if (match) { clearTimeout(timer); resolve(match[1]); }
      });
    });
  } catch (error) {
    await stopTrent(server);
    throw error;
  }
  return server;
}

/** Kills trent (SIGKILL, like the Python harness), waits for it, then drops its database and data directory. */
export async function stopTrent(server) {
  const { child } = server;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  server.forgetExitHook?.();
  if (server.database) psql(server.database.admin, `DROP DATABASE IF EXISTS ${server.database.name} WITH (FORCE)`);
  rmSync(server.dataDir, { recursive: true, force: true });
}

/** A dev-mode control call (`/_trent/...`); returns the parsed JSON body. */
export async function control(server, method, path, body) {
  const response = await fetch(server.endpoint + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  assert.equal(response.status, 200, `${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** The server's lifecycle clock: `{ now, now_millis, wall_millis }` (epoch seconds / milliseconds). */
export const serverClock = (server) => control(server, 'GET', '/_trent/clock');
export const advanceClock = (server, seconds) => control(server, 'POST', '/_trent/clock', { advance_seconds: seconds });

/** A KMS client for the server; one attempt only, so a refusal surfaces as it is instead of being retried. */
export function kmsClient(server, { accessKeyId = 'test', secretAccessKey = 'test' } = {}) {
  return new KMSClient({ endpoint: server.endpoint, region: REGION, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}


/**
 * Runs the numbered steps of one scenario as subtests, in order; once a step fails, the rest are skipped instead of
 * failing in a cascade.
 */
export function stepper(t) {
  let failed = false;
  return async (name, fn) => {
    await t.test(name, { skip: failed && 'an earlier step failed' }, async () => {
      try {
        await fn();
      } catch (error) {
        failed = true;
        throw error;
      }
    });
  };
}
