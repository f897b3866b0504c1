// Markets: the asset screener, the watchlist and the portfolio (with its allocation chart).
import { get, post, patch, del } from '../api.js';
import { state } from '../state.js';
import {
  h, svg, field, formError, onSubmit, values, toast, confirmDialog, formDialog, pageHeader, emptyState, pager, badge,
  tableWrap, withButton, actionError, showFieldProblems, showErrors, clearErrors, icon, uid,
} from '../dom.js';
import {
  money, signedMoney, signedPercent, compactMoney, wholeMoney, parseMoney, parseInteger, centsToInput, number, date, plural,
} from '../format.js';
import { setQuery, setTitle, loginRedirect } from '../router.js';

const PER_PAGE = 20;

/* ------------------------------------------------------------------ shared */

/** Finds an asset by exact symbol (case-insensitive). */
async function findAsset(symbol) {
  const s = symbol.trim().toUpperCase();
  if (!s) return null;
  const data = await get('/assets', { q: s, perPage: 100 });
  return data.items.find((a) => a.symbol.toUpperCase() === s) || null;
}

/** A <datalist> of symbols so the symbol inputs suggest as you type. */
async function symbolList() {
  const list = h('datalist', { id: uid('symbols') });
  try {
    const data = await get('/assets', { sort: 'symbol', perPage: 100 });
    list.append(...data.items.map((a) => h('option', { value: a.symbol }, a.name)));
  } catch { /* suggestions are optional */ }
  return list;
}

function profitClass(n) {
  if (n === null || n === undefined || Number(n) === 0) return 'flat';
  return Number(n) > 0 ? 'gain' : 'loss';
}

function symbolCell(asset) {
  return h('div', { class: 'asset-cell' },
    h('span', { class: 'symbol', test: 'asset-symbol' }, asset.symbol),
    h('span', { class: 'asset-name' }, asset.name));
}

function ratingBadge(rating) {
  if (!rating) return h('span', { class: 'muted' }, '—');
  const r = rating.toUpperCase();
  const kind = /^(AAA|AA|A\+?|BUY|STRONG)/.test(r) ? 'success' : /^(SELL|C|D)/.test(r) ? 'danger' : 'neutral';
  return badge(rating, kind, 'asset-rating');
}

/* ------------------------------------------------------------------ screener */

const SORTABLE = {
  symbol: { asc: 'symbol' },
  rating: { asc: 'rating' },
  price: { asc: 'price', desc: '-price' },
  marketCap: { asc: 'marketCap', desc: '-marketCap' },
};

/** The sort menu phones use: there the table becomes cards and its sortable headers are hidden. */
const SORT_OPTIONS = [
  { value: '', label: 'Default order' },
  { value: 'symbol', label: 'Symbol: A to Z' },
  { value: 'price', label: 'Price: low to high' },
  { value: '-price', label: 'Price: high to low' },
  { value: 'marketCap', label: 'Market cap: smallest first' },
  { value: '-marketCap', label: 'Market cap: largest first' },
  { value: 'rating', label: 'Rating' },
];

