// Admin pages: products, categories, assets (and bulk prices), orders (status), users (role, permissions,
// deactivation). Each page is reachable only with its permission; the router checks before rendering.
import { get, post, put, patch, del } from '../api.js';
import { state, update, hasPerm, PERMISSIONS } from '../state.js';
import {
  h, field, formError, onSubmit, values, toast, confirmDialog, formDialog, pageHeader, emptyState, pager, badge,
  tableWrap, withButton, actionError, showFieldProblems, clearErrors, productImage, icon,
} from '../dom.js';
import {
  money, parseMoney, parseInteger, centsToInput, compactMoney, wholeMoney, number, dateTime, relativeTime, plural,
  currencySymbol,
} from '../format.js';
import { navigate, setTitle } from '../router.js';
import { reloadMe } from '../session.js';
import { ordersTable } from './store.js';

const SECTIONS = [
  { id: 'products', href: '/admin/products', label: 'Products', perm: 'catalog:write', text: 'Create, edit and remove products; set prices and stock.' },
  { id: 'categories', href: '/admin/categories', label: 'Categories', perm: 'catalog:write', text: 'Group products into categories.' },
  { id: 'assets', href: '/admin/assets', label: 'Assets', perm: 'assets:write', text: 'Maintain the screener’s assets and update prices in bulk.' },
  { id: 'orders', href: '/admin/orders', label: 'Orders', perm: 'orders:manage', text: 'See every order and move it along: confirm, ship, deliver or cancel.' },
  { id: 'users', href: '/admin/users', label: 'Users', perm: 'users:manage', text: 'Roles, permissions and deactivation.' },
];

function adminNav(active) {
  return h('nav', { class: 'tabs', 'aria-label': 'Admin sections', test: 'admin-nav' },
    h('ul', null, SECTIONS.filter((s) => hasPerm(s.perm)).map((s) => h('li', null,
      h('a', { href: s.href, class: 'tab', test: `admin-nav-${s.id}`, 'aria-current': s.id === active ? 'page' : null }, s.label)))));
}

function shell(ctx, active, title, subtitle, ...content) {
  setTitle(`${title} · Admin`);
  ctx.root.replaceChildren(
    h('p', { class: 'eyebrow' }, 'Admin'),
    pageHeader(title, { subtitle }),
    adminNav(active),
    ...content);
}

export async function adminHomePage(ctx) {
  const sections = SECTIONS.filter((s) => hasPerm(s.perm));
  shell(ctx, null, 'Administration', 'Run the shop and the markets desk.',
    h('div', { class: 'tile-grid' }, sections.map((s) => h('a', { href: s.href, class: 'tile card', test: `admin-tile-${s.id}` },
      h('h2', { class: 'tile-title' }, s.label),
      h('p', { class: 'muted' }, s.text)))));
}

/* ------------------------------------------------------------------ shared pieces */

