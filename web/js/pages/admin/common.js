// What the admin pages share: the section tabs and page shell, a paged list, a search box, the
// create/edit form beside a list, row buttons and tables. Each admin page is one file beside this.
import { del } from '../../api.js';
import { hasPerm } from '../../state.js';
import {
  h, field, formError, onSubmit, values, toast, confirmDialog, pageHeader, pager, withButton, clearErrors, icon,
} from '../../dom.js';
import { setTitle } from '../../router.js';

export const SECTIONS = [
  { id: 'products', href: '/admin/products', label: 'Products', perm: 'catalog:write', text: 'Create, edit and remove products; set prices and stock.' },
  { id: 'categories', href: '/admin/categories', label: 'Categories', perm: 'catalog:write', text: 'Group products into categories.' },
  { id: 'assets', href: '/admin/assets', label: 'Assets', perm: 'assets:write', text: 'Maintain the screener’s assets, update prices in bulk and import their history.' },
  { id: 'orders', href: '/admin/orders', label: 'Orders', perm: 'orders:manage', text: 'See every order and move it along: confirm, ship, deliver or cancel.' },
  { id: 'users', href: '/admin/users', label: 'Users', perm: 'users:manage', text: 'Roles, permissions and deactivation.' },
  { id: 'mail', href: '/admin/mail', label: 'Mail', perm: 'users:manage', text: 'The outbox: which mails were sent, which wait for a retry, which failed.' },
  { id: 'audit', href: '/admin/audit', label: 'Audit log', perm: 'users:manage', text: 'Who did what, and when: sign-ins, and changes to users, the catalog, orders and assets.' },
];

function adminNav(active) {
  return h('nav', { class: 'tabs', 'aria-label': 'Admin sections', test: 'admin-nav' },
    h('ul', null, SECTIONS.filter((s) => hasPerm(s.perm)).map((s) => h('li', null,
      h('a', { href: s.href, class: 'tab', test: `admin-nav-${s.id}`, 'aria-current': s.id === active ? 'page' : null }, s.label)))));
}

/** Renders an admin page: eyebrow, title, the section tabs (`active` marked), then the content. */
export function shell(ctx, active, title, subtitle, ...content) {
  setTitle(`${title} · Admin`);
  ctx.root.replaceChildren(
    h('p', { class: 'eyebrow' }, 'Admin'),
    pageHeader(title, { subtitle }),
    adminNav(active),
    ...content);
}

/** The list beside an editor: the list on one side, the editor (or a stack of cards) on the other. */
export function listAndEditor(list, editor) {
  return h('div', { class: 'admin-layout' }, h('div', { class: 'admin-list' }, list), editor);
}

/* ------------------------------------------------------------------ lists */

/**
 * A paged list that renders into `area`. `fetchPage(page)` returns a page of the API;
 * `renderItems(items)` draws them, `empty()` what shows when there are none.
 * Returns { load(page), reload(), first() }.
 */
export function pagedList({ area, fetchPage, renderItems, empty }) {
  let page = 1;
  let seq = 0;
  async function load(p = page) {
    page = p;
    const mine = ++seq;
    area.classList.add('is-stale');
    try {
      const data = await fetchPage(page);
      if (mine !== seq) return;
      if (!data.items.length && page > 1 && data.totalPages >= 1) { await load(data.totalPages); return; }
      area.replaceChildren(data.items.length ? renderItems(data.items) : empty(), pager(data, (n) => load(n).catch(() => {})));
    } finally {
      if (mine === seq) area.classList.remove('is-stale');
    }
  }
  return { load, reload: () => load(page), first: () => load(1) };
}

/** A search box that calls `onSearch(text)` (debounced while typing, at once on Enter). */
export function searchForm({ ctx, test, label, placeholder, onSearch }) {
  const form = h('form', { class: 'search-form', role: 'search', test: `${test}-form` },
    field({ name: 'q', type: 'search', label, placeholder, test }),
    h('button', { type: 'submit', class: 'btn btn-secondary' }, icon('search'), 'Search'));
  form.noValidate = true;
  let timer = null;
  let release = null;
  const run = async () => {
    clearTimeout(timer);
    try { await onSearch(form.elements.namedItem('q').value.trim()); } finally { release?.(); release = null; }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); release ||= ctx.hold(); run(); });
  form.elements.namedItem('q').addEventListener('input', () => {
    clearTimeout(timer);
    release ||= ctx.hold();
    timer = setTimeout(run, 350);
  });
  return form;
}

