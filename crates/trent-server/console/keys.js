// The keys page: every key of the account with its aliases, state (and deletion date), spec, origin, manager, last use
// and deletion protection; search and filters; several keys selected at once for deletion, cancellation, enabling or
// disabling; creating a key.

import { call, listAll } from './api.js';
import { cancelDeletion, eachKey, scheduleDeletion } from './deletion.js';
import { SERVICE_MANAGED_REASON, eachLimited, field, guarded, h, keyName, notify, openDialog, serviceManaged, showFieldError, stateBadge, when } from './ui.js';

/** Every key, described: { metadata, aliases, protection, lastUse }. */
async function loadKeys() {
  const [keys, aliases] = await Promise.all([
    listAll('TrentService.ListKeys', { Limit: 1000 }, 'Keys'),
    listAll('TrentService.ListAliases', { Limit: 100 }, 'Aliases'),
  ]);
  const aliasesOf = new Map();
  for (const alias of aliases) {
    if (!alias.TargetKeyId) continue;
    aliasesOf.set(alias.TargetKeyId, [...(aliasesOf.get(alias.TargetKeyId) ?? []), alias.AliasName]);
  }
  const described = await eachLimited(keys, 8, async ({ KeyId }) => {
    let metadata;
    try {
      ({ KeyMetadata: metadata } = await call('TrentService.DescribeKey', { KeyId }));
    } catch (error) {
      // Destroyed since it was listed: gone. Not readable by this person: listed as such, without actions.
      if (error.code === 'NotFoundException') return null;
      return { metadata: { KeyId, KeyState: 'Unreadable', CreationDate: 0 }, aliases: aliasesOf.get(KeyId) ?? [], unreadable: error };
    }
    const [protection, lastUse] = await Promise.all([
      call('Trent.GetDeletionProtection', { KeyId }).then((a) => a.DeletionProtection).catch(() => null),
      call('TrentService.GetKeyLastUsage', { KeyId }).then((a) => a.KeyLastUsage ?? null).catch(() => undefined),
    ]);
    return { metadata, aliases: (aliasesOf.get(KeyId) ?? []).sort(), protection, lastUse };
  });
  return described.filter(Boolean).sort((a, b) => a.metadata.CreationDate - b.metadata.CreationDate);
}

const STATES = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport', 'PendingReplicaDeletion', 'Unavailable'];

/** Which selected keys each action applies to (customer-managed keys in the state it changes). */
const PENDING = ['PendingDeletion', 'PendingReplicaDeletion'];
const APPLIES = {
  schedule: (m) => !PENDING.includes(m.KeyState),
  cancel: (m) => PENDING.includes(m.KeyState),
  enable: (m) => m.KeyState === 'Disabled',
  disable: (m) => m.KeyState === 'Enabled',
};
const actionable = (key) => !key.unreadable && !serviceManaged(key.metadata);

function matches(key, search, state, manager) {
  const text = [key.metadata.KeyId, key.metadata.Description, ...key.aliases].join(' ').toLowerCase();
  return (!search || text.includes(search.toLowerCase()))
    && (!state || key.metadata.KeyState === state)
    && (!manager || key.metadata.KeyManager === manager);
}