export async function marketsPage(ctx) {
  setTitle('Markets');
  const q = ctx.query;
  let current = {
    q: q.get('q') || '',
    sector: q.get('sector') || '',
    rating: q.get('rating') || '',
    minPrice: q.get('minPrice') || '',
    maxPrice: q.get('maxPrice') || '',
    minMarketCap: q.get('minMarketCap') || '',
    maxMarketCap: q.get('maxMarketCap') || '',
    sort: q.get('sort') || '',
    page: Math.max(1, Number(q.get('page')) || 1),
  };

  const watched = new Set();
  if (state.user) {
    const list = await get('/watchlist');
    for (const w of list) watched.add(w.asset.id);
  }

  const form = h('form', { class: 'filters filters-wide', test: 'screener-filters', role: 'search', 'aria-label': 'Filter assets' },
    formError(),
    h('div', { class: 'filter-grid' },
      field({ name: 'q', label: 'Symbol or name', type: 'search', value: current.q, test: 'screener-search', placeholder: 'e.g. ACME' }),
      field({ name: 'sector', label: 'Sector', value: current.sector, test: 'screener-sector', placeholder: 'Any sector' }),
      field({ name: 'rating', label: 'Ratings', value: current.rating, test: 'screener-rating', placeholder: 'e.g. AAA, AA', hint: 'Any of, separated by commas.' }),
      field({ name: 'minPrice', label: 'Min price', value: current.minPrice === '' ? '' : centsToInput(current.minPrice), inputmode: 'decimal', test: 'screener-min-price', placeholder: '0.00' }),
      field({ name: 'maxPrice', label: 'Max price', value: current.maxPrice === '' ? '' : centsToInput(current.maxPrice), inputmode: 'decimal', test: 'screener-max-price', placeholder: 'Any' }),
      field({ name: 'minMarketCap', label: 'Min market cap', value: current.minMarketCap, inputmode: 'numeric', test: 'screener-min-cap', placeholder: 'Whole units', hint: `In whole ${state.currency}.` }),
      field({ name: 'maxMarketCap', label: 'Max market cap', value: current.maxMarketCap, inputmode: 'numeric', test: 'screener-max-cap', placeholder: 'Any' })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'screener-apply' }, 'Apply filters'),
      h('button', { type: 'button', class: 'btn btn-ghost', test: 'screener-reset', onClick: reset }, 'Reset')));

  const count = h('p', { class: 'results-count', test: 'screener-count', 'aria-live': 'polite' });
  const sortId = uid('sort');
  const sortSelect = h('select', { id: sortId, class: 'input input-sm', name: 'sort', test: 'screener-sort' },
    SORT_OPTIONS.map((o) => h('option', { value: o.value }, o.label)));
  sortSelect.value = SORT_OPTIONS.some((o) => o.value === current.sort) ? current.sort : '';
  sortSelect.addEventListener('change', () => {
    current.sort = sortSelect.value;
    current.page = 1;
    load();
  });
  const sortMenu = h('div', { class: 'sort-menu' }, h('label', { class: 'label', for: sortId }, 'Sort by'), sortSelect);
  const errors = actionError('screener-error');
  const results = h('div', { class: 'results' });
  ctx.root.replaceChildren(
    pageHeader('Markets', { subtitle: 'Screen assets by price, market cap, rating and sector.' }),
    // Open on a wide screen; on a phone the filters would fill the first screen, so they start folded.
    h('details', { class: 'card filters-card', open: !window.matchMedia('(max-width: 860px)').matches },
      h('summary', { class: 'filters-summary' }, 'Filters'), form),
    h('div', { class: 'results-bar' }, count, sortMenu), errors.el, results);

  function readForm() {
    const v = values(form);
    const problems = {};
    const next = { q: v.q.trim(), sector: v.sector.trim(), sort: current.sort, page: 1, minPrice: '', maxPrice: '', minMarketCap: '', maxMarketCap: '' };
    next.rating = v.rating.split(/[,\s]+/).map((r) => r.trim().toUpperCase()).filter(Boolean).join(',');
    for (const key of ['minPrice', 'maxPrice']) {
      if (!v[key].trim()) continue;
      const p = parseMoney(v[key]);
      if (p.error) problems[key] = p.error; else next[key] = p.cents;
    }
    for (const key of ['minMarketCap', 'maxMarketCap']) {
      if (!v[key].trim()) continue;
      const p = parseInteger(v[key], { label: 'a whole amount' });
      if (p.error) problems[key] = p.error; else next[key] = p.value;
    }
    if (Object.keys(problems).length) { showFieldProblems(form, problems); return null; }
    return next;
  }

  let seq = 0;
  async function load({ push = true, replace = false } = {}) {
    const mine = ++seq;
    errors.clear();
    sortSelect.value = current.sort;
    if (push) setQuery({ ...current, page: current.page > 1 ? current.page : '' }, { replace });
    results.classList.add('is-stale');
    let data;
    try {
      data = await get('/assets', { ...current, perPage: PER_PAGE });
    } catch (err) {
      if (mine !== seq) return;
      results.classList.remove('is-stale');
      if (err.status === 400) { showErrors(form, err); return; }
      if (push && err.status !== 401) { errors.show(err); return; }
      throw err;
    }
    if (mine !== seq || !ctx.isCurrent()) return;
    results.classList.remove('is-stale');
    count.textContent = data.totalItems ? plural(data.totalItems, 'asset') : '';
    if (!data.items.length) {
      results.replaceChildren(emptyState({
        title: 'No assets match', text: 'Loosen the filters to see more.', test: 'screener-empty', iconName: 'chart',
        action: h('button', { type: 'button', class: 'btn btn-secondary', onClick: reset }, 'Clear filters'),
      }));
      return;
    }
    results.replaceChildren(tableWrap(screenerTable(data.items), 'Assets'),
      pager(data, (page) => { current.page = page; load(); }));
  }

  function sortHeader(key, label, numeric) {
    const spec = SORTABLE[key];
    const dir = current.sort === spec.asc ? 'ascending' : current.sort === spec.desc ? 'descending' : null;
    const button = h('button', { type: 'button', class: 'sort-button', test: `sort-${key}` },
      label, h('span', { class: 'sort-indicator', 'aria-hidden': 'true' }, dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '↕'));
    button.addEventListener('click', () => {
      current.sort = spec.desc && current.sort === spec.asc ? spec.desc : spec.asc;
      current.page = 1;
      load().then(() => results.querySelector(`[data-test="sort-${key}"]`)?.focus());
    });
    return h('th', { scope: 'col', class: numeric ? 'num' : null, 'aria-sort': dir || 'none' }, button);
  }

  function screenerTable(items) {
    return h('table', { class: 'table screener-table', test: 'screener-table' },
      h('caption', { class: 'sr-only' }, 'Assets. Column headers with buttons sort the table.'),
      h('thead', null, h('tr', null,
        sortHeader('symbol', 'Asset'),
        h('th', { scope: 'col' }, 'Sector'),
        sortHeader('rating', 'Rating'),
        sortHeader('price', 'Price', true),
        sortHeader('marketCap', 'Market cap', true),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, items.map((a) => h('tr', { test: 'asset-row', dataset: { assetId: a.id, symbol: a.symbol } },
        h('th', { scope: 'row', 'data-label': 'Asset' }, symbolCell(a)),
        h('td', { 'data-label': 'Sector' }, a.sector || h('span', { class: 'muted' }, '—')),
        h('td', { 'data-label': 'Rating' }, ratingBadge(a.rating)),
        h('td', { class: 'num', 'data-label': 'Price', test: 'asset-price' }, money(a.price)),
        h('td', { class: 'num', 'data-label': 'Market cap', test: 'asset-market-cap', title: wholeMoney(a.marketCap) }, compactMoney(a.marketCap)),
        h('td', { class: 'actions' }, watchButton(a), ' ',
          h('a', { href: `/portfolio?add=${encodeURIComponent(a.symbol)}`, class: 'btn btn-ghost btn-sm', test: 'asset-add-holding', 'aria-label': `Add ${a.symbol} to portfolio` }, '+ Holding'))))));
  }

  function watchButton(asset) {
    const button = h('button', { type: 'button', class: 'btn btn-ghost btn-sm watch-button', test: 'watch-toggle' });
    const paint = () => {
      const on = watched.has(asset.id);
      button.setAttribute('aria-pressed', String(on));
      button.setAttribute('aria-label', on ? `Remove ${asset.symbol} from watchlist` : `Add ${asset.symbol} to watchlist`);
      button.replaceChildren(icon('star', on ? 'icon-filled' : ''), h('span', { class: 'watch-label' }, on ? 'Watching' : 'Watch'));
    };
    paint();
    button.addEventListener('click', async () => {
      if (!state.user) { loginRedirect(); return; }
      button.disabled = true;
      try {
        if (watched.has(asset.id)) {
          await del(`/watchlist/${asset.id}`);
          watched.delete(asset.id);
          toast(`${asset.symbol} removed from your watchlist.`, 'success');
        } else {
          await post('/watchlist', { assetId: asset.id });
          watched.add(asset.id);
          toast(`${asset.symbol} added to your watchlist.`, 'success');
        }
      } catch (err) {
        if (err.code === 'already_exists') watched.add(asset.id);
        else if (err.status !== 401) errors.show(err);
      } finally {
        button.disabled = false;
        paint();
      }
    });
    return button;
  }

  function reset() {
    for (const el of form.elements) if (el.name) el.value = '';
    clearErrors(form);
    current = { ...readForm(), sort: '' };
    load();
  }

  form.noValidate = true;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    const next = readForm();
    if (!next) return;
    current = next;
    load();
  });

  await load({ push: false });
}