/** A paged list that re-renders into `area`. */
function pagedList({ area, fetchPage, renderItems, empty }) {
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

/** A search box that reloads a list (debounced while typing, immediate on Enter). */
function searchForm({ ctx, test, label, placeholder, onSearch }) {
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

function editorCard(titleText, form, test) {
  const title = h('h2', { class: 'card-title', test: `${test}-title` }, titleText);
  const card = h('section', { class: 'card card-pad editor', 'aria-label': titleText }, title, form);
  return { card, setTitle: (t) => { title.textContent = t; card.setAttribute('aria-label', t); } };
}

function rowActions(...buttons) {
  return h('td', { class: 'actions' }, h('div', { class: 'button-row button-row-tight' }, buttons));
}

function editButton(label, test) {
  return h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon', test, 'aria-label': `Edit ${label}`, title: 'Edit' }, icon('edit'));
}

function deleteButton(label, test) {
  return h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon btn-ghost-danger', test, 'aria-label': `Delete ${label}`, title: 'Delete' }, icon('trash'));
}

async function confirmAndDelete({ button, title, message, path, errors, done, successMessage }) {
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
}

/* ------------------------------------------------------------------ products */

export async function adminProductsPage(ctx) {
  let categories = await get('/categories');
  let q = '';
  let editing = null;
  const errors = actionError('list-error');
  const area = h('div');

  const categoryOptions = () => [{ value: '', label: 'No category' }, ...categories.map((c) => ({ value: c.id, label: c.name }))];
  const form = h('form', { class: 'form', test: 'admin-product-form', 'aria-label': 'Product' },
    formError(),
    field({ name: 'name', label: 'Name', test: 'admin-product-name', required: true }),
    field({ name: 'description', label: 'Description', type: 'textarea', rows: 3, test: 'admin-product-description', optional: true }),
    h('div', { class: 'field-row' },
      field({ name: 'price', label: 'Price', inputmode: 'decimal', test: 'admin-product-price', placeholder: '19.99', prefix: currencySymbol(), required: true }),
      field({ name: 'quantity', label: 'In stock', inputmode: 'numeric', test: 'admin-product-quantity', placeholder: '0', required: true })),
    field({ name: 'categoryId', label: 'Category', type: 'select', options: categoryOptions(), test: 'admin-product-category' }),
    field({ name: 'imageUrl', label: 'Image URL', type: 'url', test: 'admin-product-image-url', optional: true, placeholder: 'https://… or /images/…', hint: 'An https address or a path on this site.' }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'admin-product-submit' }, 'Create product'),
      h('button', { type: 'button', class: 'btn btn-ghost', test: 'admin-product-cancel', hidden: true, onClick: () => startEdit(null) }, 'Cancel')));
  const editor = editorCard('New product', form, 'admin-product-form');

  function startEdit(product) {
    editing = product;
    clearErrors(form);
    const set = (name, value) => { form.elements.namedItem(name).value = value; };
    set('name', product?.name || '');
    set('description', product?.description || '');
    set('price', product ? centsToInput(product.price) : '');
    set('quantity', product ? String(product.quantity) : '');
    set('categoryId', product?.category ? String(product.category.id) : '');
    set('imageUrl', product?.imageUrl || '');
    editor.setTitle(product ? `Edit “${product.name}”` : 'New product');
    form.querySelector('[data-test=admin-product-submit]').textContent = product ? 'Save changes' : 'Create product';
    form.querySelector('[data-test=admin-product-cancel]').hidden = !product;
    if (product) {
      editor.card.scrollIntoView({ block: 'start', behavior: 'smooth' });
      form.elements.namedItem('name').focus({ preventScroll: true });
    }
  }

  onSubmit(form, async () => {
    const v = values(form);
    const problems = {};
    const price = parseMoney(v.price);
    const quantity = parseInteger(v.quantity, { min: 0 });
    if (price.error) problems.price = price.error;
    if (quantity.error) problems.quantity = quantity.error;
    if (Object.keys(problems).length) { showFieldProblems(form, problems); return; }
    const body = {
      name: v.name.trim(),
      description: v.description.trim() || null,
      price: price.cents,
      quantity: quantity.value,
      categoryId: v.categoryId ? Number(v.categoryId) : null,
      imageUrl: v.imageUrl.trim() || null,
    };
    if (editing) {
      const saved = await put(`/products/${editing.id}`, body);
      toast(`“${saved.name}” saved.`, 'success');
    } else {
      const saved = await post('/products', body);
      toast(`“${saved.name}” created.`, 'success');
    }
    startEdit(null);
    await list.reload();
  });

  const list = pagedList({
    area,
    fetchPage: (page) => get('/products', { q, page, perPage: 20, sort: 'name' }),
    empty: () => emptyState({ title: q ? 'No products match' : 'No products yet', text: q ? 'Try another search.' : 'Create the first one with the form.', test: 'admin-products-empty' }),
    renderItems: (items) => tableWrap(h('table', { class: 'table', test: 'admin-products-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Product'),
        h('th', { scope: 'col' }, 'Category'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Stock'),
        h('th', { scope: 'col' }, 'Updated'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, items.map((p) => {
        const edit = editButton(p.name, 'admin-product-edit');
        edit.addEventListener('click', () => startEdit(p));
        const remove = deleteButton(p.name, 'admin-product-delete');
        remove.addEventListener('click', () => confirmAndDelete({
          button: remove, errors, path: `/products/${p.id}`, done: () => list.reload(),
          title: `Delete “${p.name}”?`, message: 'It leaves the catalog and every cart. Past orders keep their copy.',
          successMessage: `“${p.name}” deleted.`,
        }));
        return h('tr', { test: 'admin-product-row', dataset: { productId: p.id } },
          h('th', { scope: 'row', 'data-label': 'Product' }, h('div', { class: 'cart-product' }, productImage(p, 'thumb'),
            h('a', { href: `/products/${p.id}`, test: 'admin-product-name-link' }, p.name))),
          h('td', { 'data-label': 'Category' }, p.category ? p.category.name : h('span', { class: 'muted' }, '—')),
          h('td', { class: 'num', 'data-label': 'Price', test: 'admin-product-price-cell' }, money(p.price)),
          h('td', { class: ['num', p.quantity === 0 && 'loss'], 'data-label': 'Stock', test: 'admin-product-stock' }, number(p.quantity)),
          h('td', { class: 'nowrap muted', 'data-label': 'Updated', title: dateTime(p.updatedAt) }, relativeTime(p.updatedAt)),
          rowActions(edit, remove));
      }))), 'Products'),
  });

  const search = searchForm({
    ctx, test: 'admin-products-search', label: 'Search products', placeholder: 'Name or description',
    onSearch: async (value) => { q = value; errors.clear(); try { await list.first(); } catch (err) { errors.show(err); } },
  });

  shell(ctx, 'products', 'Products', 'The catalog customers see.',
    h('div', { class: 'admin-layout' },
      h('div', { class: 'admin-list' }, search, errors.el, area),
      editor.card));
  await list.load(1);
}

/* ------------------------------------------------------------------ categories */

export async function adminCategoriesPage(ctx) {
  let editing = null;
  const errors = actionError('list-error');
  const area = h('div');

  const form = h('form', { class: 'form', test: 'admin-category-form', 'aria-label': 'Category' },
    formError(),
    field({ name: 'name', label: 'Name', test: 'admin-category-name', required: true }),
    field({ name: 'description', label: 'Description', type: 'textarea', rows: 3, test: 'admin-category-description', optional: true }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'admin-category-submit' }, 'Create category'),
      h('button', { type: 'button', class: 'btn btn-ghost', test: 'admin-category-cancel', hidden: true, onClick: () => startEdit(null) }, 'Cancel')));
  const editor = editorCard('New category', form, 'admin-category-form');

  function startEdit(category) {
    editing = category;
    clearErrors(form);
    form.elements.namedItem('name').value = category?.name || '';
    form.elements.namedItem('description').value = category?.description || '';
    editor.setTitle(category ? `Rename “${category.name}”` : 'New category');
    form.querySelector('[data-test=admin-category-submit]').textContent = category ? 'Save changes' : 'Create category';
    form.querySelector('[data-test=admin-category-cancel]').hidden = !category;
    if (category) {
      editor.card.scrollIntoView({ block: 'start', behavior: 'smooth' });
      form.elements.namedItem('name').focus({ preventScroll: true });
    }
  }

  onSubmit(form, async () => {
    const v = values(form);
    const body = { name: v.name.trim(), description: v.description.trim() || null };
    if (editing) {
      const saved = await put(`/categories/${editing.id}`, body);
      toast(`Category “${saved.name}” saved.`, 'success');
    } else {
      const saved = await post('/categories', body);
      toast(`Category “${saved.name}” created.`, 'success');
    }
    startEdit(null);
    await load();
  });

  async function load() {
    const categories = await get('/categories');
    if (!categories.length) {
      area.replaceChildren(emptyState({ title: 'No categories yet', text: 'Create one with the form.', test: 'admin-categories-empty' }));
      return;
    }
    area.replaceChildren(tableWrap(h('table', { class: 'table', test: 'admin-categories-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Description'),
        h('th', { scope: 'col', class: 'num' }, 'Products'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, categories.map((c) => {
        const edit = editButton(c.name, 'admin-category-edit');
        edit.addEventListener('click', () => startEdit(c));
        const remove = deleteButton(c.name, 'admin-category-delete');
        remove.addEventListener('click', () => confirmAndDelete({
          button: remove, errors, path: `/categories/${c.id}`, done: load,
          title: `Delete “${c.name}”?`,
          message: c.productCount ? `Its ${plural(c.productCount, 'product')} stay in the catalog, uncategorised.` : 'It has no products.',
          successMessage: `Category “${c.name}” deleted.`,
        }));
        return h('tr', { test: 'admin-category-row', dataset: { categoryId: c.id } },
          h('th', { scope: 'row', 'data-label': 'Name', test: 'admin-category-name-cell' }, c.name),
          h('td', { 'data-label': 'Description' }, c.description || h('span', { class: 'muted' }, '—')),
          h('td', { class: 'num', 'data-label': 'Products' }, h('a', { href: `/catalog?category=${c.id}` }, number(c.productCount))),
          rowActions(edit, remove));
      }))), 'Categories'));
  }

  shell(ctx, 'categories', 'Categories', 'How the catalog is grouped.',
    h('div', { class: 'admin-layout' }, h('div', { class: 'admin-list' }, errors.el, area), editor.card));
  await load();
}

