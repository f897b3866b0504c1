// Admin: categories (catalog:write). A short list, so not paged.
import { get, post, put } from '../../api.js';
import { h, field, emptyState, actionError } from '../../dom.js';
import { number, plural } from '../../format.js';
import { shell, listAndEditor, dataTable, rowActions, editButton, deleteButton, editorForm, setValues } from './common.js';

export async function adminCategoriesPage(ctx) {
  const errors = actionError('list-error');
  const area = h('div');

  const editor = editorForm({
    test: 'admin-category',
    label: 'Category',
    newTitle: 'New category',
    editTitle: (c) => `Rename “${c.name}”`,
    createLabel: 'Create category',
    fields: [
      field({ name: 'name', label: 'Name', test: 'admin-category-name', required: true }),
      field({ name: 'description', label: 'Description', type: 'textarea', rows: 3, test: 'admin-category-description', optional: true }),
    ],
    fill: (form, c) => setValues(form, { name: c?.name || '', description: c?.description || '' }),
    save: async (v, editing) => {
      const body = { name: v.name.trim(), description: v.description.trim() || null };
      const saved = editing ? await put(`/categories/${editing.id}`, body) : await post('/categories', body);
      return editing ? `Category “${saved.name}” saved.` : `Category “${saved.name}” created.`;
    },
    after: () => load(),
  });

  const row = (c) => h('tr', { test: 'admin-category-row', dataset: { categoryId: c.id } },
    h('th', { scope: 'row', 'data-label': 'Name', test: 'admin-category-name-cell' }, c.name),
    h('td', { 'data-label': 'Description' }, c.description || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num', 'data-label': 'Products' }, h('a', { href: `/catalog?category=${c.id}` }, number(c.productCount))),
    rowActions(
      editButton(c.name, 'admin-category-edit', () => editor.startEdit(c)),
      deleteButton(c.name, 'admin-category-delete', {
        path: `/categories/${c.id}`, errors, done: load,
        title: `Delete “${c.name}”?`,
        message: c.productCount ? `Its ${plural(c.productCount, 'product')} stay in the catalog, uncategorised.` : 'It has no products.',
        successMessage: `Category “${c.name}” deleted.`,
      })));

  async function load() {
    const categories = await get('/categories');
    area.replaceChildren(categories.length
      ? dataTable({
        test: 'admin-categories-table', label: 'Categories',
        columns: ['Name', 'Description', { label: 'Products', num: true }],
        rows: categories.map(row),
      })
      : emptyState({ title: 'No categories yet', text: 'Create one with the form.', test: 'admin-categories-empty' }));
  }

  shell(ctx, 'categories', 'Categories', 'How the catalog is grouped.',
    listAndEditor([errors.el, area], editor.card));
  await load();
}
