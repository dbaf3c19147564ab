// Scheduling and cancelling key deletion, for one key or several: the dialog with the warning, each key's evidence of
// use in the last 30 days, the waiting period, a typed confirmation, and a result per key.

import { call } from './api.js';
import { CRYPTOGRAPHIC, SERVICE_MANAGED_REASON, clearFieldError, eachLimited, field, h, keyName, openDialog, serviceManaged, showFieldError, when } from './ui.js';

const DAY_MS = 86_400_000;
const CONFIRMATION = 'delete';


/** What a key's usage evidence says about the last 30 days (wall-clock days, UTC), as a line of text. */
function usageSummary(usage) {
  if (!usage) return 'Usage unknown (the evidence could not be read).';
  if (usage.Tracking === false) return 'Calls are not recorded on this server: no evidence of use.';
  const since = new Date(Date.now() - 30 * DAY_MS).toISOString().slice(0, 10);
  const used = new Map();
  let refused = 0;
  for (const [day, operations] of Object.entries(usage.ByDay ?? {})) {
    if (day < since) continue;
    for (const [operation, counts] of Object.entries(operations)) {
      if (!CRYPTOGRAPHIC.has(operation)) continue;
      if (counts.Succeeded) used.set(operation, (used.get(operation) ?? 0) + counts.Succeeded);
      refused += counts.Failed ?? 0;
    }
  }
  const uses = [...used].map(([operation, count]) => `${operation} ×${count}`).join(', ');
  const parts = [uses ? `used in the last 30 days: ${uses}` : 'no cryptographic use in the last 30 days'];
  if (refused) parts.push(`${refused} cryptographic call${refused === 1 ? '' : 's'} failed`);
  parts.push(usage.LastUse ? `last use ${usage.LastUse.Operation}, ${when(usage.LastUse.Timestamp)}` : 'never used');
  const downloads = usage.PublicKeyDownloads;
  if (downloads?.Count) {
    parts.push(`public key downloaded ${downloads.Count} time${downloads.Count === 1 ? '' : 's'}, last ${when(downloads.LastTime)}: data encrypted or signatures made with it outlive the key`);
  }
  return `${parts.join('; ')}.`;
}

/** Opens the schedule-deletion dialog for `keys` ({ metadata, aliases }); resolves once it is closed. */
export async function scheduleDeletion(keys) {
  const deletable = keys.filter((key) => !serviceManaged(key.metadata));
  const refused = keys.filter((key) => serviceManaged(key.metadata));
  const usages = await eachLimited(deletable, 6, (key) =>
    call('Trent.GetKeyUsage', { KeyId: key.metadata.Arn }).catch(() => null));

  const period = field('waiting-period', 'Waiting period (days)',
    h('input', { value: '30', inputmode: 'numeric', size: 4 }),
    'Between 7 and 30 days. Until it ends you can cancel, and the keys cannot be used.');
  const confirmation = field('deletion-confirmation', `Type "${CONFIRMATION}" to confirm`,
    h('input', { autocomplete: 'off', spellcheck: 'false' }));
  const confirmLabel = h('p', { id: 'deletion-summary' });
  const describe = () => {
    const days = period.input.value.trim() || '?';
    confirmLabel.textContent = `Confirm you want to schedule ${deletable.length === 1 ? 'this key' : `these ${deletable.length} keys`} for deletion in ${days} days.`;
  };
  period.input.addEventListener('input', describe);
  describe();

  const rows = deletable.map((key, index) => h('tr', { 'data-key-id': key.metadata.KeyId },
    h('td', {}, keyName(key), h('div', { class: 'mono' }, key.metadata.KeyId)),
    h('td', {}, key.metadata.KeyState),
    h('td', { class: 'usage' }, usageSummary(usages[index]))));
  const results = h('ul', { class: 'results', id: 'deletion-results', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'danger', id: 'schedule-submit' }, 'Schedule deletion');
  const cancel = h('button', { type: 'button', id: 'schedule-cancel' }, 'Cancel');
  const form = h('form', {},
    h('div', { class: 'warning' },
      h('p', {}, 'Deleting a key destroys its key material, aliases and metadata for good once the waiting period ends. ' +
        'Whatever was encrypted under it can never be decrypted again, by anyone.'),
      h('p', {}, 'If you are not sure the key is unused, disable it instead and watch for refused calls: the evidence below and on each key\'s page shows who still uses it.')),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Key'), h('th', {}, 'State'), h('th', {}, 'Use (evidence)'))), h('tbody', {}, rows)),
    refused.length ? h('ul', { class: 'results' }, refused.map((key) => h('li', { class: 'failed' }, `${keyName(key)}: ${SERVICE_MANAGED_REASON}`))) : null,
    period.wrapper, confirmLabel, confirmation.wrapper, results,
    h('div', { class: 'actions' }, cancel, submit));
  const { dialog, closed, close } = openDialog(`Schedule key deletion (${deletable.length} key${deletable.length === 1 ? '' : 's'})`, form, { wide: true });
  cancel.addEventListener('click', close);
  if (!deletable.length) submit.disabled = true;
  period.input.focus();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldError(period.input);
    clearFieldError(confirmation.input);
    const days = Number(period.input.value.trim());
    if (period.input.value.trim() === '' || !Number.isInteger(days)) {
      showFieldError(period.input, 'Enter a whole number of days.');
      return;
    }
    if (confirmation.input.value.trim() !== CONFIRMATION) {
      showFieldError(confirmation.input, `Type ${CONFIRMATION} to confirm.`);
      return;
    }
    submit.disabled = true;
    results.replaceChildren();
    for (const [index, key] of deletable.entries()) {
      try {
        const answer = await call('TrentService.ScheduleKeyDeletion', { KeyId: key.metadata.Arn, PendingWindowInDays: days });
        results.append(h('li', { class: 'done' }, `${keyName(key)}: scheduled, deletes ${when(answer.DeletionDate)}`));
      } catch (error) {
        // A refused waiting period is refused for every key: show it beside the field, nothing was changed.
        if (index === 0 && error.code === 'ValidationException' && /PendingWindowInDays/i.test(error.message)) {
          showFieldError(period.input, error);
          submit.disabled = false;
          return;
        }
        results.append(h('li', { class: 'failed' }, `${keyName(key)}: ${error.code}: ${error.message}`));
      }
    }
    submit.remove();
    cancel.textContent = 'Close';
    cancel.classList.add('primary');
    cancel.focus();
  });
  await closed;
  return dialog;
}

/** Calls `target` for each of `keys`; resolves to a result line per key (`done` on success, else the error). */
export function eachKey(keys, target, done) {
  return eachLimited(keys, 4, async (key) => {
    try {
      await call(target, { KeyId: key.metadata.Arn });
      return { ok: true, text: `${keyName(key)}: ${done}` };
    } catch (error) {
      return { ok: false, text: `${keyName(key)}: ${error.code}: ${error.message}` };
    }
  });
}

/** Cancels the deletion of each of `keys`; resolves to a result line per key. Cancelled keys come back Disabled. */
export const cancelDeletion = (keys) =>
  eachKey(keys, 'TrentService.CancelKeyDeletion', 'deletion cancelled; the key is Disabled until you enable it');
