// The console's only way to the server: JSON 1.1 calls to POST /, SigV4-signed in the browser as any AWS SDK signs
// them. Signing in derives the day's signing key (a non-extractable WebCrypto key, scoped to this region, the `kms`
// service and the UTC day) and forgets the secret; signing out, reloading the page or the end of the UTC day forgets
// the key. Nothing is written to storage.

const encoder = new TextEncoder();
const SERVICE = 'kms';

/** An error answered by the API: its code (`__type`), message and HTTP status. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

let session = null; // { accessKeyId, region, day, signingKey }

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (text) => hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));

async function hmac(key, text) {
  const imported = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', imported, encoder.encode(text));
}

/** `20261204T120000Z` and `20261204` for `date`. */
function stamps(date) {
  const amzDate = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return { amzDate, day: amzDate.slice(0, 8) };
}

/** True when the browser can sign (WebCrypto needs a secure context: localhost, or HTTPS). */
export const canSign = () => Boolean(globalThis.crypto?.subtle);

/** Derives the signing key for today and checks it with a harmless call; throws ApiError when the server refuses. */
export async function signIn(accessKeyId, secretAccessKey, region) {
  const { day } = stamps(new Date());
  let key = await hmac(encoder.encode(`AWS4${secretAccessKey}`), day);
  key = await hmac(key, region);
  key = await hmac(key, SERVICE);
  const raw = await hmac(key, 'aws4_request');
  const signingKey = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  session = { accessKeyId, region, day, signingKey };
  try {
    await call('TrentService.ListKeys', { Limit: 1 });
  } catch (error) {
    // Refused by a policy, the signature was good: the person is signed in and sees what they may.
    if (error.code !== 'AccessDeniedException') {
      session = null;
      throw error;
    }
  }
  return { accessKeyId, region };
}

export function signOut() {
  session = null;
}

export const signedIn = () => (session ? { accessKeyId: session.accessKeyId, region: session.region } : null);

/** Calls `target` (`TrentService.X` or `Trent.X`) with `body`; resolves to the answer, or throws ApiError. */
export async function call(target, body = {}) {
  if (!session) throw new ApiError('SignedOut', 'You are signed out. Sign in again.', 0);
  const { amzDate, day } = stamps(new Date());
  if (day !== session.day) {
    session = null;
    throw new ApiError('SignedOut', 'Your sign-in ended with the UTC day. Sign in again.', 0);
  }
  const payload = JSON.stringify(body);
  const contentType = 'application/x-amz-json-1.1';
  const host = location.host;
  const signedHeaders = 'content-type;host;x-amz-date;x-amz-target';
  const canonical = ['POST', '/', '', `content-type:${contentType}`, `host:${host}`, `x-amz-date:${amzDate}`,
    `x-amz-target:${target}`, '', signedHeaders, await sha256(payload)].join('\n');
  const scope = `${day}/${session.region}/${SERVICE}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256(canonical)].join('\n');
  const signature = hex(await crypto.subtle.sign('HMAC', session.signingKey, encoder.encode(toSign)));
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'X-Amz-Date': amzDate,
      'X-Amz-Target': target,
      Authorization: `AWS4-HMAC-SHA256 Credential=${session.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    },
    body: payload,
    credentials: 'omit',
    cache: 'no-store',
  });
  const text = await response.text();
  let answer = {};
  try {
    answer = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError('UnreadableAnswer', `The server answered ${response.status} with something that is not JSON.`, response.status);
  }
  if (!response.ok) {
    const code = String(answer.__type ?? 'Error').split('#').pop();
    throw new ApiError(code, answer.message ?? answer.Message ?? code, response.status);
  }
  return answer;
}

/** Pages a List operation reads at most: past them, the list says it is incomplete (`items.incomplete`). */
const MAX_PAGES = 100;

/** Calls a paged List operation until its end; `member` names the list in each page. */
export async function listAll(target, body, member) {
  const items = [];
  let marker;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = await call(target, marker ? { ...body, Marker: marker } : body);
    items.push(...(answer[member] ?? []));
    if (!answer.Truncated || !answer.NextMarker) return items;
    marker = answer.NextMarker;
  }
  items.incomplete = true;
  return items;
}
