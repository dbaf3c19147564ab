// Small helpers every page uses: building elements (text always as text, never as HTML), times that say their zone,
// state badges, and errors shown beside the field they are about.

/** Builds an element: `attributes` become attributes (`on…` functions become listeners), children are nodes or text. */
export function h(tag, attributes = {}, ...children) {
  const element = tag === 'svg' || attributes.svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'svg' || value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An SVG element (chart parts). */
export const s = (tag, attributes = {}, ...children) => h(tag, { ...attributes, svg: true }, ...children);

export const zone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const utc = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** A time (epoch seconds) in the viewer's zone and in UTC, each naming its zone. */
export function when(seconds) {
  if (seconds === undefined || seconds === null) return '—';
  const date = new Date(seconds * 1000);
  return `${local.format(date)} (${zone()}) · ${utc.format(date)} UTC`;
}

/** How long until `seconds` from `nowMillis`: "in 6 days 23 hours", or "due now". */
export function timeLeft(seconds, nowMillis = Date.now()) {
  const left = Math.round(seconds - nowMillis / 1000);
  if (left <= 0) return 'due now';
  const days = Math.floor(left / 86_400);
  const hours = Math.floor((left % 86_400) / 3_600);
  const minutes = Math.floor((left % 3_600) / 60);
  if (days > 0) return `in ${days} day${days === 1 ? '' : 's'} ${hours} h`;
  if (hours > 0) return `in ${hours} h ${minutes} min`;
  return `in ${minutes} min`;
}

const STATE_NAMES = {
  Enabled: 'Enabled',
  Disabled: 'Disabled',
  PendingDeletion: 'Pending deletion',
  PendingReplicaDeletion: 'Pending replica deletion',
  PendingImport: 'Pending import',
  Unavailable: 'Unavailable',
  Creating: 'Creating',
  Updating: 'Updating',
};

/** The state as a badge; a key pending deletion says when it goes, in both zones, and how long is left. */
export function stateBadge(metadata) {
  const state = metadata.KeyState;
  const badge = h('span', { class: `badge state-${state}` }, STATE_NAMES[state] ?? state);
  if (state !== 'PendingDeletion' || !metadata.DeletionDate) return badge;
  return h('span', { class: 'state-cell' }, badge,
    h('span', { class: 'deletion-date' }, `Deletes ${when(metadata.DeletionDate)}`),
    h('span', { class: 'time-left' }, timeLeft(metadata.DeletionDate)));
}

/** The key's display name: its first alias, else its ID. */
export const keyName = (key) => key.aliases?.[0] ?? key.metadata.KeyId;

/** True for keys the service manages: shown read-only. */
export const serviceManaged = (metadata) => metadata.KeyManager === 'AWS';

/**
 * The calls that use a key's material, by the event name its usage evidence counts them under: AWS's tracked
 * operations and the Alibaba API's cryptographic calls (trent-audit's TRACKED_OPERATIONS and ALIBABA_USES; a test in
 * console.rs holds this list equal to them). Reads of a key's metadata are no use of it.
 */
export const CRYPTOGRAPHIC = new Set([
  'Decrypt', 'DeriveSharedSecret', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext', 'GenerateDataKeyWithoutPlaintext', 'GenerateMac', 'ReEncrypt', 'Sign', 'Verify',
  'VerifyMac', 'Encapsulate', 'Decapsulate',
  'AsymmetricSign', 'AsymmetricVerify', 'AsymmetricEncrypt', 'AsymmetricDecrypt', 'ExportDataKey', 'GenerateAndExportDataKey',
]);

export const SERVICE_MANAGED_REASON =
  'AWS managed key: the service that created it manages it. It cannot be changed, disabled or deleted.';

/** Shows `error` (an ApiError or text) beside `field` (its message element is `#<field id>-error`). */
export function showFieldError(field, error) {
  const message = document.getElementById(`${field.id}-error`);
  const text = typeof error === 'string' ? error : `${error.code}: ${error.message}`;
  message.textContent = text;
  field.setAttribute('aria-invalid', 'true');
  field.focus();
}

export function clearFieldError(field) {
  const message = document.getElementById(`${field.id}-error`);
  if (message) message.textContent = '';
  field.removeAttribute('aria-invalid');
}

/** A labelled field with its error line: `{ wrapper, input }`. */
export function field(id, label, input, hint) {
  input.id = id;
  input.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  const wrapper = h('div', { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('span', { class: 'field-error', id: `${id}-error`, role: 'alert' }));
  return { wrapper, input };
}

/** Shows the page-wide message (errors of calls not tied to a field). */
export function notify(text, kind = 'info') {
  const area = document.getElementById('notice');
  area.className = `notice ${kind}`;
  area.textContent = text;
}

/**
 * Shows a failed call's error at the top of the page; a session that ended sends the person back to the sign-in form
 * (app.js listens for `trent:signed-out`).
 */
export function reportError(error) {
  notify(`${error.code ?? 'Error'}: ${error.message}`, 'error');
  if (error.code === 'SignedOut') window.dispatchEvent(new Event('trent:signed-out'));
}

/** An event handler running `work`, whose failure is reported instead of lost. */
export const guarded = (work) => async (event) => {
  try {
    await work(event);
  } catch (error) {
    reportError(error);
  }
};

/** Opens a modal dialog holding `content`; resolves when it closes. */
export function openDialog(title, content, { wide = false } = {}) {
  const heading = h('h2', { id: 'dialog-title' }, title);
  const dialog = h('dialog', { class: wide ? 'wide' : '', 'aria-labelledby': 'dialog-title' }, heading, content);
  document.body.append(dialog);
  dialog.showModal();
  return {
    dialog,
    closed: new Promise((resolve) => dialog.addEventListener('close', () => { dialog.remove(); resolve(); })),
    close: () => dialog.close(),
  };
}

/** Runs `work` for each item with at most `limit` at a time; resolves to the results in order. */
export async function eachLimited(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}