/* ------------------------------------------------------------------ assets */

/** "ACME 12.50" lines -> [{symbol, price}] or { problems }. */
export function parsePriceLines(text) {
  const updates = [];
  const problems = [];
  const seen = new Set();
  String(text).split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9.-]{1,10})\s*[\s,;:=\t]\s*(.+)$/.exec(line);
    if (!m) { problems.push(`Line ${i + 1}: write a symbol and a price, like “ACME 12.50”.`); return; }
    const symbol = m[1].toUpperCase();
    const price = parseMoney(m[2]);
    if (price.error) { problems.push(`Line ${i + 1} (${symbol}): ${price.error}`); return; }
    if (seen.has(symbol)) { problems.push(`Line ${i + 1}: ${symbol} appears twice.`); return; }
    seen.add(symbol);
    updates.push({ symbol, price: price.cents });
  });
  if (!updates.length && !problems.length) problems.push('Enter at least one line.');
  return { updates, problems };
}

export async function adminAssetsPage(ctx) {
  let q = '';
  let editing = null;
  const errors = actionError('list-error');
  const area = h('div');

  const form = h('form', { class: 'form', test: 'admin-asset-form', 'aria-label': 'Asset' },
    formError(),
    h('div', { class: 'field-row' },
      field({ name: 'symbol', label: 'Symbol', test: 'admin-asset-symbol', required: true, autocapitalize: 'characters', spellcheck: 'false', placeholder: 'ACME', hint: '1–10 of A–Z, 0–9, “.”, “-”.' }),
      field({ name: 'rating', label: 'Rating', test: 'admin-asset-rating', optional: true, placeholder: 'AA', autocapitalize: 'characters' })),
    field({ name: 'name', label: 'Name', test: 'admin-asset-name', required: true }),
    field({ name: 'sector', label: 'Sector', test: 'admin-asset-sector', optional: true }),
    h('div', { class: 'field-row' },
      field({ name: 'price', label: 'Price', inputmode: 'decimal', prefix: currencySymbol(), test: 'admin-asset-price', placeholder: '125.40', required: true }),
      field({ name: 'marketCap', label: 'Market cap', inputmode: 'numeric', prefix: currencySymbol(), test: 'admin-asset-market-cap', placeholder: '2500000000', hint: 'Whole units.' })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'admin-asset-submit' }, 'Create asset'),
      h('button', { type: 'button', class: 'btn btn-ghost', test: 'admin-asset-cancel', hidden: true, onClick: () => startEdit(null) }, 'Cancel')));
  const editor = editorCard('New asset', form, 'admin-asset-form');

  function startEdit(asset) {
    editing = asset;
    clearErrors(form);
    const set = (name, value) => { form.elements.namedItem(name).value = value; };
    set('symbol', asset?.symbol || '');
    set('name', asset?.name || '');
    set('rating', asset?.rating || '');
    set('sector', asset?.sector || '');
    set('price', asset ? centsToInput(asset.price) : '');
    set('marketCap', asset && asset.marketCap !== null ? String(asset.marketCap) : '');
    editor.setTitle(asset ? `Edit ${asset.symbol}` : 'New asset');
    form.querySelector('[data-test=admin-asset-submit]').textContent = asset ? 'Save changes' : 'Create asset';
    form.querySelector('[data-test=admin-asset-cancel]').hidden = !asset;
    if (asset) {
      editor.card.scrollIntoView({ block: 'start', behavior: 'smooth' });
      form.elements.namedItem('name').focus({ preventScroll: true });
    }
  }

  onSubmit(form, async () => {
    const v = values(form);
    const problems = {};
    const price = parseMoney(v.price);
    if (price.error) problems.price = price.error;
    let marketCap = null;
    if (v.marketCap.trim()) {
      const cap = parseInteger(v.marketCap, { label: 'a whole amount' });
      if (cap.error) problems.marketCap = cap.error; else marketCap = cap.value;
    }
    if (Object.keys(problems).length) { showFieldProblems(form, problems); return; }
    const body = {
      symbol: v.symbol.trim().toUpperCase(),
      name: v.name.trim(),
      price: price.cents,
      marketCap,
      rating: v.rating.trim() || null,
      sector: v.sector.trim() || null,
    };
    if (editing) {
      const saved = await patch(`/assets/${editing.id}`, body);
      toast(`${saved.symbol} saved.`, 'success');
    } else {
      const saved = await post('/assets', body);
      toast(`${saved.symbol} created.`, 'success');
    }
    startEdit(null);
    await list.reload();
  });

  const pricesForm = h('form', { class: 'form', test: 'admin-prices-form', 'aria-label': 'Update prices' },
    formError(),
    field({
      name: 'prices', label: 'New prices', type: 'textarea', rows: 5, test: 'admin-prices-input', placeholder: 'ACME 125.40\nGLOBX 9.99',
      hint: 'One asset per line: symbol, then price. All lines apply together, or none do.',
    }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', test: 'admin-prices-submit' }, 'Update prices')));
  onSubmit(pricesForm, async () => {
    const { updates, problems } = parsePriceLines(values(pricesForm).prices);
    if (problems.length) { showFieldProblems(pricesForm, { prices: problems.join(' ') }, 'Some lines could not be read.'); return; }
    await put('/assets/prices', updates);
    pricesForm.elements.namedItem('prices').value = '';
    toast(`Updated ${plural(updates.length, 'price')}.`, 'success');
    await list.reload();
  }, { busyLabel: 'Updating…' });

  const list = pagedList({
    area,
    fetchPage: (page) => get('/assets', { q, page, perPage: 20, sort: 'symbol' }),
    empty: () => emptyState({ title: q ? 'No assets match' : 'No assets yet', text: q ? 'Try another search.' : 'Create the first one with the form.', test: 'admin-assets-empty', iconName: 'chart' }),
    renderItems: (items) => tableWrap(h('table', { class: 'table', test: 'admin-assets-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Asset'),
        h('th', { scope: 'col' }, 'Sector'),
        h('th', { scope: 'col' }, 'Rating'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Market cap'),
        h('th', { scope: 'col' }, 'Updated'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, items.map((a) => {
        const edit = editButton(a.symbol, 'admin-asset-edit');
        edit.addEventListener('click', () => startEdit(a));
        const remove = deleteButton(a.symbol, 'admin-asset-delete');
        remove.addEventListener('click', () => confirmAndDelete({
          button: remove, errors, path: `/assets/${a.id}`, done: () => list.reload(),
          title: `Delete ${a.symbol}?`, message: 'It leaves the screener and every watchlist. Assets someone holds cannot be deleted.',
          successMessage: `${a.symbol} deleted.`,
        }));
        return h('tr', { test: 'admin-asset-row', dataset: { assetId: a.id, symbol: a.symbol } },
          h('th', { scope: 'row', 'data-label': 'Asset' }, h('div', { class: 'asset-cell' }, h('span', { class: 'symbol' }, a.symbol), h('span', { class: 'asset-name' }, a.name))),
          h('td', { 'data-label': 'Sector' }, a.sector || '—'),
          h('td', { 'data-label': 'Rating' }, a.rating || '—'),
          h('td', { class: 'num', 'data-label': 'Price', test: 'admin-asset-price-cell' }, money(a.price)),
          h('td', { class: 'num', 'data-label': 'Market cap', title: wholeMoney(a.marketCap) }, compactMoney(a.marketCap)),
          h('td', { class: 'nowrap muted', 'data-label': 'Updated', title: dateTime(a.updatedAt) }, relativeTime(a.updatedAt)),
          rowActions(edit, remove));
      }))), 'Assets'),
  });

  const search = searchForm({
    ctx, test: 'admin-assets-search', label: 'Search assets', placeholder: 'Symbol or name',
    onSearch: async (value) => { q = value; errors.clear(); try { await list.first(); } catch (err) { errors.show(err); } },
  });

  shell(ctx, 'assets', 'Assets', 'What the screener, watchlists and portfolios are priced from.',
    h('div', { class: 'admin-layout' },
      h('div', { class: 'admin-list' }, search, errors.el, area),
      h('div', { class: 'stack' },
        editor.card,
        h('section', { class: 'card card-pad', 'aria-labelledby': 'bulk-title' },
          h('h2', { class: 'card-title', id: 'bulk-title' }, 'Bulk price update'), pricesForm))));
  await list.load(1);
}

/* ------------------------------------------------------------------ orders */

const NEXT_STATUS = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};
const STATUS_ACTIONS = { confirmed: 'Confirm', shipped: 'Mark shipped', delivered: 'Mark delivered', cancelled: 'Cancel' };

export async function adminOrdersPage(ctx) {
  const filters = { status: ctx.query.get('status') || '', userId: ctx.query.get('userId') || '' };
  const errors = actionError('list-error');
  const area = h('div');

  const filterForm = h('form', { class: 'filters filters-inline', test: 'admin-orders-filters', 'aria-label': 'Filter orders' },
    formError(),
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
    fetchPage: (page) => get('/orders', { status: filters.status, userId: filters.userId, page, perPage: 20 }),
    empty: () => emptyState({ title: 'No orders', text: filters.status || filters.userId ? 'No order matches these filters.' : 'Orders appear here as customers place them.', test: 'admin-orders-empty' }),
    renderItems: (items) => tableWrap(ordersTable(items, {
      test: 'admin-orders-table', rowTest: 'admin-order-row', showUser: true,
      extraColumn: { title: 'Next step', cell: statusControl },
    }), 'Orders'),
  });

  shell(ctx, 'orders', 'Orders', 'Every order, newest first. Move each one along its lifecycle.',
    h('section', { class: 'card card-pad' }, filterForm), errors.el, area);
  await list.load(1);
}