/* ------------------------------------------------------------------ watchlist */

export async function watchlistPage(ctx) {
  setTitle('Watchlist');
  const [items, datalist] = await Promise.all([get('/watchlist'), symbolList()]);
  const errors = actionError('watchlist-error');
  const listArea = h('div');

  const form = h('form', { class: 'form form-inline', test: 'watchlist-form', 'aria-label': 'Add to watchlist' },
    formError(),
    h('div', { class: 'inline-fields' },
      field({ name: 'symbol', label: 'Symbol', test: 'watchlist-symbol', list: datalist.id, autocapitalize: 'characters', spellcheck: 'false', placeholder: 'e.g. ACME' }),
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'watchlist-add' }, icon('plus'), 'Add')),
    datalist);

  onSubmit(form, async () => {
    const symbol = values(form).symbol;
    if (!symbol.trim()) { showFieldProblems(form, { symbol: 'Enter a symbol.' }); return; }
    const asset = await findAsset(symbol);
    if (!asset) { showFieldProblems(form, { symbol: `No asset has the symbol “${symbol.trim().toUpperCase()}”.` }, 'Unknown symbol.'); return; }
    await post('/watchlist', { assetId: asset.id });
    form.reset();
    toast(`${asset.symbol} added to your watchlist.`, 'success');
    await reload();
  }, { busyLabel: 'Adding…', aliases: { assetId: 'symbol' } });

  function render(list) {
    if (!list.length) {
      listArea.replaceChildren(emptyState({
        title: 'Your watchlist is empty',
        text: 'Add a symbol above, or press “Watch” next to an asset in the screener.',
        action: h('a', { href: '/markets', class: 'btn btn-secondary', test: 'watchlist-empty-link' }, 'Open the screener'),
        test: 'watchlist-empty', iconName: 'star',
      }));
      return;
    }
    listArea.replaceChildren(tableWrap(h('table', { class: 'table', test: 'watchlist-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Asset'),
        h('th', { scope: 'col' }, 'Sector'),
        h('th', { scope: 'col' }, 'Rating'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Market cap'),
        h('th', { scope: 'col' }, 'Holding'),
        h('th', { scope: 'col' }, 'Added'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, list.map((w) => {
        const a = w.asset;
        const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'watchlist-remove', 'aria-label': `Remove ${a.symbol} from watchlist` }, icon('trash'), 'Remove');
        remove.addEventListener('click', () => withButton(remove, null, async () => {
          errors.clear();
          try {
            await del(`/watchlist/${a.id}`);
            toast(`${a.symbol} removed from your watchlist.`, 'success');
            await reload();
          } catch (err) { if (err.status !== 401) errors.show(err); }
        }));
        return h('tr', { test: 'watchlist-row', dataset: { assetId: a.id, symbol: a.symbol } },
          h('th', { scope: 'row', 'data-label': 'Asset' }, symbolCell(a)),
          h('td', { 'data-label': 'Sector' }, a.sector || '—'),
          h('td', { 'data-label': 'Rating' }, ratingBadge(a.rating)),
          h('td', { class: 'num', 'data-label': 'Price' }, money(a.price)),
          h('td', { class: 'num', 'data-label': 'Market cap', title: wholeMoney(a.marketCap) }, compactMoney(a.marketCap)),
          h('td', { 'data-label': 'Holding' }, w.invested
            ? badge('In portfolio', 'accent', 'watchlist-invested')
            : h('a', { href: `/portfolio?add=${encodeURIComponent(a.symbol)}`, class: 'link-subtle', test: 'watchlist-add-holding' }, 'Add holding')),
          h('td', { 'data-label': 'Added' }, date(w.addedAt)),
          h('td', { class: 'actions' }, remove));
      }))), 'Watchlist'));
  }

  async function reload() { render(await get('/watchlist')); }

  ctx.root.replaceChildren(
    pageHeader('Watchlist', { subtitle: 'Assets you are keeping an eye on.' }),
    h('section', { class: 'card card-pad' }, form),
    errors.el,
    listArea);
  render(items);
}

