// Admin: the mail outbox (users:manage) — who was mailed what, and whether it went out. Only the
// metadata: the API never gives a mail's body or link, and neither does this page.
import { get } from '../../api.js';
import { h, field, emptyState, badge, actionError, withButton } from '../../dom.js';
import { dateTime, relativeTime, number } from '../../format.js';
import { setQuery } from '../../router.js';
import { shell, pagedList, dataTable } from './common.js';

const TEMPLATES = {
  verify_email: 'Verify email',
  email_changed: 'Email changed notice',
  password_reset: 'Password reset',
  password_changed: 'Password changed notice',
};

const STATUSES = [
  { value: 'queued', label: 'Queued', kind: 'warning' },
  { value: 'sent', label: 'Sent', kind: 'success' },
  { value: 'failed', label: 'Failed', kind: 'danger' },
];

function statusBadge(status) {
  const s = STATUSES.find((x) => x.value === status);
  const el = badge(s ? s.label : status, s ? s.kind : 'neutral', 'admin-mail-status-badge');
  el.classList.add('badge-status');
  el.dataset.status = status;
  return el;
}

function when(at) {
  if (!at) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: at, title: dateTime(at) }, relativeTime(at));
}

function mailRow(m) {
  return h('tr', { test: 'admin-mail-row', dataset: { mailId: m.id, status: m.status, template: m.template } },
    h('th', { scope: 'row', 'data-label': 'To', class: 'mail-to', test: 'admin-mail-to' }, m.to),
    h('td', { 'data-label': 'Mail', test: 'admin-mail-template' }, TEMPLATES[m.template] || m.template),
    h('td', { 'data-label': 'Status' }, statusBadge(m.status)),
    h('td', { class: 'num', 'data-label': 'Attempts', test: 'admin-mail-attempts' }, number(m.attempts)),
    h('td', { 'data-label': 'Last error', class: 'mail-error', test: 'admin-mail-error' },
      m.lastError ? h('span', { title: m.lastError }, m.lastError) : h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'Queued', class: 'nowrap' }, when(m.createdAt)),
    h('td', { 'data-label': 'Sent', class: 'nowrap' }, when(m.sentAt)));
}

export async function adminMailPage(ctx) {
  const initial = ctx.query.get('status');
  let status = STATUSES.some((s) => s.value === initial) ? initial : '';
  const errors = actionError('list-error');
  const area = h('div');

  const select = field({
    name: 'status', label: 'Status', type: 'select', value: status, test: 'admin-mail-status',
    options: [{ value: '', label: 'All mail' }, ...STATUSES.map((s) => ({ value: s.value, label: s.label }))],
  });
  const refresh = h('button', { type: 'button', class: 'btn btn-secondary', test: 'admin-mail-refresh' }, 'Refresh');
  const filters = h('form', { class: 'filters filters-inline mail-filters', test: 'admin-mail-filters', 'aria-label': 'Filter mail' },
    select, h('div', { class: 'form-actions' }, refresh));
  filters.noValidate = true;
  filters.addEventListener('submit', (e) => e.preventDefault());

  const list = pagedList({
    area,
    fetchPage: (page) => get('/admin/mail', { status, page, perPage: 25 }),
    empty: () => emptyState({
      title: status ? `No ${STATUSES.find((s) => s.value === status).label.toLowerCase()} mail` : 'No mail yet',
      text: status ? 'Nothing in the outbox has this status.' : 'Verification, password-reset and notice mails appear here as they are queued.',
      test: 'admin-mail-empty',
      iconName: 'mail',
    }),
    renderItems: (items) => dataTable({
      test: 'admin-mail-table', label: 'Mail', actions: false,
      columns: ['To', 'Mail', 'Status', { label: 'Attempts', num: true }, 'Last error', 'Queued', 'Sent'],
      rows: items.map(mailRow),
    }),
  });

  const run = async (action) => {
    errors.clear();
    try { await action(); } catch (err) { if (err.status !== 401) errors.show(err); }
  };
  filters.elements.namedItem('status').addEventListener('change', (e) => {
    status = e.target.value;
    setQuery({ status }, { replace: true });
    run(() => list.first());
  });
  refresh.addEventListener('click', () => withButton(refresh, 'Refreshing…', () => run(() => list.reload())));

  shell(ctx, 'mail', 'Mail', 'The outbox, newest first: what was sent, what waits for a retry, what failed. Bodies and links are never shown.',
    h('section', { class: 'card card-pad' }, filters), errors.el, area);
  await list.load(1);
}
