// The start page: a short welcome, new products and the largest assets.
import { get } from '../api.js';
import { state } from '../state.js';
import { h, icon, tableWrap } from '../dom.js';
import { money, compactMoney, wholeMoney } from '../format.js';
import { setTitle } from '../router.js';
import { productCard } from '../widgets.js';

export async function homePage(ctx) {
  setTitle('');
  const [products, assets] = await Promise.allSettled([
    get('/products', { sort: 'newest', perPage: 4 }),
    get('/assets', { sort: '-marketCap', perPage: 5 }),
  ]);
  const user = state.user;

  const hero = h('section', { class: 'hero' },
    h('div', { class: 'hero-text' },
      h('h1', { class: 'hero-title', tabindex: '-1', test: 'page-title' }, user ? `Welcome back, ${user.name || user.username || user.email}.` : 'The shop and the markets desk, in one place.'),
      h('p', { class: 'hero-lead' }, 'Browse the catalog and check out in a few clicks. Screen assets, keep a watchlist, and see your portfolio’s profit and loss at current prices.'),
      h('div', { class: 'button-row' },
        h('a', { href: '/catalog', class: 'btn btn-primary btn-lg', test: 'home-catalog' }, icon('box'), 'Browse the catalog'),
        h('a', { href: '/markets', class: 'btn btn-secondary btn-lg', test: 'home-markets' }, icon('chart'), 'Open the screener'))),
    user ? null : h('p', { class: 'hero-aside' }, 'New here? ', h('a', { href: '/signup', test: 'home-signup' }, 'Create a free account'), ' — or ', h('a', { href: '/login' }, 'log in'), '.'));

  const sections = [hero];
  if (products.status === 'fulfilled' && products.value.items.length) {
    sections.push(h('section', { class: 'home-section', 'aria-labelledby': 'new-title' },
      h('div', { class: 'section-head' },
        h('h2', { class: 'section-title', id: 'new-title' }, 'New in the store'),
        h('a', { href: '/catalog?sort=newest' }, 'See all →')),
      h('div', { class: 'product-grid' }, products.value.items.map(productCard))));
  }
  if (assets.status === 'fulfilled' && assets.value.items.length) {
    sections.push(h('section', { class: 'home-section', 'aria-labelledby': 'assets-title' },
      h('div', { class: 'section-head' },
        h('h2', { class: 'section-title', id: 'assets-title' }, 'Largest assets'),
        h('a', { href: '/markets?sort=-marketCap' }, 'Full screener →')),
      tableWrap(h('table', { class: 'table' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Asset'),
          h('th', { scope: 'col' }, 'Sector'),
          h('th', { scope: 'col', class: 'num' }, 'Price'),
          h('th', { scope: 'col', class: 'num' }, 'Market cap'))),
        h('tbody', null, assets.value.items.map((a) => h('tr', null,
          h('th', { scope: 'row', 'data-label': 'Asset' }, h('div', { class: 'asset-cell' }, h('span', { class: 'symbol' }, a.symbol), h('span', { class: 'asset-name' }, a.name))),
          h('td', { 'data-label': 'Sector' }, a.sector || '—'),
          h('td', { class: 'num', 'data-label': 'Price' }, money(a.price)),
          h('td', { class: 'num', 'data-label': 'Market cap', title: wholeMoney(a.marketCap) }, compactMoney(a.marketCap)))))), 'Largest assets')));
  }
  ctx.root.replaceChildren(...sections);
}