/** Renders the keys page into `main`. */
export async function renderKeys(main) {
  main.replaceChildren(h('h1', {}, 'Keys'), h('p', { 'aria-busy': 'true' }, 'Loading keys…'));
  let keys = await loadKeys();
  const selected = new Set();

  const search = field('key-search', 'Search', h('input', { type: 'search', placeholder: 'alias, key ID or description' }));
  const stateFilter = field('state-filter', 'State', h('select', {},
    h('option', { value: '' }, 'All states'), STATES.map((state) => h('option', { value: state }, state))));
  const managerFilter = field('manager-filter', 'Managed by', h('select', {},
    h('option', { value: '' }, 'Anyone'), h('option', { value: 'CUSTOMER' }, 'Customer'), h('option', { value: 'AWS' }, 'Service (AWS managed)')));
  const button = (id, text, cls, handler) => h('button', { type: 'button', id, class: cls, onclick: guarded(handler) }, text);
  // What an action acts on: the selected keys that are shown and in a state it changes; the others are named.
  const chosen = (action) => shown().filter((key) => selected.has(key.metadata.KeyId) && actionable(key) && APPLIES[action](key.metadata));
  const skipped = (action) => {
    const count = [...selected].length - chosen(action).length;
    return count > 0 ? [{ ok: false, text: `${count} selected key${count === 1 ? ' was' : 's were'} left alone: hidden by the filters or not in a state this action changes` }] : [];
  };
  const results = h('ul', { class: 'results', id: 'bulk-results', 'aria-live': 'polite' });

  const report = async (lines) => {
    await refresh();
    results.replaceChildren(...lines.map((line) => h('li', { class: line.ok ? 'done' : 'failed' }, line.text)));
  };
  const perKey = (action, target, verb) => async () => {
    const left = skipped(action);
    await report([...await eachKey(chosen(action), target, verb), ...left]);
  };
  const actions = {
    schedule: button('schedule-deletion', 'Schedule deletion', 'danger', async () => {
      const left = skipped('schedule');
      await scheduleDeletion(chosen('schedule'));
      await report(left);
    }),
    cancel: button('cancel-deletion', 'Cancel deletion', '', async () => report([...await cancelDeletion(chosen('cancel')), ...skipped('cancel')])),
    enable: button('enable-keys', 'Enable', '', perKey('enable', 'TrentService.EnableKey', 'enabled')),
    disable: button('disable-keys', 'Disable', '', perKey('disable', 'TrentService.DisableKey', 'disabled')),
  };
  const create = button('create-key', 'Create key', 'primary', async () => { await createKeyDialog(); await refresh(); });
  const reload = button('refresh-keys', 'Refresh', '', async () => { results.replaceChildren(); await refresh(); });

  const selectAll = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select every key shown' });
  const body = h('tbody');
  const table = h('table', { id: 'keys-table', 'aria-busy': 'false' },
    h('caption', { class: 'sr-only' }, 'Keys of this account'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, selectAll), h('th', { scope: 'col' }, 'Alias'), h('th', { scope: 'col' }, 'Key ID'),
      h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Key spec'), h('th', { scope: 'col' }, 'Origin'),
      h('th', { scope: 'col' }, 'Managed by'), h('th', { scope: 'col' }, 'Last used'), h('th', { scope: 'col' }, 'Deletion protection'))),
    body);
  const count = h('p', { id: 'keys-count', class: 'hint' });

  const shown = () => keys.filter((key) => matches(key, search.input.value.trim(), stateFilter.input.value, managerFilter.input.value));
  const updateActions = () => {
    for (const [action, control] of Object.entries(actions)) control.disabled = chosen(action).length === 0;
    count.textContent = `${shown().length} of ${keys.length} keys shown, ${selected.size} selected`;
  };
  const draw = () => {
    const rows = shown().map((key) => {
      const { metadata } = key;
      const id = metadata.KeyId;
      const managed = serviceManaged(metadata);
      const checkbox = h('input', {
        type: 'checkbox', 'aria-label': `Select ${keyName(key)}`, checked: selected.has(id), disabled: !actionable(key),
        title: managed ? SERVICE_MANAGED_REASON : undefined,
        onchange: (event) => {
          if (event.target.checked) selected.add(id); else selected.delete(id);
          draw();
          // The row was drawn again: keep the keyboard's place on its checkbox.
          body.querySelector(`tr[data-key-id="${CSS.escape(id)}"] input[type="checkbox"]`)?.focus();
        },
      });
      if (key.unreadable) {
        return h('tr', { 'data-key-id': id }, h('td', {}, checkbox), h('td', {}, key.aliases.join(', ') || '—'),
          h('td', { class: 'mono' }, id), h('td', { colspan: 6 }, `Not readable: ${key.unreadable.code}: ${key.unreadable.message}`));
      }
      const lastUsed = key.lastUse === undefined ? 'not tracked'
        : key.lastUse?.Operation ? `${key.lastUse.Operation}, ${when(key.lastUse.Timestamp)}` : 'never';
      return h('tr', { class: selected.has(id) ? 'selected' : '', 'data-key-id': id },
        h('td', {}, checkbox),
        h('td', {}, key.aliases.length ? key.aliases.join(', ') : '—'),
        h('td', { class: 'mono' }, h('a', { href: `#/keys/${encodeURIComponent(id)}` }, id)),
        h('td', {}, stateBadge(metadata)),
        h('td', {}, metadata.KeySpec),
        h('td', {}, metadata.Origin),
        h('td', {}, managed ? h('span', { title: SERVICE_MANAGED_REASON }, 'Service (read-only)') : 'Customer'),
        h('td', {}, lastUsed),
        h('td', {}, key.protection === null ? '—' : key.protection ? 'On' : 'Off'));
    });
    body.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 9 }, 'No keys match.'))]));
    selectAll.checked = rows.length > 0 && shown().every((key) => !actionable(key) || selected.has(key.metadata.KeyId));
    updateActions();
  };
  // Refreshes may overlap (a click during another): only the latest one's list is drawn.
  let latest = 0;
  async function refresh() {
    latest += 1;
    const mine = latest;
    table.setAttribute('aria-busy', 'true');
    const loaded = await loadKeys();
    if (mine !== latest) return;
    keys = loaded;
    for (const id of [...selected]) if (!keys.some((key) => key.metadata.KeyId === id)) selected.delete(id);
    draw();
    table.setAttribute('aria-busy', 'false');
  }
  selectAll.addEventListener('change', () => {
    for (const key of shown()) {
      if (!actionable(key)) continue;
      if (selectAll.checked) selected.add(key.metadata.KeyId); else selected.delete(key.metadata.KeyId);
    }
    draw();
  });
  for (const input of [search.input, stateFilter.input, managerFilter.input]) input.addEventListener('input', draw);

  main.replaceChildren(
    h('h1', {}, 'Keys'),
    h('div', { class: 'toolbar', role: 'search' }, search.wrapper, stateFilter.wrapper, managerFilter.wrapper),
    h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Actions on the selected keys' }, reload, create,
      h('span', { class: 'spacer' }), actions.enable, actions.disable, actions.cancel, actions.schedule),
    count, results, table);
  draw();
}

