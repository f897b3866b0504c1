// Markets: the asset screener, an asset's page (with its price chart), the watchlist, the
// portfolio (its allocation, and its value against its cost over time) and the ledger of
// transactions the portfolio is worked out from.
import { get, post, patch, del } from '../api.js';
import { state } from '../state.js';
import {
  h, svg, field, formError, onSubmit, values, toast, confirmDialog, formDialog, pageHeader, emptyState, pager, badge,
  tableWrap, withButton, actionError, showFieldProblems, showErrors, clearErrors, icon, uid,
} from '../dom.js';
import {
  money, signedMoney, signedPercent, compactMoney, wholeMoney, parseMoney, parseInteger, centsToInput, number, date, plural,
  dateTime, relativeTime, currencySymbol, localInputValue, isoFromLocalInput,
} from '../format.js';
import { setQuery, setTitle, loginRedirect } from '../router.js';
import { lineChart } from '../chart.js';
import { csvImportForm } from '../widgets.js';

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

/** The symbol (a link to the asset's page) over its name; `extra` goes after (a badge). */
function symbolCell(asset, extra = null) {
  return h('div', { class: 'asset-cell' },
    h('a', { href: `/markets/${asset.id}`, class: 'symbol asset-link', test: 'asset-symbol' }, asset.symbol),
    h('span', { class: 'asset-name' }, asset.name),
    extra);
}

/** A muted dash for an empty cell that screen readers announce as `spoken`. */
function dash(spoken = 'None') {
  return h('span', { class: 'muted' }, h('span', { 'aria-hidden': 'true' }, '—'), h('span', { class: 'sr-only' }, spoken));
}

function timeZoneHint(prefix = 'In your time zone') {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone ? `${prefix} (${zone}).` : `${prefix}.`;
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

const DAY_MS = 86_400_000;
const HISTORY_RANGES = [
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
  { days: 365, label: 'Last year' },
];

/** UTC days, as the history takes them: the last `days` of them, today included. */
function historyRange(days) {
  const now = Date.now();
  return {
    from: new Date(now - (days - 1) * DAY_MS).toISOString().slice(0, 10),
    to: new Date(now).toISOString().slice(0, 10),
  };
}

/** The history, or {error} (the rest of the page still shows when only the chart fails). */
function loadHistory(days) {
  return get('/portfolio/history', historyRange(days)).catch((err) => {
    if (err.status === 401) throw err;
    return { error: err };
  });
}

/** Open holdings first, then those sold out (kept while they have realized profit or dividends). */
function byOpenFirst(holdings) {
  return holdings
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (Number(a.x.quantity) === 0) - (Number(b.x.quantity) === 0) || a.i - b.i)
    .map(({ x }) => x);
}

