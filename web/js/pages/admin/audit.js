// Admin: the audit log (users:manage) — who did what, to what, from where, newest first. The
// filters (action or group of actions, target, actor, time range) and the page live in the
// address, so a filtered view can be reloaded, shared, and gone back to.
import { get, queryString } from '../../api.js';
import { hasPerm } from '../../state.js';
import { h, field, formError, onSubmit, values, emptyState, showErrors, showFieldProblems, clearErrors } from '../../dom.js';
import { parseInteger, describeAgent, localInputValue, isoFromLocalInput } from '../../format.js';
import { setQuery } from '../../router.js';
import { ACTION_GROUPS, TARGET_TYPES, targetLabel, nothing, eventTime, eventAction, eventDetails } from '../../audit.js';
import { shell, pagedList, dataTable } from './common.js';

const FILTERS = ['action', 'targetType', 'targetId', 'actorId', 'from', 'to'];
const PER_PAGE = 20;

/** The filters in the address; unreadable times and unknown target types are dropped. */
function readQuery(query) {
  const f = {};
  for (const key of FILTERS) f[key] = (query.get(key) || '').trim();
  if (!TARGET_TYPES.some((t) => t.value === f.targetType)) f.targetType = '';
  for (const key of ['from', 'to']) {
    const t = f[key] ? new Date(f[key]) : null;
    f[key] = t && !Number.isNaN(t.getTime()) ? t.toISOString() : '';
  }
  return f;
}

/** "All actions", the groups (`auth.`), then each action under its group. */
function actionOptions(current) {
  const known = new Set(ACTION_GROUPS.flatMap((g) => [g.prefix, ...g.actions.map(([id]) => id)]));
  return [
    { value: '', label: 'All actions' },
    { label: 'Groups', options: ACTION_GROUPS.map((g) => ({ value: g.prefix, label: `${g.all} (${g.prefix}*)` })) },
    ...ACTION_GROUPS.map((g) => ({ label: g.label, options: g.actions.map(([id, label]) => ({ value: id, label: `${label} (${id})` })) })),
    // An action from a newer server, typed into the address: keep it selectable.
    current && !known.has(current) ? { value: current, label: current } : null,
  ].filter(Boolean);
}

/** The page of the app an event's target has, if any (a deleted thing has none). */
function targetPage(e) {
  const { type, id } = e.target;
  if (/[._]deleted$/.test(e.action)) return null;
  if (type === 'product') return `/products/${id}`;
  if (type === 'category') return `/catalog?category=${id}`;
  if (type === 'order' && hasPerm('orders:manage')) return `/orders/${id}`;
  return null;
}

function timeZoneHint() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone ? `In your time zone (${zone}).` : 'In your time zone.';
}