/* ------------------------------------------------------------------ users */

export async function adminUsersPage(ctx) {
  let q = '';
  const errors = actionError('list-error');
  const area = h('div');

  async function afterSelfChange(user) {
    if (user.id !== state.user?.id) return;
    const me = await reloadMe();
    if (!hasPerm('users:manage', me)) navigate('/');
  }

  function editUser(user) {
    formDialog({
      title: `Edit ${user.name || user.email}`,
      test: 'admin-user-dialog',
      build: (close) => {
        const permBoxes = PERMISSIONS.map((p) => h('label', { class: 'check-label' },
          h('input', { type: 'checkbox', class: 'checkbox', name: 'permissions', value: p.id, checked: user.permissions.includes(p.id), test: `admin-user-perm-${p.id.replace(':', '-')}` }),
          h('span', null, h('strong', null, p.label), ' ', h('span', { class: 'muted' }, `— ${p.hint}`))));
        const adminNote = h('p', { class: 'hint' }, 'Administrators have every permission.');
        const permSet = h('fieldset', { class: 'field fieldset' },
          h('legend', { class: 'label' }, 'Permissions'),
          adminNote,
          h('div', { class: 'check-list' }, permBoxes),
          h('p', { class: 'field-error', test: 'field-error-permissions', hidden: true }));
        const f = h('form', { class: 'form', test: 'admin-user-form' },
          formError(),
          field({ name: 'name', label: 'Display name', value: user.name || '', test: 'admin-user-name' }),
          h('div', { class: 'field-row' },
            field({ name: 'username', label: 'Username', value: user.username || '', test: 'admin-user-username', autocapitalize: 'none', spellcheck: 'false' }),
            field({ name: 'email', label: 'Email', type: 'email', value: user.email, test: 'admin-user-email', autocapitalize: 'none', spellcheck: 'false' })),
          field({ name: 'role', label: 'Role', type: 'select', value: user.role, test: 'admin-user-role', options: [{ value: 'user', label: 'Member' }, { value: 'admin', label: 'Administrator' }] }),
          permSet,
          field({ name: 'isActive', label: 'Active (can sign in)', type: 'checkbox', checked: user.isActive, test: 'admin-user-active', hint: 'Deactivating ends the user’s sessions at once.' }),
          h('div', { class: 'dialog-actions' },
            h('button', { type: 'button', class: 'btn btn-secondary', test: 'admin-user-cancel', onClick: close }, 'Cancel'),
            h('button', { type: 'submit', class: 'btn btn-primary', test: 'admin-user-submit' }, 'Save')));
        const role = f.elements.namedItem('role');
        const inputs = permBoxes.map((l) => l.querySelector('input'));
        const paintRole = () => {
          const isAdmin = role.value === 'admin';
          adminNote.hidden = !isAdmin;
          for (const input of inputs) input.disabled = isAdmin;
        };
        role.addEventListener('change', paintRole);
        paintRole();

        onSubmit(f, async () => {
          const v = values(f);
          const body = {};
          if (v.name.trim() !== (user.name || '')) body.name = v.name.trim() || null;
          if (v.username.trim() !== (user.username || '')) body.username = v.username.trim() || null;
          if (v.email.trim().toLowerCase() !== user.email.toLowerCase()) body.email = v.email.trim();
          if (v.role !== user.role) body.role = v.role;
          if (v.role === 'user') {
            const perms = inputs.filter((i) => i.checked).map((i) => i.value);
            const before = [...user.permissions].sort().join(',');
            if (perms.slice().sort().join(',') !== before || body.role) body.permissions = perms;
          }
          if (v.isActive !== user.isActive) body.isActive = v.isActive;
          if (!Object.keys(body).length) { close(); return; }
          const saved = await patch(`/users/${user.id}`, body);
          close();
          toast(`${saved.name || saved.email} saved.`, 'success');
          await afterSelfChange(saved);
          if (ctx.isCurrent()) await list.reload();
        });
        return f;
      },
    });
  }

  async function toggleActive(user, button) {
    if (user.isActive) {
      const ok = await confirmDialog({
        title: `Deactivate ${user.name || user.email}?`,
        message: 'They are signed out everywhere at once and cannot sign in until reactivated.',
        confirmLabel: 'Deactivate', danger: true,
      });
      if (!ok) return;
    }
    await withButton(button, null, async () => {
      errors.clear();
      try {
        const saved = await patch(`/users/${user.id}`, { isActive: !user.isActive });
        toast(saved.isActive ? `${saved.email} can sign in again.` : `${saved.email} is deactivated.`, 'success');
        await afterSelfChange(saved);
        if (ctx.isCurrent()) await list.reload();
      } catch (err) {
        if (err.status !== 401) errors.show(err);
      }
    });
  }

  const list = pagedList({
    area,
    fetchPage: (page) => get('/users', { q, page, perPage: 20 }),
    empty: () => emptyState({ title: 'No users match', text: 'Try another search.', test: 'admin-users-empty', iconName: 'user' }),
    renderItems: (items) => tableWrap(h('table', { class: 'table', test: 'admin-users-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'User'),
        h('th', { scope: 'col' }, 'Role'),
        h('th', { scope: 'col' }, 'Permissions'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Last login'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, items.map((u) => {
        const edit = editButton(u.email, 'admin-user-edit');
        edit.addEventListener('click', () => editUser(u));
        const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'admin-user-toggle-active' }, u.isActive ? 'Deactivate' : 'Activate');
        toggle.addEventListener('click', () => toggleActive(u, toggle));
        const remove = deleteButton(u.email, 'admin-user-delete');
        remove.addEventListener('click', () => confirmAndDelete({
          button: remove, errors, path: `/users/${u.id}`,
          done: async () => {
            if (u.id === state.user?.id) { update({ user: null, cartCount: null }); navigate('/'); return; }
            await list.reload();
          },
          title: `Delete ${u.email}?`, message: 'Their sessions, cart, watchlist and holdings are removed. Their orders stay, without their name.',
          successMessage: `${u.email} deleted.`,
        }));
        const perms = u.role === 'admin' ? [h('li', { class: 'chip' }, 'All')] : u.permissions.map((p) => h('li', { class: 'chip' }, PERMISSIONS.find((x) => x.id === p)?.label || p));
        return h('tr', { test: 'admin-user-row', dataset: { userId: u.id, email: u.email, active: u.isActive ? '1' : '0', role: u.role } },
          h('th', { scope: 'row', 'data-label': 'User' }, h('div', { class: 'user-cell' },
            h('span', { class: 'strong' }, u.name || u.email, u.id === state.user?.id ? h('span', { class: 'muted' }, ' (you)') : null),
            h('span', { class: 'muted' }, u.email, u.username ? ` · @${u.username}` : ''))),
          h('td', { 'data-label': 'Role', test: 'admin-user-role-cell' }, u.role === 'admin' ? badge('Administrator', 'accent') : 'Member'),
          h('td', { 'data-label': 'Permissions' }, perms.length ? h('ul', { class: 'chip-list' }, perms) : h('span', { class: 'muted' }, 'None')),
          h('td', { 'data-label': 'Status' }, u.isActive ? badge('Active', 'success', 'admin-user-status') : badge('Deactivated', 'danger', 'admin-user-status')),
          h('td', { 'data-label': 'Last login', title: u.lastLogin ? dateTime(u.lastLogin) : '' }, u.lastLogin ? relativeTime(u.lastLogin) : h('span', { class: 'muted' }, 'Never')),
          rowActions(edit, toggle, remove));
      }))), 'Users'),
  });

  const search = searchForm({
    ctx, test: 'admin-users-search', label: 'Search users', placeholder: 'Email, username or name',
    onSearch: async (value) => { q = value; errors.clear(); try { await list.first(); } catch (err) { errors.show(err); } },
  });

  shell(ctx, 'users', 'Users', 'Who can sign in, and what they may do.', search, errors.el, area);
  await list.load(1);
}
