// Admin: assets, bulk price updates and price history imports (assets:write).
import { get, post, put, patch } from '../../api.js';
import { h, field, formError, onSubmit, values, toast, emptyState, actionError, showFieldProblems } from '../../dom.js';
import {
  money, parseMoney, parseInteger, centsToInput, compactMoney, wholeMoney, dateTime, relativeTime, plural, currencySymbol,
} from '../../format.js';
import { csvImportForm } from '../../widgets.js';
import {
  shell, listAndEditor, pagedList, listSearch, dataTable, rowActions, editButton, deleteButton, editorForm, setValues,
} from './common.js';

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
  const errors = actionError('list-error');
  const area = h('div');

  const editor = editorForm({
    test: 'admin-asset',
    label: 'Asset',
    newTitle: 'New asset',
    editTitle: (a) => `Edit ${a.symbol}`,
    createLabel: 'Create asset',
    fields: [
      h('div', { class: 'field-row' },
        field({ name: 'symbol', label: 'Symbol', test: 'admin-asset-symbol', required: true, autocapitalize: 'characters', spellcheck: 'false', placeholder: 'ACME', hint: '1–10 of A–Z, 0–9, “.”, “-”.' }),
        field({ name: 'rating', label: 'Rating', test: 'admin-asset-rating', optional: true, placeholder: 'AA', autocapitalize: 'characters' })),
      field({ name: 'name', label: 'Name', test: 'admin-asset-name', required: true }),
      field({ name: 'sector', label: 'Sector', test: 'admin-asset-sector', optional: true }),
      h('div', { class: 'field-row' },
        field({ name: 'price', label: 'Price', inputmode: 'decimal', prefix: currencySymbol(), test: 'admin-asset-price', placeholder: '125.40', required: true }),
        field({ name: 'marketCap', label: 'Market cap', inputmode: 'numeric', prefix: currencySymbol(), test: 'admin-asset-market-cap', placeholder: '2500000000', hint: 'Whole units.' })),
    ],
    fill: (form, a) => setValues(form, {
      symbol: a?.symbol || '',
      name: a?.name || '',
      rating: a?.rating || '',
      sector: a?.sector || '',
      price: a ? centsToInput(a.price) : '',
      marketCap: a && a.marketCap !== null ? String(a.marketCap) : '',
    }),
    save: async (v, editing, form) => {
      const problems = {};
      const price = parseMoney(v.price);
      if (price.error) problems.price = price.error;
      let marketCap = null;
      if (v.marketCap.trim()) {
        const cap = parseInteger(v.marketCap, { label: 'a whole amount' });
        if (cap.error) problems.marketCap = cap.error; else marketCap = cap.value;
      }
      if (Object.keys(problems).length) { showFieldProblems(form, problems); return undefined; }
      const body = {
        symbol: v.symbol.trim().toUpperCase(),
        name: v.name.trim(),
        price: price.cents,
        marketCap,
        rating: v.rating.trim() || null,
        sector: v.sector.trim() || null,
      };
      const saved = editing ? await patch(`/assets/${editing.id}`, body) : await post('/assets', body);
      return editing ? `${saved.symbol} saved.` : `${saved.symbol} created.`;
    },
    after: () => list.reload(),
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

  const row = (a) => h('tr', { test: 'admin-asset-row', dataset: { assetId: a.id, symbol: a.symbol } },
    h('th', { scope: 'row', 'data-label': 'Asset' }, h('div', { class: 'asset-cell' }, h('span', { class: 'symbol' }, a.symbol), h('span', { class: 'asset-name' }, a.name))),
    h('td', { 'data-label': 'Sector' }, a.sector || '—'),
    h('td', { 'data-label': 'Rating' }, a.rating || '—'),
    h('td', { class: 'num', 'data-label': 'Price', test: 'admin-asset-price-cell' }, money(a.price)),
    h('td', { class: 'num', 'data-label': 'Market cap', title: wholeMoney(a.marketCap) }, compactMoney(a.marketCap)),
    h('td', { class: 'nowrap muted', 'data-label': 'Updated', title: dateTime(a.updatedAt) }, relativeTime(a.updatedAt)),
    rowActions(
      editButton(a.symbol, 'admin-asset-edit', () => editor.startEdit(a)),
      deleteButton(a.symbol, 'admin-asset-delete', {
        path: `/assets/${a.id}`, errors, done: () => list.reload(),
        title: `Delete ${a.symbol}?`, message: 'It leaves the screener and every watchlist. Assets someone holds cannot be deleted.',
        successMessage: `${a.symbol} deleted.`,
      })));

  const list = pagedList({
    area,
    fetchPage: (page) => get('/assets', { q, page, perPage: 20, sort: 'symbol' }),
    empty: () => emptyState({ title: q ? 'No assets match' : 'No assets yet', text: q ? 'Try another search.' : 'Create the first one with the form.', test: 'admin-assets-empty', iconName: 'chart' }),
    renderItems: (items) => dataTable({
      test: 'admin-assets-table', label: 'Assets',
      columns: ['Asset', 'Sector', 'Rating', { label: 'Price', num: true }, { label: 'Market cap', num: true }, 'Updated'],
      rows: items.map(row),
    }),
  });

  const search = listSearch({
    ctx, list, errors, test: 'admin-assets-search', label: 'Search assets', placeholder: 'Symbol or name',
    setQ: (value) => { q = value; },
  });

  shell(ctx, 'assets', 'Assets', 'What the screener, watchlists and portfolios are priced from.',
    listAndEditor([search, errors.el, area],
      h('div', { class: 'stack' },
        editor.card,
        h('section', { class: 'card card-pad', 'aria-labelledby': 'bulk-title' },
          h('h2', { class: 'card-title', id: 'bulk-title' }, 'Bulk price update'), pricesForm),
        h('section', { class: 'card card-pad', 'aria-labelledby': 'price-import-title' },
          h('h2', { class: 'card-title', id: 'price-import-title' }, 'Import price history'),
          h('p', { class: 'card-description csv-help' },
            'Backfill past prices: one a line under ', h('code', null, 'symbol,date,price'),
            ', dates as 2026-01-31 or a full time, prices like 125.40. Without a date column (',
            h('code', null, 'symbol,price'), ') the prices count as of now.'),
          csvImportForm({
            test: 'admin-price-import',
            path: '/assets/prices/import',
            header: 'symbol,date,price',
            example: 'ACME,2026-01-30,124.10\nACME,2026-01-31,125.40',
            what: 'price',
            label: 'Import price history from CSV',
            onImported: () => list.reload(),
          })))));
  await list.load(1);
}