const KEY_SPECS = {
  SYMMETRIC_DEFAULT: 'ENCRYPT_DECRYPT', RSA_2048: 'ENCRYPT_DECRYPT', RSA_3072: 'ENCRYPT_DECRYPT', RSA_4096: 'ENCRYPT_DECRYPT',
  ECC_NIST_P256: 'SIGN_VERIFY', ECC_NIST_P384: 'SIGN_VERIFY', ECC_NIST_P521: 'SIGN_VERIFY', ECC_SECG_P256K1: 'SIGN_VERIFY',
  HMAC_256: 'GENERATE_VERIFY_MAC', HMAC_512: 'GENERATE_VERIFY_MAC',
};

/** The create-key dialog: description, key spec (and its usage), an optional alias. */
async function createKeyDialog() {
  const description = field('new-key-description', 'Description', h('input', { maxlength: 8192 }));
  const spec = field('new-key-spec', 'Key spec', h('select', {}, Object.keys(KEY_SPECS).map((name) => h('option', { value: name }, name))));
  const usage = field('new-key-usage', 'Key usage', h('select', {}));
  const fillUsages = () => {
    const usages = spec.input.value.startsWith('RSA') ? ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'] : [KEY_SPECS[spec.input.value]];
    usage.input.replaceChildren(...usages.map((name) => h('option', { value: name }, name)));
  };
  spec.input.addEventListener('input', fillUsages);
  fillUsages();
  const alias = field('new-key-alias', 'Alias (optional)', h('input', { placeholder: 'alias/orders', spellcheck: 'false' }));
  const submit = h('button', { type: 'submit', class: 'primary', id: 'create-submit' }, 'Create key');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', {}, description.wrapper, spec.wrapper, usage.wrapper, alias.wrapper, h('div', { class: 'actions' }, cancel, submit));
  const { closed, close } = openDialog('Create key', form);
  cancel.addEventListener('click', close);
  description.input.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const request = { Description: description.input.value, KeySpec: spec.input.value, KeyUsage: usage.input.value };
      const { KeyMetadata } = await call('TrentService.CreateKey', request);
      const name = alias.input.value.trim();
      if (name) {
        try {
          await call('TrentService.CreateAlias', { AliasName: name, TargetKeyId: KeyMetadata.KeyId });
        } catch (error) {
          showFieldError(alias.input, `The key ${KeyMetadata.KeyId} was created, but the alias was refused: ${error.code}: ${error.message}`);
          submit.remove();
          return;
        }
      }
      notify(`Created key ${name || KeyMetadata.KeyId}.`, 'ok');
      close();
    } catch (error) {
      showFieldError(description.input, error);
      submit.disabled = false;
    }
  });
  await closed;
}