/* ------------------------------------------------------------------ portfolio */

export async function portfolioPage(ctx) {
  setTitle('Portfolio');
  const [initial, datalist] = await Promise.all([get('/portfolio'), symbolList()]);
  const errors = actionError('portfolio-error');
  const summary = h('div');
  const holdingsArea = h('div');
  const chartCard = h('section', { class: 'card card-pad chart-card', 'aria-labelledby': 'alloc-title', hidden: true });

  const form = h('form', { class: 'form', test: 'holding-form', 'aria-label': 'Add a holding' },
    formError(),
    field({ name: 'symbol', label: 'Symbol', value: (ctx.query.get('add') || '').toUpperCase(), test: 'holding-form-symbol', list: datalist.id, autocapitalize: 'characters', spellcheck: 'false', placeholder: 'e.g. ACME', required: true }),
    h('div', { class: 'field-row' },
      field({ name: 'quantity', label: 'Quantity', inputmode: 'numeric', test: 'holding-form-quantity', placeholder: '10', required: true }),
      field({ name: 'costBasis', label: 'Total paid', inputmode: 'decimal', test: 'holding-form-cost-basis', placeholder: '1500.00', required: true, hint: 'What you paid for all of them.' })),
    datalist,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', test: 'holding-form-submit' }, icon('plus'), 'Add holding')));

  onSubmit(form, async () => {
    const v = values(form);
    const problems = {};
    const qty = parseInteger(v.quantity, { min: 1, label: 'a whole number of units' });
    const cost = parseMoney(v.costBasis);
    if (!v.symbol.trim()) problems.symbol = 'Enter a symbol.';
    if (qty.error) problems.quantity = qty.error;
    if (cost.error) problems.costBasis = cost.error;
    if (Object.keys(problems).length) { showFieldProblems(form, problems); return; }
    const asset = await findAsset(v.symbol);
    if (!asset) { showFieldProblems(form, { symbol: `No asset has the symbol “${v.symbol.trim().toUpperCase()}”.` }, 'Unknown symbol.'); return; }
    await post('/portfolio', { assetId: asset.id, quantity: qty.value, costBasis: cost.cents });
    form.reset();
    for (const el of form.elements) if (el.name) el.value = '';
    toast(`${asset.symbol} added to your portfolio.`, 'success');
    await reload();
  }, { busyLabel: 'Adding…', aliases: { assetId: 'symbol' } });

  function render(portfolio) {
    const { holdings, totals } = portfolio;
    summary.replaceChildren(h('div', { class: 'stat-grid', test: 'portfolio-totals' },
      stat('Market value', money(totals.marketValue), 'portfolio-total-value'),
      stat('Cost basis', money(totals.costBasis), 'portfolio-total-cost'),
      stat('Profit / loss', signedMoney(totals.profit), 'portfolio-total-profit', profitClass(totals.profit)),
      stat('Return', signedPercent(totals.percentage), 'portfolio-total-percentage', profitClass(totals.percentage))));

    if (!holdings.length) {
      chartCard.hidden = true;
      chartCard.replaceChildren();
      holdingsArea.replaceChildren(emptyState({
        title: 'No holdings yet',
        text: 'Add what you own with the form, and Stockroom keeps the profit and loss up to date with current prices.',
        test: 'portfolio-empty', iconName: 'chart',
      }));
      return;
    }
    const totalValue = holdings.reduce((n, x) => n + Number(x.marketValue || 0), 0);
    holdingsArea.replaceChildren(tableWrap(holdingsTable(holdings, totalValue), 'Holdings'));
    chartCard.hidden = false;
    chartCard.replaceChildren(
      h('h2', { class: 'card-title', id: 'alloc-title' }, 'Allocation'),
      allocation(holdings, totalValue));
  }

  function holdingsTable(holdings, totalValue) {
    return h('table', { class: 'table', test: 'holdings-table' },
      h('caption', { class: 'sr-only' }, 'Holdings, valued at current prices'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Asset'),
        h('th', { scope: 'col', class: 'num' }, 'Quantity'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Cost basis'),
        h('th', { scope: 'col', class: 'num' }, 'Market value'),
        h('th', { scope: 'col', class: 'num' }, 'Profit / loss'),
        h('th', { scope: 'col', class: 'num' }, 'Share'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, holdings.map((x) => {
        const edit = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'holding-edit', 'aria-label': `Edit ${x.asset.symbol} holding` }, icon('edit'), 'Edit');
        edit.addEventListener('click', () => editHolding(x));
        const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'holding-delete', 'aria-label': `Remove ${x.asset.symbol} holding` }, icon('trash'), 'Remove');
        remove.addEventListener('click', async () => {
          const ok = await confirmDialog({ title: `Remove ${x.asset.symbol}?`, message: 'The holding leaves your portfolio. The asset stays on your watchlist if it is there.', confirmLabel: 'Remove holding', danger: true });
          if (!ok) return;
          await withButton(remove, null, async () => {
            errors.clear();
            try {
              await del(`/portfolio/${x.id}`);
              toast(`${x.asset.symbol} removed from your portfolio.`, 'success');
              await reload();
            } catch (err) { if (err.status !== 401) errors.show(err); }
          });
        });
        const share = totalValue > 0 ? (Number(x.marketValue) / totalValue) * 100 : 0;
        return h('tr', { test: 'holding-row', dataset: { holdingId: x.id, symbol: x.asset.symbol } },
          h('th', { scope: 'row', 'data-label': 'Asset' }, symbolCell(x.asset)),
          h('td', { class: 'num', 'data-label': 'Quantity', test: 'holding-quantity' }, number(x.quantity)),
          h('td', { class: 'num', 'data-label': 'Price' }, money(x.asset.price)),
          h('td', { class: 'num', 'data-label': 'Cost basis', test: 'holding-cost-basis' }, money(x.costBasis)),
          h('td', { class: 'num', 'data-label': 'Market value', test: 'holding-value' }, money(x.marketValue)),
          h('td', { class: `num ${profitClass(x.profit)}`, 'data-label': 'Profit / loss' },
            h('span', { test: 'holding-profit' }, signedMoney(x.profit)),
            h('span', { class: 'sub', test: 'holding-percentage' }, signedPercent(x.percentage))),
          h('td', { class: 'num', 'data-label': 'Share' }, `${share.toFixed(1)}%`),
          h('td', { class: 'actions' }, edit, remove));
      })));
  }

  function editHolding(x) {
    formDialog({
      title: `Edit ${x.asset.symbol} holding`,
      test: 'holding-edit-dialog',
      build: (close) => {
        const f = h('form', { class: 'form', test: 'holding-edit-form' },
          formError(),
          field({ name: 'quantity', label: 'Quantity', value: String(x.quantity), inputmode: 'numeric', test: 'holding-edit-quantity' }),
          field({ name: 'costBasis', label: 'Total paid', value: centsToInput(x.costBasis), inputmode: 'decimal', test: 'holding-edit-cost-basis' }),
          h('div', { class: 'dialog-actions' },
            h('button', { type: 'button', class: 'btn btn-secondary', test: 'holding-edit-cancel', onClick: close }, 'Cancel'),
            h('button', { type: 'submit', class: 'btn btn-primary', test: 'holding-edit-save' }, 'Save')));
        onSubmit(f, async () => {
          const v = values(f);
          const qty = parseInteger(v.quantity, { min: 1, label: 'a whole number of units' });
          const cost = parseMoney(v.costBasis);
          const problems = {};
          if (qty.error) problems.quantity = qty.error;
          if (cost.error) problems.costBasis = cost.error;
          if (Object.keys(problems).length) { showFieldProblems(f, problems); return; }
          await patch(`/portfolio/${x.id}`, { quantity: qty.value, costBasis: cost.cents });
          close();
          toast(`${x.asset.symbol} holding updated.`, 'success');
          await reload();
        });
        return f;
      },
    });
  }

  async function reload() { render(await get('/portfolio')); }

  ctx.root.replaceChildren(
    pageHeader('Portfolio', { subtitle: 'Profit and loss at current prices.' }),
    summary,
    errors.el,
    h('div', { class: 'portfolio-main' },
      holdingsArea,
      h('div', { class: 'portfolio-layout' },
        chartCard,
        h('section', { class: 'card card-pad', 'aria-labelledby': 'add-holding-title', id: 'add-holding' },
          h('h2', { class: 'card-title', id: 'add-holding-title' }, 'Add a holding'), form))));
  render(initial);
  if (ctx.query.get('add')) form.elements.namedItem('quantity').focus();
}

