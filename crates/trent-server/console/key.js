// A key's page: metadata and state changes, deletion protection, aliases, tags, description, the key policy (read and
// edit), rotation, usage over time as a chart with attempts while disabled or pending, the key's audit events, and its
// retirement plan. A service-managed key is shown read-only, with the reason.

import { call, listAll } from './api.js';
import { cancelDeletion, scheduleDeletion } from './deletion.js';
import { CRYPTOGRAPHIC, SERVICE_MANAGED_REASON, clearFieldError, field, guarded, h, notify, reportError, s, serviceManaged, showFieldError, stateBadge, when } from './ui.js';

const COLOURS = ['#1d4ed8', '#0f766e', '#7c3aed', '#c2410c', '#0369a1', '#4d7c0f', '#be185d', '#475569'];
const REFUSED_COLOUR = '#b91c1c';
const CHART_DAYS = 30;

/** Cryptographic calls per day by operation (successes stacked by operation, failures in red), for the last 30 days. */
export function usageChart(usage) {
  const byDay = Object.fromEntries(Object.entries(usage.ByDay ?? {}).map(([day, operations]) =>
    [day, Object.fromEntries(Object.entries(operations).filter(([operation]) => CRYPTOGRAPHIC.has(operation)))]));
  const days = [];
  const today = Date.now();
  for (let back = CHART_DAYS - 1; back >= 0; back -= 1) days.push(new Date(today - back * 86_400_000).toISOString().slice(0, 10));
  // Days the server's clock reached past the viewer's (a dev clock moved forward) are shown too.
  for (const day of Object.keys(byDay).sort()) if (day > days[days.length - 1]) days.push(day);
  const operations = [...new Set(Object.values(byDay).flatMap((ops) => Object.keys(ops)))].sort();
  const colour = (operation) => COLOURS[operations.indexOf(operation) % COLOURS.length];
  const totals = days.map((day) => Object.values(byDay[day] ?? {}).reduce((sum, c) => sum + (c.Succeeded ?? 0) + (c.Failed ?? 0), 0));
  const max = Math.max(1, ...totals);
  const width = 900;
  const height = 220;
  const bar = (width - 40) / days.length;
  const y = (count) => (height - 30) * (count / max);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title' },
    s('title', { id: 'chart-title' }, `Cryptographic calls per UTC day for the last ${days.length} days (failed calls in red)`));
  days.forEach((day, index) => {
    let top = height - 20;
    const x = 30 + index * bar;
    for (const operation of operations) {
      const counts = byDay[day]?.[operation];
      if (!counts) continue;
      for (const [kind, count] of [['succeeded', counts.Succeeded ?? 0], ['failed', counts.Failed ?? 0]]) {
        if (!count) continue;
        const tall = Math.max(2, y(count));
        top -= tall;
        svg.append(s('rect', {
          x: x + 1, y: top, width: Math.max(1, bar - 2), height: tall,
          fill: kind === 'failed' ? REFUSED_COLOUR : colour(operation), 'data-day': day, 'data-operation': operation, 'data-kind': kind,
        }, s('title', {}, `${day}: ${operation} ${kind} ${count}`)));
      }
    }
    if (index % 5 === 0 || index === days.length - 1) {
      svg.append(s('text', { x, y: height - 4, 'font-size': 11, fill: '#374151' }, day.slice(5)));
    }
  });
  svg.append(s('text', { x: 0, y: 12, 'font-size': 11, fill: '#374151' }, String(max)));
  svg.append(s('text', { x: width - 70, y: 12, 'font-size': 11, fill: '#374151' }, 'days in UTC'));
  svg.append(s('line', { x1: 28, y1: height - 20, x2: width, y2: height - 20, stroke: '#6b7280' }));
  const legend = h('div', { class: 'legend' }, operations.map((operation) => {
    const item = h('span', {}, operation);
    item.style.setProperty('--swatch', colour(operation));
    return item;
  }));
  const failed = h('span', {}, 'failed (refused while disabled or pending deletion, or another error)');
  failed.style.setProperty('--swatch', REFUSED_COLOUR);
  legend.append(failed);
  return h('div', { class: 'chart', id: 'usage-chart' }, svg, legend);
}