/** A search box over a paged list: sets the query through `setQ`, then shows the first page. */
export function listSearch({ ctx, test, label, placeholder, list, errors, setQ }) {
  return searchForm({
    ctx, test, label, placeholder,
    onSearch: async (value) => {
      setQ(value);
      errors.clear();
      try { await list.first(); } catch (err) { errors.show(err); }
    },
  });
}

/**
 * A table: `columns` are labels or {label, num}; `actions` adds a last, unlabelled column for row
 * buttons; `rows` are <tr> elements; `className` is added to the table's. Wrapped so it scrolls
 * sideways on a phone.
 */
export function dataTable({ test, label, columns, actions = true, rows, className }) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' },
    h('table', { class: ['table', className], test },
      h('thead', null, h('tr', null,
        columns.map((c) => (typeof c === 'string'
          ? h('th', { scope: 'col' }, c)
          : h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label))),
        actions ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
      h('tbody', null, rows)));
}

/* ------------------------------------------------------------------ row buttons */

export function rowActions(...buttons) {
  return h('td', { class: 'actions' }, h('div', { class: 'button-row button-row-tight' }, buttons));
}

export function editButton(label, test, onClick) {
  return h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon', test, 'aria-label': `Edit ${label}`, title: 'Edit', onClick }, icon('edit'));
}

/**
 * A delete button for a row: asks first, then DELETEs `path`, toasts `successMessage` and runs
 * `done`; a refusal (e.g. 409) shows in `errors`.
 */
export function deleteButton(label, test, { title, message, path, errors, done, successMessage }) {
  const button = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon btn-ghost-danger', test, 'aria-label': `Delete ${label}`, title: 'Delete' }, icon('trash'));
  button.addEventListener('click', async () => {
    const ok = await confirmDialog({ title, message, confirmLabel: 'Delete', danger: true });
    if (!ok) return;
    await withButton(button, null, async () => {
      errors.clear();
      try {
        await del(path);
        toast(successMessage, 'success');
        await done();
      } catch (err) {
        if (err.status !== 401) errors.show(err);
      }
    });
  });
  return button;
}

/* ------------------------------------------------------------------ the editor */

/**
 * The create/edit form beside a list, in a card. Test hooks derive from `test` (e.g.
 * `admin-product`): `-form`, `-form-title`, `-submit`, `-cancel`.
 *   fields       the form's controls
 *   newTitle     card title while creating; editTitle(item) while editing
 *   createLabel  submit label while creating ("Create product")
 *   fill(form, item)  puts an item's values in the controls (item null: a blank form)
 *   save(values, item, form)  sends it; returns the success message, or undefined when it showed
 *                problems itself and nothing was sent
 *   after()      runs after a save (reload the list)
 * Returns { card, form, startEdit(item | null) }.
 */
export function editorForm({ test, label, fields, newTitle, editTitle, createLabel, fill, save, after, focus = 'name' }) {
  let editing = null;
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', test: `${test}-submit` }, createLabel);
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', test: `${test}-cancel`, hidden: true, onClick: () => startEdit(null) }, 'Cancel');
  const form = h('form', { class: 'form', test: `${test}-form`, 'aria-label': label },
    formError(), fields, h('div', { class: 'form-actions' }, submit, cancel));
  const title = h('h2', { class: 'card-title', test: `${test}-form-title` }, newTitle);
  const card = h('section', { class: 'card card-pad editor', 'aria-label': newTitle }, title, form);

  function startEdit(item) {
    editing = item;
    clearErrors(form);
    fill(form, item);
    const text = item ? editTitle(item) : newTitle;
    title.textContent = text;
    card.setAttribute('aria-label', text);
    submit.textContent = item ? 'Save changes' : createLabel;
    cancel.hidden = !item;
    if (item) {
      card.scrollIntoView({ block: 'start', behavior: 'smooth' });
      form.elements.namedItem(focus).focus({ preventScroll: true });
    }
  }

  onSubmit(form, async () => {
    const message = await save(values(form), editing, form);
    if (message === undefined) return;
    toast(message, 'success');
    startEdit(null);
    await after();
  });
  return { card, form, startEdit };
}

/** Sets named controls of a form: setValues(form, {name: 'Mug', price: '12.50'}). */
export function setValues(form, entries) {
  for (const [name, value] of Object.entries(entries)) form.elements.namedItem(name).value = value;
}
