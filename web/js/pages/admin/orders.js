// Admin: every order with its customer, searched by customer and filtered by status, moved along its
// lifecycle (orders:manage).
import { get, patch } from '../../api.js';
import {
  h, field, formError, onSubmit, values, toast, confirmDialog, emptyState, tableWrap, withButton, actionError,
  showFieldProblems,
} from '../../dom.js';
import { parseInteger } from '../../format.js';
import { ordersTable } from '../../widgets.js';
import { shell, pagedList } from './common.js';

const NEXT_STATUS = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};
const STATUS_ACTIONS = { confirmed: 'Confirm', shipped: 'Mark shipped', delivered: 'Mark delivered', cancelled: 'Cancel' };

export async function adminOrdersPage(ctx) {
  const filters = { q: ctx.query.get('q') || '', status: ctx.query.get('status') || '', userId: ctx.query.get('userId') || '' };
  const errors = actionError('list-error');
  const area = h('div');

  const filterForm = h('form', { class: 'filters filters-inline', test: 'admin-orders-filters', 'aria-label': 'Filter orders' },
    formError(),
    field({ name: 'q', label: 'Customer', type: 'search', value: filters.q, test: 'admin-orders-search', placeholder: 'Name, email or username' }),
    field({
      name: 'status', label: 'Status', type: 'select', value: filters.status, test: 'admin-orders-status',
      options: [{ value: '', label: 'All statuses' }, ...Object.keys(NEXT_STATUS).map((s) => ({ value: s, label: s[0].toUpperCase() + s.slice(1) }))],
    }),
    field({ name: 'userId', label: 'Customer ID', value: filters.userId, inputmode: 'numeric', test: 'admin-orders-user', placeholder: 'Any' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-secondary', test: 'admin-orders-apply' }, 'Filter')));

  onSubmit(filterForm, async () => {
    const v = values(filterForm);
    if (v.userId.trim()) {
      const id = parseInteger(v.userId, { min: 1, label: 'a user ID (a number)' });
      if (id.error) { showFieldProblems(filterForm, { userId: id.error }); return; }
      filters.userId = String(id.value);
    } else {
      filters.userId = '';
    }
    filters.status = v.status;
    filters.q = v.q.trim();
    await list.first();
  }, { busyLabel: 'Filtering…' });
  filterForm.elements.namedItem('status').addEventListener('change', () => filterForm.requestSubmit());

  function statusControl(order) {
    const next = NEXT_STATUS[order.status] || [];
    if (!next.length) return h('span', { class: 'muted' }, 'Final');
    const select = h('select', { class: 'input input-sm', name: 'status', test: 'admin-order-status-select', 'aria-label': `New status for order #${order.id}` },
      next.map((s) => h('option', { value: s }, STATUS_ACTIONS[s])));
    const form = h('form', { class: 'inline-control', test: 'admin-order-status-form' },
      select, h('button', { type: 'submit', class: 'btn btn-secondary btn-sm', test: 'admin-order-status-submit' }, 'Apply'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const status = select.value;
      if (status === 'cancelled') {
        const ok = await confirmDialog({ title: `Cancel order #${order.id}?`, message: 'Its items go back in stock.', confirmLabel: 'Cancel order', danger: true });
        if (!ok) return;
      }
      const button = form.querySelector('button');
      await withButton(button, '…', async () => {
        errors.clear();
        try {
          await patch(`/orders/${order.id}`, { status });
          toast(`Order #${order.id} is now ${status}.`, 'success');
          await list.reload();
        } catch (err) {
          if (err.status !== 401) errors.show(err);
        }
      });
    });
    return form;
  }

  const list = pagedList({
    area,
    fetchPage: (page) => get('/orders', { q: filters.q, status: filters.status, userId: filters.userId, page, perPage: 20 }),
    empty: () => emptyState({ title: 'No orders', text: filters.q || filters.status || filters.userId ? 'No order matches these filters.' : 'Orders appear here as customers place them.', test: 'admin-orders-empty' }),
    renderItems: (items) => tableWrap(ordersTable(items, {
      test: 'admin-orders-table', rowTest: 'admin-order-row', showUser: true,
      extraColumn: { title: 'Next step', cell: statusControl },
    }), 'Orders'),
  });

  shell(ctx, 'orders', 'Orders', 'Every order, newest first. Move each one along its lifecycle.',
    h('section', { class: 'card card-pad' }, filterForm), errors.el, area);
  await list.load(1);
}
