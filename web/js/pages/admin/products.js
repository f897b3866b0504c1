// Admin: products (catalog:write).
import { get, post, put } from '../../api.js';
import { h, field, emptyState, actionError, showFieldProblems, productImage } from '../../dom.js';
import { money, parseMoney, parseInteger, centsToInput, number, dateTime, relativeTime, currencySymbol } from '../../format.js';
import {
  shell, listAndEditor, pagedList, listSearch, dataTable, rowActions, editButton, deleteButton, editorForm, setValues,
} from './common.js';

export async function adminProductsPage(ctx) {
  const categories = await get('/categories');
  let q = '';
  const errors = actionError('list-error');
  const area = h('div');

  const editor = editorForm({
    test: 'admin-product',
    label: 'Product',
    newTitle: 'New product',
    editTitle: (p) => `Edit “${p.name}”`,
    createLabel: 'Create product',
    fields: [
      field({ name: 'name', label: 'Name', test: 'admin-product-name', required: true }),
      field({ name: 'description', label: 'Description', type: 'textarea', rows: 3, test: 'admin-product-description', optional: true }),
      h('div', { class: 'field-row' },
        field({ name: 'price', label: 'Price', inputmode: 'decimal', test: 'admin-product-price', placeholder: '19.99', prefix: currencySymbol(), required: true }),
        field({ name: 'quantity', label: 'In stock', inputmode: 'numeric', test: 'admin-product-quantity', placeholder: '0', required: true })),
      field({
        name: 'categoryId', label: 'Category', type: 'select', test: 'admin-product-category',
        options: [{ value: '', label: 'No category' }, ...categories.map((c) => ({ value: c.id, label: c.name }))],
      }),
      field({ name: 'imageUrl', label: 'Image URL', type: 'url', test: 'admin-product-image-url', optional: true, placeholder: 'https://… or /images/…', hint: 'An https address or a path on this site.' }),
    ],
    fill: (form, p) => setValues(form, {
      name: p?.name || '',
      description: p?.description || '',
      price: p ? centsToInput(p.price) : '',
      quantity: p ? String(p.quantity) : '',
      categoryId: p?.category ? String(p.category.id) : '',
      imageUrl: p?.imageUrl || '',
    }),
    save: async (v, editing, form) => {
      const problems = {};
      const price = parseMoney(v.price);
      const quantity = parseInteger(v.quantity, { min: 0 });
      if (price.error) problems.price = price.error;
      if (quantity.error) problems.quantity = quantity.error;
      if (Object.keys(problems).length) { showFieldProblems(form, problems); return undefined; }
      const body = {
        name: v.name.trim(),
        description: v.description.trim() || null,
        price: price.cents,
        quantity: quantity.value,
        categoryId: v.categoryId ? Number(v.categoryId) : null,
        imageUrl: v.imageUrl.trim() || null,
      };
      const saved = editing ? await put(`/products/${editing.id}`, body) : await post('/products', body);
      return editing ? `“${saved.name}” saved.` : `“${saved.name}” created.`;
    },
    after: () => list.reload(),
  });

  const row = (p) => h('tr', { test: 'admin-product-row', dataset: { productId: p.id } },
    h('th', { scope: 'row', 'data-label': 'Product' }, h('div', { class: 'cart-product' }, productImage(p, 'thumb'),
      h('a', { href: `/products/${p.id}`, test: 'admin-product-name-link' }, p.name))),
    h('td', { 'data-label': 'Category' }, p.category ? p.category.name : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num', 'data-label': 'Price', test: 'admin-product-price-cell' }, money(p.price)),
    h('td', { class: ['num', p.quantity === 0 && 'loss'], 'data-label': 'Stock', test: 'admin-product-stock' }, number(p.quantity)),
    h('td', { class: 'nowrap muted', 'data-label': 'Updated', title: dateTime(p.updatedAt) }, relativeTime(p.updatedAt)),
    rowActions(
      editButton(p.name, 'admin-product-edit', () => editor.startEdit(p)),
      deleteButton(p.name, 'admin-product-delete', {
        path: `/products/${p.id}`, errors, done: () => list.reload(),
        title: `Delete “${p.name}”?`, message: 'It leaves the catalog and every cart. Past orders keep their copy.',
        successMessage: `“${p.name}” deleted.`,
      })));

  const list = pagedList({
    area,
    fetchPage: (page) => get('/products', { q, page, perPage: 20, sort: 'name' }),
    empty: () => emptyState({ title: q ? 'No products match' : 'No products yet', text: q ? 'Try another search.' : 'Create the first one with the form.', test: 'admin-products-empty' }),
    renderItems: (items) => dataTable({
      test: 'admin-products-table', label: 'Products',
      columns: ['Product', 'Category', { label: 'Price', num: true }, { label: 'Stock', num: true }, 'Updated'],
      rows: items.map(row),
    }),
  });

  const search = listSearch({
    ctx, list, errors, test: 'admin-products-search', label: 'Search products', placeholder: 'Name or description',
    setQ: (value) => { q = value; },
  });

  shell(ctx, 'products', 'Products', 'The catalog customers see.',
    listAndEditor([search, errors.el, area], editor.card));
  await list.load(1);
}
