// Stockroom web app entry: boot (who is signed in, currency), the header, and the route table.
import { api, post, onUnauthorized, onActivity, onEmailUnverified } from './js/api.js';
import { state, update, subscribe, hasPerm, hasAnyAdminPerm } from './js/state.js';
import { h, icon, toast } from './js/dom.js';
import { refreshCartCount } from './js/session.js';
import { addRoute, setup, render, navigate, trackActivity, loginRedirect } from './js/router.js';
import { mountVerifyBanner } from './js/banner.js';
import { homePage } from './js/pages/home.js';
import {
  loginPage, signupPage, forgotPasswordPage, resetPasswordPage, verifyEmailPage,
} from './js/pages/auth.js';
import { accountPage } from './js/pages/account.js';
import { securityPage } from './js/pages/security.js';
import { catalogPage, productPage, cartPage, ordersPage, orderPage } from './js/pages/store.js';
import {
  marketsPage, assetPage, watchlistPage, portfolioPage, transactionsPage,
} from './js/pages/markets.js';
import { adminHomePage } from './js/pages/admin/home.js';
import { adminProductsPage } from './js/pages/admin/products.js';
import { adminCategoriesPage } from './js/pages/admin/categories.js';
import { adminAssetsPage } from './js/pages/admin/assets.js';
import { adminOrdersPage } from './js/pages/admin/orders.js';
import { adminUsersPage } from './js/pages/admin/users.js';
import { adminMailPage } from './js/pages/admin/mail.js';
import { adminAuditPage } from './js/pages/admin/audit.js';

const perm = (p) => (user) => hasPerm(p, user);

addRoute('/', homePage, { name: 'home' });
addRoute('/login', loginPage, { name: 'login', guest: true });
addRoute('/signup', signupPage, { name: 'signup', guest: true });
// Reached from mails (the token rides in the fragment), so they work signed in or out.
addRoute('/forgot-password', forgotPasswordPage, { name: 'forgot-password' });
addRoute('/reset-password', resetPasswordPage, { name: 'reset-password' });
addRoute('/verify-email', verifyEmailPage, { name: 'verify-email' });
addRoute('/catalog', catalogPage, { name: 'catalog' });
addRoute('/products/:id', productPage, { name: 'product' });
addRoute('/cart', cartPage, { name: 'cart', auth: true });
addRoute('/orders', ordersPage, { name: 'orders', auth: true });
addRoute('/orders/:id', orderPage, { name: 'order', auth: true });
addRoute('/markets', marketsPage, { name: 'markets' });
addRoute('/markets/:id', assetPage, { name: 'asset' });
addRoute('/watchlist', watchlistPage, { name: 'watchlist', auth: true });
addRoute('/portfolio', portfolioPage, { name: 'portfolio', auth: true });
addRoute('/portfolio/transactions', transactionsPage, { name: 'transactions', auth: true });
addRoute('/account', accountPage, { name: 'account', auth: true });
addRoute('/account/security', securityPage, { name: 'security', auth: true });
addRoute('/admin', adminHomePage, { name: 'admin', auth: true, perm: (u) => hasAnyAdminPerm(u) });
addRoute('/admin/products', adminProductsPage, { name: 'admin-products', auth: true, perm: perm('catalog:write') });
addRoute('/admin/categories', adminCategoriesPage, { name: 'admin-categories', auth: true, perm: perm('catalog:write') });
addRoute('/admin/assets', adminAssetsPage, { name: 'admin-assets', auth: true, perm: perm('assets:write') });
addRoute('/admin/orders', adminOrdersPage, { name: 'admin-orders', auth: true, perm: perm('orders:manage') });
addRoute('/admin/users', adminUsersPage, { name: 'admin-users', auth: true, perm: perm('users:manage') });
addRoute('/admin/mail', adminMailPage, { name: 'admin-mail', auth: true, perm: perm('users:manage') });
addRoute('/admin/audit', adminAuditPage, { name: 'admin-audit', auth: true, perm: perm('users:manage') });

/* ------------------------------------------------------------------ header */

const nav = document.getElementById('site-nav');
const toggle = document.getElementById('nav-toggle');

function setMenu(open) {
  toggle.setAttribute('aria-expanded', String(open));
  document.body.classList.toggle('menu-open', open);
}