function refusedTable(attempts) {
  if (!attempts?.length) return h('p', { id: 'refused-attempts' }, 'No call was refused because the key was disabled or pending deletion.');
  return h('table', { id: 'refused-attempts' },
    h('caption', {}, 'Attempts while disabled or pending deletion'),
    h('thead', {}, h('tr', {}, ['Time', 'Operation', 'Principal', 'Source', 'State', 'Error'].map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, attempts.slice(-50).reverse().map((a) => h('tr', {},
      h('td', {}, when(a.Time)), h('td', {}, a.Operation), h('td', { class: 'mono' }, a.Principal),
      h('td', {}, a.SourceIPAddress), h('td', {}, a.KeyState), h('td', {}, a.ErrorCode)))));
}

/**
 * The key's last `count` audit events of the last 30 days, newest first. The trail pages oldest first, so the
 * windows widen from the last hour until one holds enough; a window too busy to read whole is said to be.
 */
async function lastEvents(arn, count) {
  const now = Math.floor(Date.now() / 1000);
  let events = [];
  for (const seconds of [3_600, 86_400, 30 * 86_400]) {
    events = await listAll('Trent.ListAuditEvents', { KeyId: arn, StartTime: now - seconds, Limit: 1000 }, 'Events');
    if (events.length >= count || events.incomplete) break;
  }
  const newest = events.slice(-count).reverse();
  newest.incomplete = events.incomplete;
  return newest;
}

function section(id, title, ...children) {
  return h('section', { class: 'card', 'aria-labelledby': `${id}-title`, id }, h('h2', { id: `${id}-title` }, title), ...children);
}

/** Renders the page of `keyId` into `main`. */
export async function renderKey(main, keyId) {
  main.replaceChildren(h('p', { 'aria-busy': 'true' }, 'Loading the key…'));
  const { KeyMetadata: metadata } = await call('TrentService.DescribeKey', { KeyId: keyId });
  const arn = metadata.Arn;
  const readOnly = serviceManaged(metadata);
  const optional = (promise) => promise.catch((error) => ({ error }));
  const [aliases, tags, policy, rotation, protection, usage, retirement, events] = await Promise.all([
    optional(listAll('TrentService.ListAliases', { KeyId: metadata.KeyId }, 'Aliases')),
    optional(listAll('TrentService.ListResourceTags', { KeyId: arn }, 'Tags')),
    optional(call('TrentService.GetKeyPolicy', { KeyId: arn, PolicyName: 'default' })),
    optional(call('TrentService.GetKeyRotationStatus', { KeyId: arn })),
    optional(call('Trent.GetDeletionProtection', { KeyId: arn })),
    optional(call('Trent.GetKeyUsage', { KeyId: arn })),
    optional(call('Trent.GetKeyRetirement', { KeyId: arn })),
    optional(lastEvents(arn, 50)),
  ]);
  const reload = () => renderKey(main, keyId);
  const act = (target, body, done, { withKey = true } = {}) => guarded(async () => {
    try {
      await call(target, withKey ? { KeyId: arn, ...body } : body);
      notify(done, 'ok');
    } catch (error) {
      reportError(error);
    }
    await reload();
  });
  const state = metadata.KeyState;
  const unavailable = (result) => h('p', { class: 'readonly' }, `Not available: ${result.error.code}: ${result.error.message}`);

  // Header and state changes.
  const thisKey = { metadata, aliases: aliases.error ? [] : aliases.map((a) => a.AliasName) };
  const buttons = readOnly ? [] : [
    state === 'Enabled' ? h('button', { type: 'button', id: 'disable-key', onclick: act('TrentService.DisableKey', {}, 'Key disabled.') }, 'Disable') : null,
    state === 'Disabled' ? h('button', { type: 'button', id: 'enable-key', onclick: act('TrentService.EnableKey', {}, 'Key enabled.') }, 'Enable') : null,
    state === 'PendingDeletion' ? h('button', {
      type: 'button', id: 'cancel-key-deletion',
      onclick: guarded(async () => { const [line] = await cancelDeletion([thisKey]); notify(line.text, line.ok ? 'ok' : 'error'); await reload(); }),
    }, 'Cancel deletion') : null,
    state !== 'PendingDeletion' ? h('button', {
      type: 'button', class: 'danger', id: 'schedule-key-deletion',
      onclick: guarded(async () => { await scheduleDeletion([thisKey]); await reload(); }),
    }, 'Schedule deletion') : null,
  ];
  const header = h('div', { class: 'toolbar' },
    h('h1', {}, aliases.error || !aliases.length ? metadata.KeyId : aliases[0].AliasName), stateBadge(metadata),
    h('span', { class: 'spacer' }), buttons);

  // General.
  const description = field('key-description', 'Description', h('input', { value: metadata.Description ?? '', disabled: readOnly, size: 60 }));
  const saveDescription = h('button', { type: 'button', id: 'save-description', disabled: readOnly }, 'Save description');
  saveDescription.addEventListener('click', guarded(async () => {
    clearFieldError(description.input);
    try {
      await call('TrentService.UpdateKeyDescription', { KeyId: arn, Description: description.input.value });
      notify('Description saved.', 'ok');
    } catch (error) {
      showFieldError(description.input, error);
    }
  }));
  const protectionOn = !protection.error && protection.DeletionProtection;
  const general = section('general', 'General',
    readOnly ? h('p', { class: 'warning' }, SERVICE_MANAGED_REASON) : null,
    h('dl', { class: 'grid' }, ...[
      ['ARN', h('span', { class: 'mono' }, arn)], ['Key ID', h('span', { class: 'mono' }, metadata.KeyId)],
      ['Created', when(metadata.CreationDate)], ['Key spec', metadata.KeySpec], ['Key usage', metadata.KeyUsage],
      ['Origin', metadata.Origin], ['Managed by', readOnly ? 'Service (read-only)' : 'Customer'],
      ['Multi-Region', metadata.MultiRegion ? (metadata.MultiRegionConfiguration?.MultiRegionKeyType ?? 'yes') : 'no'],
      ['Deletion date', metadata.DeletionDate ? when(metadata.DeletionDate) : '—'],
      ['Deletion protection', protection.error ? '—' : protectionOn ? 'On' : 'Off'],
    ].flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value)])),
    h('div', { class: 'inline' }, description.wrapper, saveDescription),
    readOnly || state === 'PendingDeletion' ? null : h('button', {
      type: 'button', id: 'toggle-protection',
      onclick: act('Trent.SetDeletionProtection', { Enabled: !protectionOn }, protectionOn ? 'Deletion protection turned off.' : 'Deletion protection turned on.'),
    }, protectionOn ? 'Turn deletion protection off' : 'Turn deletion protection on'));

  // Aliases.
  const aliasName = field('alias-name', 'New alias', h('input', { placeholder: 'alias/name', spellcheck: 'false' }));
  const addAlias = h('button', { type: 'button', id: 'add-alias', disabled: readOnly }, 'Add alias');
  addAlias.addEventListener('click', guarded(async () => {
    clearFieldError(aliasName.input);
    try {
      await call('TrentService.CreateAlias', { AliasName: aliasName.input.value.trim(), TargetKeyId: metadata.KeyId });
      await reload();
    } catch (error) {
      showFieldError(aliasName.input, error);
    }
  }));
  const aliasSection = section('aliases', 'Aliases',
    aliases.error ? unavailable(aliases) : h('ul', {}, aliases.length ? aliases.map((alias) => h('li', { class: 'inline' }, alias.AliasName,
      readOnly ? null : h('button', { type: 'button', onclick: act('TrentService.DeleteAlias', { AliasName: alias.AliasName }, 'Alias removed.', { withKey: false }) }, `Remove ${alias.AliasName}`)))
      : h('li', {}, 'No aliases.')),
    readOnly ? null : h('div', { class: 'inline' }, aliasName.wrapper, addAlias));

  // Tags.
  const tagKey = field('tag-key', 'Tag key', h('input', { spellcheck: 'false' }));
  const tagValue = field('tag-value', 'Tag value', h('input', { spellcheck: 'false' }));
  const addTag = h('button', { type: 'button', id: 'add-tag' }, 'Add tag');
  addTag.addEventListener('click', guarded(async () => {
    clearFieldError(tagKey.input);
    try {
      await call('TrentService.TagResource', { KeyId: arn, Tags: [{ TagKey: tagKey.input.value, TagValue: tagValue.input.value }] });
      await reload();
    } catch (error) {
      showFieldError(tagKey.input, error);
    }
  }));
  const tagSection = section('tags', 'Tags',
    tags.error ? unavailable(tags) : h('ul', {}, tags.length ? tags.map((tag) => h('li', { class: 'inline' }, `${tag.TagKey} = ${tag.TagValue}`,
      readOnly ? null : h('button', { type: 'button', onclick: act('TrentService.UntagResource', { TagKeys: [tag.TagKey] }, 'Tag removed.') }, `Remove ${tag.TagKey}`)))
      : h('li', {}, 'No tags.')),
    readOnly ? null : h('div', { class: 'inline' }, tagKey.wrapper, tagValue.wrapper, addTag));

  // Key policy.
  const policyText = field('key-policy', 'Policy document (JSON)', h('textarea', { spellcheck: 'false', disabled: readOnly }));
  if (!policy.error) {
    try {
      policyText.input.value = JSON.stringify(JSON.parse(policy.Policy), null, 2);
    } catch {
      policyText.input.value = policy.Policy;
    }
  }
  const savePolicy = h('button', { type: 'button', id: 'save-policy', class: 'primary', disabled: readOnly }, 'Save policy');
  savePolicy.addEventListener('click', guarded(async () => {
    clearFieldError(policyText.input);
    try {
      // Sent as written: the server judges it (a policy that is not JSON is its MalformedPolicyDocumentException).
      await call('TrentService.PutKeyPolicy', { KeyId: arn, PolicyName: 'default', Policy: policyText.input.value });
      notify('Key policy saved.', 'ok');
    } catch (error) {
      showFieldError(policyText.input, error);
    }
  }));
  const policySection = section('policy', 'Key policy', policy.error ? unavailable(policy) : [policyText.wrapper, readOnly ? null : savePolicy]);

  // Rotation.
  const rotationOn = !rotation.error && rotation.KeyRotationEnabled;
  const rotationSection = section('rotation', 'Automatic rotation',
    rotation.error ? unavailable(rotation) : [
      h('p', {}, rotationOn ? `On, every ${rotation.RotationPeriodInDays ?? 365} days; next ${when(rotation.NextRotationDate)}.` : 'Off.'),
      readOnly ? null : h('button', {
        type: 'button', id: 'toggle-rotation',
        onclick: act(rotationOn ? 'TrentService.DisableKeyRotation' : 'TrentService.EnableKeyRotation', {}, rotationOn ? 'Rotation turned off.' : 'Rotation turned on.'),
      }, rotationOn ? 'Turn rotation off' : 'Turn rotation on'),
    ]);

  // Usage.
  const usageSection = section('usage', 'Usage (last 30 days)', usage.error ? unavailable(usage) : [
    usage.Tracking === false ? h('p', { class: 'warning' }, 'This server does not record calls: the chart shows only what is always recorded.') : null,
    h('p', {}, `Last cryptographic use: ${usage.LastUse ? `${usage.LastUse.Operation}, ${when(usage.LastUse.Timestamp)}` : 'never'}. ` +
      `Calls of any kind naming the key: ${usage.Calls?.Succeeded ?? 0} succeeded, ${usage.Calls?.Failed ?? 0} failed, since ${when(usage.TrackingStartDate)}.` +
      (usage.PublicKeyDownloads ? ` Public key downloads: ${usage.PublicKeyDownloads.Count}.` : '')),
    h('p', { class: 'hint' }, 'The chart counts only operations that use the key\'s material; reads such as this page\'s own do not count as use.'),
    usageChart(usage),
    refusedTable(usage.RefusedAttempts),
  ]);

  // Retirement plan.
  const plan = retirement.error ? null : retirement.Retirement;
  const retirementSection = section('retirement', 'Retirement plan', retirement.error
    ? h('p', {}, retirement.error.code === 'NotFoundException' ? 'No retirement plan was started for this key.' : `Not available: ${retirement.error.message}`)
    : h('dl', { class: 'grid', id: 'retirement-plan' }, ...Object.entries(plan).filter(([, v]) => typeof v !== 'object')
      .flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, /Date|At$|Until|Time/.test(name) && typeof value === 'number' ? when(value) : String(value))])));

  // Audit events.
  const records = events.error ? [] : events;
  const auditSection = section('audit', 'Audit events (last 30 days, newest first)', events.error ? unavailable(events) : [
    events.incomplete ? h('p', { class: 'warning' }, 'This key has more events than the console reads at once: these are not the newest. `trent audit export --key` lists them all.') : null,
    h('table', { id: 'audit-events' },
      h('thead', {}, h('tr', {}, ['Time (UTC)', 'Event', 'Principal', 'Source', 'Outcome'].map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, records.length ? records.map((record) => h('tr', {},
        h('td', {}, record.eventTime), h('td', {}, record.eventName),
        h('td', { class: 'mono' }, record.userIdentity?.arn ?? record.userIdentity?.principalId ?? '—'),
        h('td', {}, record.sourceIPAddress ?? '—'),
        h('td', {}, record.errorCode ? `${record.errorCode}` : 'ok'))) : h('tr', {}, h('td', { colspan: 5 }, 'No events.')))),
  ]);

  main.replaceChildren(h('p', {}, h('a', { href: '#/keys' }, '← All keys')), header, general, usageSection, policySection,
    rotationSection, aliasSection, tagSection, retirementSection, auditSection);
}
