// The AWS SDK for JavaScript v3 (@aws-sdk/client-kms) against a real `trent serve --dev`: a symmetric key's whole
// life (create, encrypt, data keys, scheduled deletion, cancel, re-enable, deletion at the end of the waiting
// period), SigV4 refusals, and ListKeys through the SDK's paginator.
//
// Run with Node's built-in runner: `node --test tests/js` (after `npm ci --prefix tests/js`); harness.mjs says which
// environment variables choose the binary and the store.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
  paginateListKeys,
} from '@aws-sdk/client-kms';

import { DAY, REGION, advanceClock, control, kmsClient, serverClock, startTrent, stepper, stopTrent } from './harness.mjs';

/** Awaits `promise`, which must reject with an SDK error of `name` and HTTP `status`; returns the error. */
async function rejectsWith(promise, name, status = 400) {
  let error;
  try {
    const result = await promise;
    assert.fail(`expected ${name}, got success: ${JSON.stringify(result)}`);
  } catch (caught) {
    if (caught instanceof assert.AssertionError) throw caught;
    error = caught;
  }
  assert.equal(error.name, name, `error name (message: ${error.message})`);
  assert.equal(error.$metadata?.httpStatusCode, status, `HTTP status of ${name}`);
  return error;
}

let server;
let kms;
const clients = [];

before(async () => {
  server = await startTrent();
  kms = kmsClient(server);
  clients.push(kms);
});

after(async () => {
  for (const client of clients) client.destroy(); // close keep-alive sockets so the runner can exit
  if (server) await stopTrent(server);
});

/**
 * Wipes every key, alias and record (POST /_trent/reset). Each top-level test calls it first; it is not a `beforeEach`
 * hook because node:test runs those before every subtest too, which would wipe the lifecycle run between its steps.
 */
const reset = () => control(server, 'POST', '/_trent/reset');

// ---------------------------------------------------------------------------------------------------------------
// The lifecycle run
// ---------------------------------------------------------------------------------------------------------------

test('a symmetric key from creation to deletion, through @aws-sdk/client-kms', async (t) => {
  await reset();
  const step = stepper(t);
  const send = (command) => kms.send(command);
  const context = { app: 'orders', tenant: '42' };
  const plaintext = new TextEncoder().encode('the quick brown fox, encrypted by the JS SDK');
  let keyId, arn, blob;

  await step('1. CreateKey with a Description: Enabled, SYMMETRIC_DEFAULT', async () => {
    const { KeyMetadata: key } = await send(new CreateKeyCommand({ Description: 'orders db (js sdk)' }));
    ({ KeyId: keyId, Arn: arn } = key);
    assert.equal(key.KeyState, 'Enabled');
    assert.equal(key.Enabled, true);
    assert.equal(key.KeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(key.KeyUsage, 'ENCRYPT_DECRYPT');
    assert.equal(key.Description, 'orders db (js sdk)');
    assert.match(arn, new RegExp(`^arn:aws:kms:${REGION}:\\d{12}:key/${keyId}$`));
    assert.ok(key.CreationDate instanceof Date && !Number.isNaN(key.CreationDate.getTime()), 'CreationDate parses as a Date');
    assert.equal(key.DeletionDate, undefined);
  });

  await step('2. Encrypt with an EncryptionContext; Decrypt without KeyId; a different context is refused', async () => {
    const encrypted = await send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context }));
    assert.equal(encrypted.KeyId, arn);
    assert.equal(encrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    blob = encrypted.CiphertextBlob;
    assert.ok(blob instanceof Uint8Array && blob.length > plaintext.length, 'CiphertextBlob is bytes');

    const decrypted = await send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }));
    assert.equal(decrypted.KeyId, arn);
    assert.deepEqual(Buffer.from(decrypted.Plaintext), Buffer.from(plaintext));

    await rejectsWith(send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { app: 'billing', tenant: '42' } })), 'InvalidCiphertextException');
    await rejectsWith(send(new DecryptCommand({ CiphertextBlob: blob })), 'InvalidCiphertextException');
  });

  await step('3. GenerateDataKey AES_256: 32 bytes, and its CiphertextBlob decrypts to them', async () => {
    const dataKey = await send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    assert.equal(dataKey.KeyId, arn);
    assert.equal(dataKey.Plaintext.length, 32);
    const decrypted = await send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    assert.deepEqual(Buffer.from(decrypted.Plaintext), Buffer.from(dataKey.Plaintext));
  });

  await step('4. ScheduleKeyDeletion 7 days: PendingDeletion, DeletionDate = server clock + 7 days', async () => {
    const before = await serverClock(server);
    const scheduled = await send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const afterwards = await serverClock(server);
    assert.equal(scheduled.KeyId, arn);
    assert.equal(scheduled.KeyState, 'PendingDeletion');
    assert.equal(scheduled.PendingWindowInDays, 7);
    assert.ok(scheduled.DeletionDate instanceof Date, 'DeletionDate parses as a Date');
    // The date is taken from the lifecycle clock during the call (±1 s for whole-second rounding on the wire).
    const due = scheduled.DeletionDate.getTime();
    const low = before.now_millis + 7 * DAY * 1000 - 1000;
    const high = afterwards.now_millis + 7 * DAY * 1000 + 1000;
    assert.ok(due >= low && due <= high, `DeletionDate ${scheduled.DeletionDate.toISOString()} not within [${new Date(low).toISOString()}, ${new Date(high).toISOString()}]`);

    const { KeyMetadata: key } = await send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.equal(key.KeyState, 'PendingDeletion');
    assert.equal(key.Enabled, false);
    assert.equal(key.DeletionDate?.getTime(), due);
  });

  await step('5. pending deletion: Encrypt and Decrypt are KMSInvalidStateException (400); DescribeKey still works', async () => {
    const encrypt = await rejectsWith(send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext })), 'KMSInvalidStateException', 400);
    assert.equal(encrypt.message, `${arn} is pending deletion.`);
    const decrypt = await rejectsWith(send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context })), 'KMSInvalidStateException', 400);
    assert.equal(decrypt.message, `${arn} is pending deletion.`);
    const { KeyMetadata: key } = await send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.equal(key.KeyState, 'PendingDeletion');
  });

  await step('6. CancelKeyDeletion: Disabled (not Enabled), no DeletionDate; DisabledException until EnableKey', async () => {
    const cancelled = await send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    assert.equal(cancelled.KeyId, arn);
    const { KeyMetadata: key } = await send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.equal(key.KeyState, 'Disabled');
    assert.equal(key.Enabled, false);
    assert.equal(key.DeletionDate, undefined);

    const disabled = await rejectsWith(send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext })), 'DisabledException', 400);
    assert.equal(disabled.message, `${arn} is disabled.`);

    await send(new EnableKeyCommand({ KeyId: keyId }));
    assert.equal((await send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata.KeyState, 'Enabled');
    const encrypted = await send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context }));
    const decrypted = await send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }));
    assert.deepEqual(Buffer.from(decrypted.Plaintext), Buffer.from(plaintext));
  });

  await step('7. schedule again, advance the clock 7 days + 1 minute: the key is deleted (NotFoundException)', async () => {
    const scheduled = await send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    assert.equal(scheduled.KeyState, 'PendingDeletion');
    const moved = await advanceClock(server, 7 * DAY + 60);
    assert.ok(moved.now_millis > scheduled.DeletionDate.getTime(), 'the clock is past the deletion date');

    // The deletion worker is woken by the clock move; give it up to 15 s.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const { KeyMetadata: key } = await send(new DescribeKeyCommand({ KeyId: keyId }));
        assert.equal(key.KeyState, 'PendingDeletion', 'until deleted, the key stays pending deletion');
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.equal(error.name, 'NotFoundException', `DescribeKey while waiting: ${error.name}: ${error.message}`);
        assert.equal(error.$metadata?.httpStatusCode, 400);
        break; // gone
      }
      assert.ok(Date.now() < deadline, 'key not deleted within 15 s of advancing the clock past its deletion date');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Gone everywhere: old ciphertexts name a key that no longer exists, and ListKeys no longer shows it.
    await rejectsWith(send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context })), 'NotFoundException');
    const { Keys } = await send(new ListKeysCommand({}));
    assert.ok(!Keys.some((k) => k.KeyId === keyId), 'deleted key still listed');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Authentication and pagination