export async function portfolioPage(ctx) {
  setTitle('Portfolio');
  let days = 365;
  const [initial, datalist, initialHistory] = await Promise.all([get('/portfolio'), symbolList(), loadHistory(days)]);
  const errors = actionError('portfolio-error');
  const summary = h('div');
  const holdingsArea = h('div');
  const chartCard = h('section', { class: 'card card-pad chart-card', 'aria-labelledby': 'alloc-title', hidden: true });

  const rangeId = uid('range');
  const rangeSelect = h('select', { id: rangeId, class: 'input input-sm', name: 'range', test: 'portfolio-history-range' },
    HISTORY_RANGES.map((r) => h('option', { value: String(r.days) }, r.label)));
  rangeSelect.value = String(days);
  const historyBody = h('div', { class: 'history-body' });
  const historyCard = h('section', { class: 'card card-pad history-card', 'aria-labelledby': 'history-title', test: 'portfolio-history', hidden: true },
    h('div', { class: 'history-head' },
      h('div', null,
        h('h2', { class: 'card-title', id: 'history-title' }, 'Value against cost'),
        h('p', { class: 'card-description' }, 'What your holdings were worth at the end of each day, and what you had paid for them.')),
      h('div', { class: 'inline-control' }, h('label', { class: 'label', for: rangeId }, 'Period'), rangeSelect)),
    historyBody);
  rangeSelect.addEventListener('change', async () => {
    days = Number(rangeSelect.value) || 365;
    rangeSelect.disabled = true;
    try {
      renderHistory(await loadHistory(days));
    } catch (err) {
      if (err.status !== 401) errors.show(err);
    } finally {
      rangeSelect.disabled = false;
    }
  });

  const form = h('form', { class: 'form', test: 'holding-form', 'aria-label': 'Add a holding' },
    formError(),
    field({ name: 'symbol', label: 'Symbol', value: (ctx.query.get('add') || '').toUpperCase(), test: 'holding-form-symbol', list: datalist.id, autocapitalize: 'characters', spellcheck: 'false', placeholder: 'e.g. ACME', required: true }),
    h('div', { class: 'field-row' },
      field({ name: 'quantity', label: 'Quantity', inputmode: 'numeric', test: 'holding-form-quantity', placeholder: '10', required: true }),
      field({ name: 'costBasis', label: 'Total paid', inputmode: 'decimal', test: 'holding-form-cost-basis', placeholder: '1500.00', required: true, hint: 'What you paid for all of them.' })),
    datalist,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', test: 'holding-form-submit' }, icon('plus'), 'Add holding')),
    h('p', { class: 'hint' }, 'This records one purchase. Sales, dividends, fees and more purchases go on ',
      h('a', { href: '/portfolio/transactions', test: 'holding-form-transactions' }, 'the transactions page'), '.'));

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
    const { totals } = portfolio;
    const holdings = byOpenFirst(portfolio.holdings);
    summary.replaceChildren(h('div', { class: 'stat-grid', test: 'portfolio-totals' },
      stat('Market value', money(totals.marketValue), 'portfolio-total-value'),
      stat('Cost basis', money(totals.costBasis), 'portfolio-total-cost'),
      stat('Unrealized profit', signedMoney(totals.profit), 'portfolio-total-profit', profitClass(totals.profit),
        h('span', { class: profitClass(totals.percentage), test: 'portfolio-total-percentage' }, signedPercent(totals.percentage))),
      stat('Realized profit', signedMoney(totals.realizedProfit), 'totals-realized', profitClass(totals.realizedProfit), 'From sales, less fees'),
      stat('Dividends', signedMoney(totals.dividends), 'totals-dividends', profitClass(totals.dividends)),
      stat('Total return', signedMoney(totals.totalReturn), 'totals-total-return', profitClass(totals.totalReturn), 'Unrealized + realized + dividends')));

    if (!holdings.length) {
      chartCard.hidden = true;
      chartCard.replaceChildren();
      historyCard.hidden = true;
      holdingsArea.replaceChildren(emptyState({
        title: 'No holdings yet',
        text: 'Record what you buy and sell on the transactions page, or add a holding with the form, and Stockroom keeps the profit and loss up to date with current prices.',
        action: h('a', { href: '/portfolio/transactions', class: 'btn btn-secondary', test: 'portfolio-empty-transactions' }, 'Open the transactions'),
        test: 'portfolio-empty', iconName: 'chart',
      }));
      return;
    }
    const totalValue = holdings.reduce((n, x) => n + Number(x.marketValue || 0), 0);
    holdingsArea.replaceChildren(tableWrap(holdingsTable(holdings), 'Holdings'));
    historyCard.hidden = false;
    chartCard.hidden = false;
    chartCard.replaceChildren(
      h('h2', { class: 'card-title', id: 'alloc-title' }, 'Allocation'),
      allocation(holdings, totalValue));
  }

  /** The value-against-cost chart over the days with something held (and the day before). */
  function renderHistory(history) {
    if (historyCard.hidden) { historyBody.replaceChildren(); return; }
    if (!history || history.error) {
      historyBody.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert', test: 'portfolio-history-error' },
        history?.error?.message || 'The history could not be loaded.'));
      return;
    }
    const points = history.map((p) => ({
      t: Date.parse(`${p.date}T00:00:00Z`),
      value: Number(p.marketValue) || 0,
      cost: Number(p.costBasis) || 0,
    })).filter((p) => Number.isFinite(p.t));
    const first = points.findIndex((p) => p.value !== 0 || p.cost !== 0);
    if (first < 0) {
      historyBody.replaceChildren(h('p', { class: 'chart-empty muted', test: 'portfolio-history-empty' },
        'Nothing held in this period yet. Once you record a purchase, its value and cost show here day by day.'));
      return;
    }
    const shown = points.slice(Math.max(0, first - 1));
    historyBody.replaceChildren(lineChart({
      series: [
        { key: 'marketValue', label: 'Market value', points: shown.map((p) => ({ t: p.t, v: p.value })) },
        { key: 'costBasis', label: 'Cost basis', points: shown.map((p) => ({ t: p.t, v: p.cost })), dashed: true },
      ],
      title: 'Market value against cost basis, at the end of each day',
      utc: true,
      zero: true,
      test: 'portfolio-history-chart',
      legendTest: 'portfolio-history-legend',
    }));
  }

  function holdingsTable(holdings) {
    return h('table', { class: 'table holdings-table', test: 'holdings-table' },
      h('caption', { class: 'sr-only' }, 'Holdings, valued at current prices'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Asset'),
        h('th', { scope: 'col', class: 'num' }, 'Quantity'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Cost basis'),
        h('th', { scope: 'col', class: 'num' }, 'Market value'),
        h('th', { scope: 'col', class: 'num' }, 'Unrealized'),
        h('th', { scope: 'col', class: 'num' }, 'Realized'),
        h('th', { scope: 'col', class: 'num' }, 'Dividends'),
        h('th', { scope: 'col', class: 'num' }, 'Total return'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, holdings.map((x) => {
        const closed = Number(x.quantity) === 0;
        const history = h('a', {
          href: `/portfolio/transactions?assetId=${x.asset.id}`, class: 'btn btn-ghost btn-sm btn-icon', test: 'holding-transactions',
          'aria-label': `Transactions of ${x.asset.symbol}`, title: 'Transactions',
        }, icon('list'));
        const edit = closed ? null : h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon', test: 'holding-edit', 'aria-label': `Edit ${x.asset.symbol} holding`, title: 'Edit' }, icon('edit'));
        edit?.addEventListener('click', () => editHolding(x));
        const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon btn-ghost-danger', test: 'holding-delete', 'aria-label': `Remove ${x.asset.symbol} holding`, title: 'Remove' }, icon('trash'));
        remove.addEventListener('click', async () => {
          const ok = await confirmDialog({ title: `Remove ${x.asset.symbol}?`, message: 'The holding and every transaction of it leave your portfolio. The asset stays on your watchlist if it is there.', confirmLabel: 'Remove holding', danger: true });
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
        const signed = (value, label, test) => h('td', { class: `num ${profitClass(value)}`, 'data-label': label, test }, signedMoney(value));
        return h('tr', { test: 'holding-row', class: closed ? 'row-closed' : null, dataset: { holdingId: x.id, symbol: x.asset.symbol, closed: closed ? '1' : '0' } },
          h('th', { scope: 'row', 'data-label': 'Asset' }, symbolCell(x.asset, closed ? badge('Sold out', 'neutral', 'holding-closed') : null)),
          h('td', { class: 'num', 'data-label': 'Quantity', test: 'holding-quantity' }, number(x.quantity)),
          h('td', { class: 'num', 'data-label': 'Price' }, money(x.asset.price)),
          h('td', { class: 'num', 'data-label': 'Cost basis', test: 'holding-cost-basis' }, money(x.costBasis)),
          h('td', { class: 'num', 'data-label': 'Market value', test: 'holding-value' }, money(x.marketValue)),
          h('td', { class: `num ${profitClass(x.profit)}`, 'data-label': 'Unrealized' },
            h('span', { test: 'holding-profit' }, signedMoney(x.profit)),
            h('span', { class: 'sub', test: 'holding-percentage' }, signedPercent(x.percentage))),
          signed(x.realizedProfit, 'Realized', 'holding-realized'),
          signed(x.dividends, 'Dividends', 'holding-dividends'),
          signed(x.totalReturn, 'Total return', 'holding-total-return'),
          h('td', { class: 'actions' }, h('div', { class: 'button-row button-row-tight' }, history, edit, remove)));
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

  async function reload() {
    const [portfolio, history] = await Promise.all([get('/portfolio'), loadHistory(days)]);
    render(portfolio);
    renderHistory(history);
  }

  ctx.root.replaceChildren(
    pageHeader('Portfolio', {
      subtitle: 'Profit and loss at current prices, worked out from your transactions.',
      actions: h('a', { href: '/portfolio/transactions', class: 'btn btn-secondary', test: 'portfolio-transactions-link' }, 'Transactions'),
    }),
    summary,
    errors.el,
    h('div', { class: 'portfolio-main' },
      holdingsArea,
      historyCard,
      h('div', { class: 'portfolio-layout' },
        chartCard,
        h('section', { class: 'card card-pad', 'aria-labelledby': 'add-holding-title', id: 'add-holding' },
          h('h2', { class: 'card-title', id: 'add-holding-title' }, 'Add a holding'), form))));
  render(initial);
  renderHistory(initialHistory);
  if (ctx.query.get('add')) form.elements.namedItem('quantity').focus();
}

/** A figure in a card: label, value (coloured by `tone`), and an optional line under it. */
function stat(label, value, test, tone, hint) {
  return h('div', { class: 'stat card' },
    h('p', { class: 'stat-label' }, label),
    h('p', { class: ['stat-value', tone], test }, value),
    hint ? h('p', { class: 'stat-hint' }, hint) : null);
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

/* ------------------------------------------------------------------ an asset's page */

export async function assetPage(ctx) {
  const id = ctx.params.id;
  const [asset, prices] = await Promise.all([
    get(`/assets/${id}`),
    get(`/assets/${id}/prices`).catch((err) => {
      if (err.status === 401) throw err;
      return { error: err };
    }),
  ]);
  setTitle(`${asset.symbol} · ${asset.name}`);

  const chartArea = h('div', { class: 'history-body' });
  if (prices.error) {
    chartArea.append(h('p', { class: 'alert alert-error', role: 'alert', test: 'price-chart-error' }, prices.error.message));
  } else if (!prices.length) {
    chartArea.append(emptyState({
      title: 'No price history yet',
      text: 'Each change of the price is recorded from now on, and the chart draws itself from them.',
      test: 'price-chart-empty', iconName: 'chart',
    }));
  } else {
    const points = prices.map((p) => ({ t: Date.parse(p.at), v: Number(p.price) }));
    // The last price holds until now: the line reaches today.
    const now = Date.now();
    if (points[points.length - 1].t < now) points.push({ t: now, v: Number(asset.price) });
    chartArea.append(lineChart({
      series: [{ key: 'price', label: 'Price', points }],
      title: `${asset.symbol} price over time`,
      step: true,
      test: 'price-chart',
      legendTest: 'price-legend',
    }));
  }

  const actions = state.user
    ? [
      h('a', { href: `/portfolio/transactions?add=${encodeURIComponent(asset.symbol)}`, class: 'btn btn-primary', test: 'asset-record-transaction' }, icon('plus'), 'Record a transaction'),
      h('a', { href: `/portfolio/transactions?assetId=${asset.id}`, class: 'btn btn-secondary', test: 'asset-transactions' }, 'Your transactions'),
    ]
    : null;

  ctx.root.replaceChildren(
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('ol', null,
        h('li', null, h('a', { href: '/markets' }, 'Markets')),
        h('li', { 'aria-current': 'page' }, asset.symbol))),
    pageHeader(asset.name, { subtitle: [asset.symbol, asset.sector].filter(Boolean).join(' · '), actions, test: 'asset-title' }),
    h('div', { class: 'stat-grid', test: 'asset-facts', dataset: { assetId: asset.id, symbol: asset.symbol } },
      stat('Price', money(asset.price), 'asset-page-price'),
      stat('Market cap', compactMoney(asset.marketCap), 'asset-page-market-cap', null, asset.marketCap === null || asset.marketCap === undefined ? null : wholeMoney(asset.marketCap)),
      h('div', { class: 'stat card' }, h('p', { class: 'stat-label' }, 'Rating'), h('p', { class: 'stat-value' }, ratingBadge(asset.rating))),
      stat('Price updated', relativeTime(asset.updatedAt), 'asset-page-updated', null, dateTime(asset.updatedAt))),
    h('section', { class: 'card card-pad history-card', 'aria-labelledby': 'price-title', test: 'price-history' },
      h('h2', { class: 'card-title', id: 'price-title' }, 'Price history'),
      chartArea));
}

/* ------------------------------------------------------------------ transactions */

const TX_TYPES = [
  { value: 'buy', label: 'Buy', badge: 'accent', trades: true },
  { value: 'sell', label: 'Sell', badge: 'warning', trades: true },
  { value: 'dividend', label: 'Dividend', badge: 'success', trades: false },
  { value: 'fee', label: 'Fee', badge: 'neutral', trades: false },
];
const TX_FILTERS = ['assetId', 'type', 'from', 'to'];
const TX_CSV_HEADER = 'date,symbol,type,quantity,price,fee,amount';
const DAY_RE = /^\d{4}-\d\d-\d\d$/;

const txType = (value) => TX_TYPES.find((t) => t.value === value) || null;

/** The filters in the address; anything unreadable is dropped. Days stay YYYY-MM-DD there. */
function readTxQuery(query) {
  const id = parseInteger(query.get('assetId') || '', { min: 1 });
  const type = query.get('type') || '';
  const day = (key) => {
    const v = (query.get(key) || '').trim();
    return DAY_RE.test(v) && !Number.isNaN(Date.parse(v)) ? v : '';
  };
  return { assetId: id.error ? '' : String(id.value), type: txType(type) ? type : '', from: day('from'), to: day('to') };
}

/** The filters as the API takes them: each day, whole, in the browser's time zone, as RFC 3339. */
function txApiQuery(f) {
  return {
    assetId: f.assetId,
    type: f.type,
    from: f.from ? isoFromLocalInput(`${f.from}T00:00`) : '',
    to: f.to ? isoFromLocalInput(`${f.to}T23:59`, { end: true }) : '',
  };
}

/** Today in the browser's time zone, as a date input's value. */
function todayInput() {
  return localInputValue(new Date().toISOString()).slice(0, 10);
}

/** What a buy cost or a sale brought in, fee included (null when it is not a trade). */
function tradeTotal(tx) {
  if (!txType(tx.type)?.trades || tx.quantity === null || tx.price === null) return null;
  const gross = Number(tx.quantity) * Number(tx.price);
  return tx.type === 'buy' ? gross + Number(tx.fee || 0) : gross - Number(tx.fee || 0);
}

/** Every asset (for the filter and the symbol suggestions); an empty list when that fails. */
async function assetChoices() {
  try {
    return (await get('/assets', { sort: 'symbol', perPage: 100 })).items;
  } catch (err) {
    if (err.status === 401) throw err;
    return [];
  }
}

export async function transactionsPage(ctx) {
  setTitle('Transactions');
  const filters = readTxQuery(ctx.query);
  const firstPage = Math.max(1, Number(ctx.query.get('page')) || 1);
  const addSymbol = (ctx.query.get('add') || '').trim().toUpperCase();
  const assets = await assetChoices();
  const datalist = h('datalist', { id: uid('symbols') }, assets.map((a) => h('option', { value: a.symbol }, a.name)));
  const errors = actionError('tx-error');
  const count = h('p', { class: 'results-count', test: 'tx-count', 'aria-live': 'polite' });
  const area = h('div', { class: 'results' });
  let page = firstPage;
  let seq = 0;
  // The first load only tidies the address; each later change is a step back can undo.
  let settled = false;

  /* ---------------------------------------------------------------- filters */

  const assetOptions = [{ value: '', label: 'All assets' }, ...assets.map((a) => ({ value: a.id, label: `${a.symbol} · ${a.name}` }))];
  if (filters.assetId && !assets.some((a) => String(a.id) === filters.assetId)) {
    assetOptions.push({ value: filters.assetId, label: `Asset #${filters.assetId}` });
  }
  const filterForm = h('form', { class: 'filters filters-wide', test: 'tx-filters', role: 'search', 'aria-label': 'Filter transactions' },
    formError(),
    h('div', { class: 'filter-grid' },
      field({ name: 'assetId', label: 'Asset', type: 'select', value: filters.assetId, options: assetOptions, test: 'tx-filter-asset' }),
      field({ name: 'type', label: 'Type', type: 'select', value: filters.type, options: [{ value: '', label: 'Every type' }, ...TX_TYPES], test: 'tx-filter-type' }),
      field({ name: 'from', label: 'From', type: 'date', value: filters.from, max: todayInput(), test: 'tx-filter-from', hint: timeZoneHint('Days in your time zone') }),
      field({ name: 'to', label: 'To', type: 'date', value: filters.to, max: todayInput(), test: 'tx-filter-to', hint: 'That whole day included.' })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'tx-filter-apply' }, 'Apply filters'),
      h('button', { type: 'button', class: 'btn btn-ghost', test: 'tx-filter-reset', onClick: reset }, 'Reset')));

  const summary = h('summary', { class: 'filters-summary', test: 'tx-filters-summary' });
  const paintSummary = () => {
    const active = TX_FILTERS.filter((k) => filters[k]).length;
    summary.textContent = active ? `Filters (${active})` : 'Filters';
  };
  paintSummary();
  // Open on a wide screen, or when filters are set; on a phone they would fill the first screen.
  const filtersCard = h('details', {
    class: 'card filters-card',
    open: !window.matchMedia('(max-width: 860px)').matches || TX_FILTERS.some((k) => filters[k]),
  }, summary, filterForm);

  function readFilters() {
    const v = values(filterForm);
    const problems = {};
    const next = { assetId: v.assetId, type: v.type, from: '', to: '' };
    for (const key of ['from', 'to']) {
      if (filterForm.elements.namedItem(key).validity?.badInput) { problems[key] = 'Enter a whole date, or clear the field.'; continue; }
      if (!v[key]) continue;
      if (DAY_RE.test(v[key])) next[key] = v[key]; else problems[key] = 'Enter a date.';
    }
    if (next.from && next.to && next.to < next.from) problems.to = 'Choose a day on or after “From”.';
    if (Object.keys(problems).length) { showFieldProblems(filterForm, problems); return null; }
    return next;
  }

  onSubmit(filterForm, async () => {
    const next = readFilters();
    if (!next) return;
    Object.assign(filters, next);
    paintSummary();
    await load(1);
  }, { busyLabel: 'Filtering…' });
  for (const name of ['assetId', 'type']) {
    filterForm.elements.namedItem(name).addEventListener('change', () => filterForm.requestSubmit());
  }

  function reset() {
    clearErrors(filterForm);
    for (const key of TX_FILTERS) {
      filters[key] = '';
      filterForm.elements.namedItem(key).value = '';
    }
    paintSummary();
    load(1).catch((err) => { if (err.status !== 401) showErrors(filterForm, err); });
  }

  /* ---------------------------------------------------------------- the list */

  async function load(p = page) {
    page = p;
    const mine = ++seq;
    errors.clear();
    setQuery({ ...filters, page: page > 1 ? page : '' }, { replace: !settled });
    area.classList.add('is-stale');
    try {
      const data = await get('/portfolio/transactions', { ...txApiQuery(filters), page, perPage: PER_PAGE });
      if (mine !== seq || !ctx.isCurrent()) return;
      if (!data.items.length && page > 1 && data.totalPages >= 1) { await load(data.totalPages); return; }
      count.textContent = data.totalItems ? plural(data.totalItems, 'transaction') : '';
      if (!data.items.length) { area.replaceChildren(emptyList()); return; }
      area.replaceChildren(tableWrap(txTable(data.items), 'Transactions'),
        pager(data, (n) => load(n).catch((err) => { if (err.status !== 401) errors.show(err); })));
    } finally {
      if (mine === seq) area.classList.remove('is-stale');
    }
  }

  function emptyList() {
    const filtered = TX_FILTERS.some((k) => filters[k]);
    return emptyState({
      title: filtered ? 'No transactions match these filters' : 'No transactions yet',
      text: filtered
        ? 'Widen the dates, or choose another asset or type.'
        : 'Record each buy, sell, dividend and fee, or import them from a CSV file below. Your holdings are worked out from them.',
      test: 'tx-empty',
      iconName: filtered ? 'search' : 'chart',
      action: filtered
        ? h('button', { type: 'button', class: 'btn btn-secondary', test: 'tx-empty-reset', onClick: reset }, 'Clear filters')
        : h('button', { type: 'button', class: 'btn btn-primary', test: 'tx-empty-add', onClick: () => openForm(null) }, icon('plus'), 'Add a transaction'),
    });
  }

  function txTable(items) {
    return h('table', { class: 'table tx-table', test: 'tx-table' },
      h('caption', { class: 'sr-only' }, 'Transactions, newest first'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Date'),
        h('th', { scope: 'col' }, 'Asset'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col', class: 'num' }, 'Quantity'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Fee'),
        h('th', { scope: 'col', class: 'num' }, 'Amount'),
        h('th', { scope: 'col' }, 'Note'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, items.map(txRow)));
  }

  function txRow(tx) {
    const type = txType(tx.type) || { value: tx.type, label: tx.type, badge: 'neutral', trades: false };
    const what = `${type.label.toLowerCase()} of ${tx.asset.symbol} on ${dateTime(tx.at)}`;
    const edit = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon', test: 'tx-edit', 'aria-label': `Edit the ${what}`, title: 'Edit' }, icon('edit'));
    edit.addEventListener('click', () => openForm(tx));
    const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon btn-ghost-danger', test: 'tx-delete', 'aria-label': `Delete the ${what}`, title: 'Delete' }, icon('trash'));
    remove.addEventListener('click', () => removeTx(tx, remove, what));
    const total = tradeTotal(tx);
    const absent = (value) => value === null || value === undefined;
    // A figure the type does not use: a dash in the table; left out of a phone's card.
    const figure = (label, test, value, show) => h('td', {
      class: ['num', absent(value) ? 'cell-empty' : null], 'data-label': label, test,
    }, absent(value) ? dash() : show(value));
    return h('tr', { test: 'tx-row', dataset: { txId: tx.id, type: tx.type, symbol: tx.asset.symbol, assetId: tx.asset.id } },
      h('th', { scope: 'row', class: 'nowrap', 'data-label': 'Date' },
        h('time', { datetime: tx.at, title: tx.at, test: 'tx-date' }, dateTime(tx.at))),
      h('td', { 'data-label': 'Asset' }, symbolCell(tx.asset)),
      h('td', { 'data-label': 'Type' }, badge(type.label, type.badge, 'tx-row-type')),
      figure('Quantity', 'tx-quantity', tx.quantity, number),
      figure('Price', 'tx-price', tx.price, money),
      figure('Fee', 'tx-fee', tx.fee, money),
      h('td', { class: 'num', 'data-label': absent(tx.amount) && total !== null ? 'Total' : 'Amount', test: 'tx-amount' }, !absent(tx.amount)
        ? money(tx.amount)
        : total !== null
          ? h('span', { class: 'muted', title: tx.type === 'buy' ? 'Quantity × price + fee' : 'Quantity × price − fee' },
            money(total), h('span', { class: 'sr-only' }, ' in total'))
          : dash()),
      h('td', { 'data-label': 'Note', class: ['tx-note-cell', tx.note ? null : 'cell-empty'] },
        tx.note ? h('span', { class: 'tx-note', title: tx.note, test: 'tx-note' }, tx.note) : dash('No note')),
      h('td', { class: 'actions' }, h('div', { class: 'button-row button-row-tight' }, edit, remove)));
  }

  async function removeTx(tx, button, what) {
    const ok = await confirmDialog({
      title: 'Delete this transaction?',
      message: `The ${what} is deleted, and your holdings are worked out again without it.`,
      confirmLabel: 'Delete transaction',
      danger: true,
    });
    if (!ok) return;
    await withButton(button, null, async () => {
      errors.clear();
      try {
        await del(`/portfolio/transactions/${tx.id}`);
        toast('Transaction deleted.', 'success');
        await load();
      } catch (err) {
        if (err.status !== 401) errors.show(err);
      }
    });
  }

  /* ---------------------------------------------------------------- add and edit */

  function openForm(tx, symbol = '') {
    formDialog({
      title: tx ? `Edit the ${txType(tx.type)?.label.toLowerCase() || tx.type} of ${tx.asset.symbol}` : 'Add a transaction',
      test: 'tx-dialog',
      build: (close) => txForm(tx, symbol, close),
    });
  }

  /**
   * The form for a new transaction, or one to edit (`tx`): only the fields its type uses show.
   * An edit sends only what changed (the server drops the figures a new type does not use).
   */
  function txForm(tx, symbol, close) {
    const editing = Boolean(tx);
    const initial = {
      symbol: tx ? tx.asset.symbol : symbol,
      type: tx ? tx.type : 'buy',
      quantity: tx?.quantity !== null && tx?.quantity !== undefined ? String(tx.quantity) : '',
      price: tx ? centsToInput(tx.price) : '',
      fee: tx ? centsToInput(tx.fee) : '',
      amount: tx ? centsToInput(tx.amount) : '',
      at: localInputValue(tx ? tx.at : new Date().toISOString()),
      note: tx?.note || '',
    };
    const unit = currencySymbol();
    const tradeRow = h('div', { class: 'field-row' },
      field({ name: 'quantity', label: 'Quantity', value: initial.quantity, inputmode: 'numeric', test: 'tx-form-quantity', placeholder: '10', required: true }),
      field({ name: 'price', label: 'Unit price', value: initial.price, inputmode: 'decimal', prefix: unit, test: 'tx-form-price', placeholder: '125.40', required: true }),
      field({ name: 'fee', label: 'Fee', value: initial.fee, inputmode: 'decimal', prefix: unit, test: 'tx-form-fee', placeholder: '0.00', optional: true }));
    const amountField = field({ name: 'amount', label: 'Amount', value: initial.amount, inputmode: 'decimal', prefix: unit, test: 'tx-form-amount', placeholder: '12.50', required: true, hint: ' ' });
    const noteField = field({ name: 'note', label: 'Note', type: 'textarea', rows: 2, value: initial.note, test: 'tx-form-note', optional: true, hint: 'Up to 500 characters.' });
    noteField.querySelector('textarea').maxLength = 500;
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', test: 'tx-form-submit' }, editing ? 'Save changes' : 'Add transaction');
    const f = h('form', { class: 'form', test: 'tx-form', 'aria-label': editing ? 'Edit the transaction' : 'Add a transaction' },
      formError(),
      h('div', { class: 'field-row' },
        field({ name: 'symbol', label: 'Asset symbol', value: initial.symbol, test: 'tx-form-symbol', list: datalist.id, autocapitalize: 'characters', spellcheck: 'false', placeholder: 'e.g. ACME', required: true }),
        field({ name: 'type', label: 'Type', type: 'select', value: initial.type, options: TX_TYPES, test: 'tx-type' })),
      tradeRow,
      amountField,
      field({ name: 'at', label: 'Date and time', type: 'datetime-local', value: initial.at, max: localInputValue(new Date().toISOString()), test: 'tx-form-at', hint: `${timeZoneHint()} Not in the future.` }),
      noteField,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn btn-secondary', test: 'tx-form-cancel', onClick: close }, 'Cancel'),
        submit));

    const typeSelect = f.elements.namedItem('type');
    const amountHint = amountField.querySelector('.hint');
    const show = (el, on) => {
      el.hidden = !on;
      for (const control of el.querySelectorAll('input, select, textarea')) control.disabled = !on;
    };
    const paint = () => {
      const trades = Boolean(txType(typeSelect.value)?.trades);
      show(tradeRow, trades);
      show(amountField, !trades);
      amountHint.textContent = typeSelect.value === 'fee'
        ? 'What you were charged (an account or custody fee). It counts against the realized profit.'
        : 'What was paid out to you.';
    };
    typeSelect.addEventListener('change', paint);
    paint();

    onSubmit(f, async () => {
      const v = values(f);
      const type = v.type;
      const trades = Boolean(txType(type)?.trades);
      const problems = {};
      const sym = v.symbol.trim().toUpperCase();
      if (!sym) problems.symbol = 'Enter a symbol.';
      let qty = null;
      let price = null;
      let fee = null;
      let amount = null;
      if (trades) {
        qty = parseInteger(v.quantity, { min: 1, label: 'a whole number of units' });
        if (qty.error) problems.quantity = qty.error;
        price = parseMoney(v.price);
        if (price.error) problems.price = price.error;
        fee = v.fee.trim() ? parseMoney(v.fee) : { cents: 0 };
        if (fee.error) problems.fee = fee.error;
      } else {
        amount = parseMoney(v.amount);
        if (amount.error) problems.amount = amount.error;
        else if (amount.cents < 1) problems.amount = 'Enter an amount above zero.';
      }
      // Untouched, a new transaction's time is left to the server ("now", to the second).
      let at = null;
      const atInput = f.elements.namedItem('at');
      if (atInput.validity?.badInput) {
        problems.at = 'Enter a whole date and time.';
      } else if (v.at !== initial.at) {
        if (!v.at) {
          if (editing) problems.at = 'Enter a date and time.';
        } else {
          at = isoFromLocalInput(v.at);
          if (!at) problems.at = 'Enter a date and time.';
          else if (Date.parse(at) > Date.now()) problems.at = 'Choose a time that is not in the future.';
        }
      }
      const note = v.note.trim();
      if (note.length > 500) problems.note = 'Keep the note to 500 characters.';
      if (Object.keys(problems).length) { showFieldProblems(f, problems); return; }

      let asset = tx?.asset;
      if (!editing || sym !== tx.asset.symbol.toUpperCase()) {
        asset = await findAsset(sym);
        if (!asset) { showFieldProblems(f, { symbol: `No asset has the symbol “${sym}”.` }, 'Unknown symbol.'); return; }
      }

      if (!editing) {
        const body = { assetId: asset.id, type };
        if (trades) Object.assign(body, { quantity: qty.value, price: price.cents, fee: fee.cents });
        else body.amount = amount.cents;
        if (at) body.at = at;
        if (note) body.note = note;
        await post('/portfolio/transactions', body);
        close();
        toast(`${txType(type).label} of ${asset.symbol} recorded.`, 'success');
      } else {
        const body = {};
        if (asset.id !== tx.asset.id) body.assetId = asset.id;
        if (type !== tx.type) body.type = type;
        if (trades) {
          if (qty.value !== tx.quantity) body.quantity = qty.value;
          if (price.cents !== tx.price) body.price = price.cents;
          if (fee.cents !== (tx.fee ?? 0)) body.fee = fee.cents;
        } else if (amount.cents !== tx.amount) {
          body.amount = amount.cents;
        }
        if (at) body.at = at;
        if (note !== (tx.note || '')) body.note = note || null;
        if (!Object.keys(body).length) { close(); toast('Nothing to change.', 'info'); return; }
        await patch(`/portfolio/transactions/${tx.id}`, body);
        close();
        toast('Transaction updated.', 'success');
      }
      await load();
    }, { busyLabel: editing ? 'Saving…' : 'Adding…', aliases: { assetId: 'symbol' } });
    return f;
  }

  /* ---------------------------------------------------------------- import and export */

  const importCard = h('section', { class: 'card card-pad tx-import-card', 'aria-labelledby': 'tx-import-title', id: 'import' },
    h('h2', { class: 'card-title', id: 'tx-import-title' }, 'Import from CSV'),
    h('p', { class: 'card-description csv-help' },
      'One transaction a line under the header ', h('code', null, TX_CSV_HEADER), ' (a last ', h('code', null, 'note'),
      ' column is optional). Dates as 2026-03-31 or a full time such as 2026-03-31T14:30:00Z, money in currency units with two decimals (19.99), and an empty cell for a value the type does not use. The export has the same columns, so it imports back as it is.'),
    csvImportForm({
      test: 'tx-import',
      path: '/portfolio/transactions/import',
      header: TX_CSV_HEADER,
      example: '2026-03-02,ACME,buy,10,125.40,4.95,\n2026-06-30,ACME,dividend,,,,12.00',
      what: 'transaction',
      label: 'Import transactions from CSV',
      onImported: () => load(1),
    }));

  const add = h('button', { type: 'button', class: 'btn btn-primary', test: 'tx-add' }, icon('plus'), 'Add a transaction');
  add.addEventListener('click', () => openForm(null, assets.find((a) => String(a.id) === filters.assetId)?.symbol || ''));
  const exportLink = h('a', {
    href: '/api/portfolio/transactions.csv', download: 'transactions.csv', class: 'btn btn-secondary', test: 'tx-export',
    'aria-label': 'Export every transaction as a CSV file',
  }, 'Export CSV');

  ctx.root.replaceChildren(
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('ol', null,
        h('li', null, h('a', { href: '/portfolio' }, 'Portfolio')),
        h('li', { 'aria-current': 'page' }, 'Transactions'))),
    pageHeader('Transactions', {
      subtitle: 'Every buy, sale, dividend and fee, newest first. Your holdings are worked out from them.',
      actions: [add, exportLink],
    }),
    filtersCard,
    errors.el,
    count,
    area,
    importCard,
    datalist);

  try {
    await load(firstPage);
  } catch (err) {
    // A filter the server refuses (an address edited by hand): say which, beside its field.
    if (err.status !== 400) throw err;
    filtersCard.open = true;
    showErrors(filterForm, err, { focus: false });
    area.replaceChildren();
  }
  settled = true;
  if (addSymbol) openForm(null, addSymbol);
}