function stat(label, value, test, tone) {
  return h('div', { class: 'stat card' },
    h('p', { class: 'stat-label' }, label),
    h('p', { class: ['stat-value', tone], test }, value));
}

/* ------------------------------------------------------------------ allocation chart */

const MAX_SLICES = 7;

/** A donut of market value per holding, drawn as SVG circles with dash arrays, plus a legend. */
export function allocation(holdings, total) {
  if (!(total > 0)) {
    return h('p', { class: 'muted', test: 'portfolio-chart-empty' }, 'Nothing to chart: your holdings have no market value yet.');
  }
  let slices = holdings
    .map((x) => ({ label: x.asset.symbol, name: x.asset.name, value: Number(x.marketValue) || 0 }))
    .filter((s) => s.value > 0)
    .sort((a, b) => b.value - a.value);
  if (slices.length > MAX_SLICES + 1) {
    const rest = slices.slice(MAX_SLICES);
    slices = [...slices.slice(0, MAX_SLICES), { label: 'Other', name: plural(rest.length, 'holding'), value: rest.reduce((n, s) => n + s.value, 0) }];
  }

  const size = 220;
  const c = size / 2;
  const r = 80;
  const width = 34;
  const circumference = 2 * Math.PI * r;
  const gap = slices.length > 1 ? 1.5 : 0;
  const titleId = uid('chart');
  const chart = svg('svg', {
    class: 'donut', viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-labelledby': titleId, test: 'portfolio-chart',
  }, svg('title', { id: titleId }, `Allocation by market value: ${slices.map((s) => `${s.label} ${pct(s.value, total)}`).join(', ')}`),
  svg('circle', { class: 'donut-track', cx: c, cy: c, r, fill: 'none', 'stroke-width': width }));

  let offset = 0;
  slices.forEach((s, i) => {
    const len = (s.value / total) * circumference;
    const visible = Math.max(len - gap, 0.5);
    chart.append(svg('circle', {
      class: `donut-slice slice-${i}`, cx: c, cy: c, r, fill: 'none', 'stroke-width': width,
      'stroke-dasharray': `${visible} ${circumference - visible}`,
      'stroke-dashoffset': String(-offset),
      transform: `rotate(-90 ${c} ${c})`,
      'data-symbol': s.label,
    }, svg('title', null, `${s.label}: ${money(s.value)} (${pct(s.value, total)})`)));
    offset += len;
  });
  chart.append(
    svg('text', { class: 'donut-value', x: c, y: c - 2, 'text-anchor': 'middle', 'dominant-baseline': 'middle' }, compactCents(total)),
    svg('text', { class: 'donut-label', x: c, y: c + 20, 'text-anchor': 'middle' }, 'market value'));

  const legend = h('ul', { class: 'legend', test: 'portfolio-legend' }, slices.map((s, i) => h('li', { class: 'legend-item', dataset: { symbol: s.label } },
    h('span', { class: `swatch slice-bg-${i}`, 'aria-hidden': 'true' }),
    h('span', { class: 'legend-label' }, h('strong', null, s.label), ' ', h('span', { class: 'muted' }, s.name)),
    h('span', { class: 'legend-value' }, pct(s.value, total)))));
  return h('div', { class: 'allocation' }, chart, legend);
}

function pct(value, total) {
  return `${((value / total) * 100).toFixed(1)}%`;
}

function compactCents(cents) {
  return compactMoney(Number(cents) / 100);
}