toggle.addEventListener('click', () => setMenu(toggle.getAttribute('aria-expanded') !== 'true'));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('menu-open')) { setMenu(false); toggle.focus(); }
});

function navLink(href, label, test, extra) {
  return h('li', null, h('a', { href, class: 'nav-link', test, dataset: { match: href } }, label, extra || null));
}

function renderHeader() {
  const user = state.user;
  const primary = h('ul', { class: 'nav-list nav-primary' },
    navLink('/catalog', 'Catalog', 'nav-catalog'),
    navLink('/markets', 'Markets', 'nav-markets'),
    user ? navLink('/watchlist', 'Watchlist', 'nav-watchlist') : null,
    user ? navLink('/portfolio', 'Portfolio', 'nav-portfolio') : null,
    user ? navLink('/orders', 'Orders', 'nav-orders') : null,
    user && hasAnyAdminPerm(user) ? navLink('/admin', 'Admin', 'nav-admin') : null);

  let secondary;
  if (user) {
    const count = state.cartCount ?? 0;
    const countLabel = h('span', { class: 'cart-count', test: 'nav-cart-count', 'aria-label': `${count} items`, hidden: !count }, String(count));
    const logout = h('button', { type: 'button', class: 'nav-link nav-button', test: 'nav-logout' }, 'Log out');
    logout.addEventListener('click', () => logOut(logout));
    secondary = h('ul', { class: 'nav-list nav-secondary' },
      h('li', null, h('a', { href: '/cart', class: 'nav-link nav-cart', test: 'nav-cart', dataset: { match: '/cart' } },
        icon('cart'), h('span', null, 'Cart'), countLabel)),
      h('li', null, h('a', { href: '/account', class: 'nav-link nav-account', test: 'nav-account', dataset: { match: '/account' } },
        icon('user'), h('span', { class: 'nav-user-name' }, user.name || user.username || user.email))),
      h('li', null, logout));
  } else {
    secondary = h('ul', { class: 'nav-list nav-secondary' },
      navLink('/login', 'Log in', 'nav-login'),
      h('li', null, h('a', { href: '/signup', class: 'btn btn-primary btn-sm nav-signup', test: 'nav-signup', dataset: { match: '/signup' } }, 'Sign up')));
  }
  nav.replaceChildren(primary, secondary);
  markActive(location.pathname);
}

function markActive(pathname) {
  for (const a of nav.querySelectorAll('a[data-match]')) {
    const m = a.dataset.match;
    const active = pathname === m || pathname.startsWith(`${m}/`)
      || (m === '/catalog' && pathname.startsWith('/products/'));
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function logOut(button) {
  button.disabled = true;
  try {
    await post('/auth/logout', undefined, { auth: false });
  } catch {
    /* signed out either way */
  }
  update({ user: null, cartCount: null });
  toast('You have signed out.', 'success');
  navigate('/login');
}

subscribe(renderHeader);
mountVerifyBanner(document.getElementById('site-notices'));

/* ------------------------------------------------------------------ boot */

onActivity(trackActivity);
onEmailUnverified(() => { if (!state.verifyRequired) update({ verifyRequired: true }); });
onUnauthorized(() => {
  const hadUser = Boolean(state.user);
  if (hadUser) update({ user: null, cartCount: null });
  if (location.pathname === '/login') return;
  if (hadUser) toast('Your session has ended. Please sign in again.', 'error');
  loginRedirect();
});

setup({
  mainElement: document.getElementById('main'),
  onAfterRender: (pathname) => { setMenu(false); markActive(pathname); },
});

async function boot() {
  // GET /api/session answers 200 {user: User | null} either way, so a signed-out visit logs no
  // error (GET /api/users/me answered 401, which the browser reports in red).
  const [session, health] = await Promise.allSettled([
    api('GET', '/session', { auth: false }),
    api('GET', '/health', { auth: false }),
  ]);
  const patch = {};
  if (session.status === 'fulfilled') patch.user = session.value?.user ?? null;
  if (health.status === 'fulfilled' && health.value) {
    patch.currency = health.value.currency || 'USD';
    patch.version = health.value.version || null;
    const v = document.getElementById('app-version');
    if (v && patch.version) v.textContent = `v${patch.version}`;
  }
  update(patch);
  if (state.user) refreshCartCount();
  await render();
}

boot();