export async function adminAuditPage(ctx) {
  const filters = readQuery(ctx.query);
  const firstPage = Math.max(1, Number(ctx.query.get('page')) || 1);
  const area = h('div');
  // The first load only tidies the address; each later change is a step back can undo.
  let settled = false;

  /** This page's address with some filters set (and the first page). */
  const hrefWith = (patch) => `/admin/audit${queryString({ ...filters, ...patch })}`;

  const form = h('form', { class: 'filters filters-wide', test: 'audit-filters', role: 'search', 'aria-label': 'Filter events' },
    formError(),
    h('div', { class: 'audit-filter-row' },
      field({
        name: 'action', label: 'Action', type: 'select', value: filters.action, options: actionOptions(filters.action),
        class: 'audit-filter-action', test: 'audit-filter-action',
      }),
      field({
        name: 'targetType', label: 'Target type', type: 'select', value: filters.targetType, test: 'audit-filter-target-type',
        options: [{ value: '', label: 'Any target' }, ...TARGET_TYPES],
      }),
      field({ name: 'targetId', label: 'Target ID', value: filters.targetId, inputmode: 'numeric', placeholder: 'Any', test: 'audit-filter-target-id' }),
      field({ name: 'actorId', label: 'Actor’s user ID', value: filters.actorId, inputmode: 'numeric', placeholder: 'Anyone', test: 'audit-filter-actor-id' }),
      h('div', { class: 'audit-range' },
        field({ name: 'from', label: 'From', type: 'datetime-local', value: localInputValue(filters.from), hint: timeZoneHint(), test: 'audit-filter-from' }),
        field({ name: 'to', label: 'To', type: 'datetime-local', value: localInputValue(filters.to), hint: 'Up to the end of that minute.', test: 'audit-filter-to' }))),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'audit-filter-apply' }, 'Apply filters'),
      h('button', { type: 'button', class: 'btn btn-ghost', test: 'audit-filter-reset', onClick: reset }, 'Reset')));

  const summary = h('summary', { class: 'filters-summary', test: 'audit-filters-summary' });
  const paintSummary = () => {
    const active = FILTERS.filter((k) => filters[k]).length;
    summary.textContent = active ? `Filters (${active})` : 'Filters';
  };
  paintSummary();
  // Open on a wide screen; on a phone the filters would fill the first screen, so they start folded.
  const filtersCard = h('details', { class: 'card filters-card', open: !window.matchMedia('(max-width: 860px)').matches }, summary, form);

  function readForm() {
    const v = values(form);
    const problems = {};
    const next = { action: v.action, targetType: v.targetType, targetId: '', actorId: '', from: '', to: '' };
    for (const [key, label] of [['targetId', 'a target ID (a number)'], ['actorId', 'a user ID (a number)']]) {
      if (!v[key].trim()) continue;
      const id = parseInteger(v[key], { min: 1, label });
      if (id.error) problems[key] = id.error; else next[key] = String(id.value);
    }
    for (const key of ['from', 'to']) {
      if (form.elements.namedItem(key).validity?.badInput) { problems[key] = 'Enter a whole date and time, or clear the field.'; continue; }
      if (!v[key]) continue;
      const iso = isoFromLocalInput(v[key], { end: key === 'to' });
      if (iso) next[key] = iso; else problems[key] = 'Enter a date and time.';
    }
    if (next.from && next.to && next.to < next.from) problems.to = 'Choose a time after “From”.';
    if (Object.keys(problems).length) { showFieldProblems(form, problems); return null; }
    return next;
  }

  onSubmit(form, async () => {
    const next = readForm();
    if (!next) return;
    Object.assign(filters, next);
    paintSummary();
    await list.first();
  }, { busyLabel: 'Filtering…' });
  for (const name of ['action', 'targetType']) {
    form.elements.namedItem(name).addEventListener('change', () => form.requestSubmit());
  }

  function reset() {
    clearErrors(form);
    for (const key of FILTERS) {
      filters[key] = '';
      form.elements.namedItem(key).value = '';
    }
    paintSummary();
    list.first().catch((err) => { if (err.status !== 401) showErrors(form, err); });
  }

  const actorCell = (actor) => {
    if (!actor) return nothing('No signed-in user');
    // The name as it was then; the server may not have one (then the id alone names them).
    const name = actor.username || `User #${actor.id}`;
    return h('span', { class: 'audit-who' },
      h('a', { href: hrefWith({ actorId: actor.id }), class: 'strong', test: 'audit-actor-link', 'aria-label': `Show only events by ${name}` }, name),
      actor.username ? h('span', { class: 'muted' }, `#${actor.id}`) : null);
  };

  const targetCell = (e) => {
    if (!e.target) return nothing('None');
    const label = targetLabel(e.target);
    const page = targetPage(e);
    return h('span', { class: 'audit-who' },
      h('a', {
        href: hrefWith({ targetType: e.target.type, targetId: e.target.id }), class: 'audit-target', test: 'audit-target-link',
        'aria-label': `Show only events about ${label}`,
      }, label),
      page ? h('a', { href: page, class: 'link-subtle', test: 'audit-target-open', 'aria-label': `Open ${label}` }, 'Open') : null);
  };

  const whereCell = (e) => {
    if (!e.ip && !e.userAgent) return nothing('Not recorded');
    return h('span', { class: 'audit-where' },
      h('span', { test: 'event-ip' }, e.ip || 'Unknown address'),
      e.userAgent ? h('span', { class: 'muted audit-agent', title: e.userAgent, test: 'event-agent' }, describeAgent(e.userAgent)) : null);
  };

  const row = (e) => h('tr', {
    test: 'audit-row',
    dataset: { eventId: e.id, action: e.action, actorId: e.actor?.id, targetType: e.target?.type, targetId: e.target?.id },
  },
    h('th', { scope: 'row', class: 'nowrap', 'data-label': 'Time' }, eventTime(e.at)),
    h('td', { 'data-label': 'Actor', test: 'audit-actor' }, actorCell(e.actor)),
    h('td', { 'data-label': 'Action' }, eventAction(e.action)),
    h('td', { 'data-label': 'Target', test: 'audit-target' }, targetCell(e)),
    h('td', { 'data-label': 'Address', test: 'audit-where' }, whereCell(e)),
    h('td', { 'data-label': 'Details', class: 'audit-details-cell' }, eventDetails(e.details)));

  const list = pagedList({
    area,
    fetchPage: (page) => {
      setQuery({ ...filters, page: page > 1 ? page : '' }, { replace: !settled });
      return get('/audit', { ...filters, page, perPage: PER_PAGE });
    },
    empty: () => {
      const filtered = FILTERS.some((k) => filters[k]);
      return emptyState({
        title: filtered ? 'No events match these filters' : 'Nothing has been logged yet',
        text: filtered
          ? 'Widen the time range, or choose another action, target or actor.'
          : 'Sign-ins and changes to users, the catalog, orders and assets appear here as they happen.',
        test: 'audit-empty',
        iconName: 'search',
        action: filtered ? h('button', { type: 'button', class: 'btn btn-secondary', test: 'audit-empty-reset', onClick: reset }, 'Clear filters') : null,
      });
    },
    renderItems: (items) => dataTable({
      test: 'audit-table', label: 'Audit events', className: 'audit-table', actions: false,
      columns: ['Time', 'Actor', 'Action', 'Target', 'Address', 'Details'],
      rows: items.map(row),
    }),
  });

  shell(ctx, 'audit', 'Audit log', 'Who did what, to what and from where, newest first.', filtersCard, area);
  try {
    await list.load(firstPage);
  } catch (err) {
    // A filter the server refuses (an address edited by hand): say which, beside its field.
    if (err.status !== 400) throw err;
    filtersCard.open = true;
    showErrors(form, err, { focus: false });
    area.replaceChildren();
  }
  settled = true;
}