// ---------------------------------------------------------------------------------------------------------------

test('a wrong secret is InvalidSignatureException; an unsigned request is MissingAuthenticationTokenException', async () => {
  await reset();
  const wrong = kmsClient(server, { secretAccessKey: 'wrong' });
  clients.push(wrong);
  await rejectsWith(wrong.send(new ListKeysCommand({})), 'InvalidSignatureException', 400);

  // The same SDK request with its SigV4 headers stripped after signing: nothing authenticates it.
  const unsigned = kmsClient(server);
  clients.push(unsigned);
  unsigned.middlewareStack.addRelativeTo(
    (next) => async (args) => {
      for (const header of Object.keys(args.request.headers)) {
        if (/^(authorization|x-amz-date|x-amz-security-token|x-amz-content-sha256)$/i.test(header)) delete args.request.headers[header];
      }
      return next(args);
    },
    { name: 'stripSignature', relation: 'after', toMiddleware: 'httpSigningMiddleware' },
  );
  await rejectsWith(unsigned.send(new ListKeysCommand({})), 'MissingAuthenticationTokenException', 403);
});

test('paginateListKeys walks 5 keys 2 at a time', async () => {
  await reset();
  const created = [];
  for (let i = 0; i < 5; i++) {
    created.push((await kms.send(new CreateKeyCommand({ Description: `page ${i}` }))).KeyMetadata.KeyId);
  }
  const pages = [];
  for await (const page of paginateListKeys({ client: kms, pageSize: 2 }, {})) {
    pages.push(page);
  }
  assert.deepEqual(pages.map((p) => p.Keys.length), [2, 2, 1], 'page sizes');
  assert.deepEqual(pages.map((p) => p.Truncated), [true, true, false], 'Truncated flags');
  assert.equal(pages.at(-1).NextMarker, undefined, 'no NextMarker on the last page');
  const listed = pages.flatMap((p) => p.Keys.map((k) => k.KeyId));
  assert.deepEqual([...listed].sort(), [...created].sort(), 'every key exactly once');
  for (const key of pages.flatMap((p) => p.Keys)) {
    assert.match(key.KeyArn, new RegExp(`^arn:aws:kms:${REGION}:\\d{12}:key/${key.KeyId}$`));
  }
});
