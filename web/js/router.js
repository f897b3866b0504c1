// Client-side routing with the History API, plus the page lifecycle hooks end-to-end tests wait on:
//   body[data-page]  the current page name, set as soon as a page starts rendering;
//   body[data-ready] "1" once the page's data has loaded and no API request is in flight;
//                    removed when a navigation starts (and while later requests run).
import { state } from './state.js';
import { h, loading, emptyState, pageHeader } from './dom.js';

const routes = [];
let navId = 0;
let pageLoaded = false;
let inflight = 0;
let readyTimer = null;
let main = null;
let afterRender = () => {};

export function addRoute(path, page, options = {}) {
  const keys = [];
  const pattern = new RegExp(`^${path.replace(/\/:(\w+)/g, (_, key) => { keys.push(key); return '/(\\d+)'; })}/?$`);
  routes.push({ path, pattern, keys, page, ...options });
}

export function setup({ mainElement, onAfterRender }) {
  main = mainElement;
  afterRender = onAfterRender || afterRender;
  window.addEventListener('popstate', () => render());
  document.addEventListener('click', onLinkClick);
}

/* ------------------------------------------------------------------ readiness */

function syncReady() {
  clearTimeout(readyTimer);
  if (pageLoaded && inflight === 0) {
    // Wait a task so the code awaiting the last response has updated the DOM first.
    readyTimer = setTimeout(() => {
      if (pageLoaded && inflight === 0) document.body.dataset.ready = '1';
    }, 0);
  } else {
    delete document.body.dataset.ready;
  }
}

/** Counts an API request (+1 / -1) toward readiness. */
export function trackActivity(delta) {
  inflight = Math.max(0, inflight + delta);
  syncReady();
}

/** Marks the page busy (e.g. while a debounced search waits); call the returned function when done. */
export function hold() {
  trackActivity(1);
  let released = false;
  return () => { if (!released) { released = true; trackActivity(-1); } };
}

/* ------------------------------------------------------------------ navigation */

function onLinkClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest?.('a[href]');
  if (!a || a.target && a.target !== '_self' || a.hasAttribute('download') || a.dataset.external !== undefined) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || /\.[a-z0-9]+$/i.test(url.pathname)) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return; // in-page anchor
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

/** Goes to an app path. options.replace replaces the history entry. */
export function navigate(path, { replace = false, focus = true } = {}) {
  const current = location.pathname + location.search + location.hash;
  if (replace) history.replaceState(null, '', path);
  else if (path !== current) history.pushState(null, '', path);
  return render({ focus, scroll: true });
}

/** Updates the query string without re-rendering (for filter forms that reload their own results). */
export function setQuery(params, { replace = false } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '' && v !== false) qs.set(k, String(v));
  }
  const s = qs.toString();
  const url = location.pathname + (s ? `?${s}` : '');
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
}

/** Only a path on this site (no scheme, no protocol-relative //host) is a safe place to return to. */
export function safeNext(next, fallback = '/') {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (next.startsWith('/login') || next.startsWith('/signup')) return fallback;
  return next;
}

export function loginRedirect() {
  const here = location.pathname + location.search;
  return navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
}

function match(pathname) {
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (m) {
      const params = {};
      route.keys.forEach((key, i) => { params[key] = Number(m[i + 1]); });
      return { route, params };
    }
  }
  return null;
}

export function setTitle(title) {
  document.title = title ? `${title} · Stockroom` : 'Stockroom';
}

/** Renders the page for the current URL. */
export async function render({ focus = false, scroll = false } = {}) {
  const id = ++navId;
  pageLoaded = false;
  syncReady();

  const url = new URL(location.href);
  const found = match(url.pathname);
  const root = h('div', { class: 'page' });
  const ctx = {
    root,
    path: url.pathname,
    query: url.searchParams,
    params: found?.params || {},
    isCurrent: () => id === navId,
    hold,
  };

  let route = found?.route;
  let page = route?.page;
  let name = route?.name;
  if (!route) {
    name = 'not-found';
    page = notFoundPage;
  } else if (route.auth && !state.user) {
    return loginRedirect();
  } else if (route.guest && state.user) {
    return navigate(safeNext(url.searchParams.get('next')), { replace: true });
  } else if (route.perm && !route.perm(state.user)) {
    name = 'forbidden';
    page = forbiddenPage;
  }

  document.body.dataset.page = name;
  main.replaceChildren(root);
  root.append(loading());
  afterRender(url.pathname);
  if (scroll && !url.hash) window.scrollTo(0, 0);

  try {
    await page(ctx);
  } catch (err) {
    if (id !== navId) return;
    if (err && err.status === 401) return; // the API client already sent the user to /login
    if (!err || !(err.status >= 400 && err.status < 500)) console.error(err);
    root.replaceChildren(errorPage(err, () => render()));
  }
  if (id !== navId) return;
  root.querySelector(':scope > [data-test=loading]')?.remove();
  document.body.dataset.page = name;
  if (focus) root.querySelector('h1')?.focus({ preventScroll: true });
  if (url.hash) document.getElementById(url.hash.slice(1))?.scrollIntoView();
  pageLoaded = true;
  syncReady();
}

function notFoundPage(ctx) {
  setTitle('Not found');
  ctx.root.replaceChildren(
    pageHeader('Page not found'),
    emptyState({
      title: 'There is nothing at this address',
      text: 'The link may be old or mistyped.',
      action: h('a', { href: '/', class: 'btn btn-primary' }, 'Go to the start page'),
      test: 'not-found',
      iconName: 'search',
    }));
}

function forbiddenPage(ctx) {
  setTitle('Not allowed');
  ctx.root.replaceChildren(
    pageHeader('Not allowed'),
    emptyState({
      title: 'Your account does not have access to this page',
      text: 'Ask an administrator for the permission if you need it.',
      action: h('a', { href: '/', class: 'btn btn-primary' }, 'Go to the start page'),
      test: 'forbidden',
      iconName: 'alert',
    }));
}

function errorPage(err, retry) {
  if (err && err.code === 'email_unverified') return unverifiedPage(err);
  const notFound = err && err.status === 404;
  return h('div', null,
    pageHeader(notFound ? 'Not found' : 'Something went wrong'),
    emptyState({
      title: notFound ? 'We could not find that' : 'This page could not be loaded',
      text: err?.message || 'Please try again.',
      test: notFound ? 'not-found' : 'page-error',
      iconName: 'alert',
      action: h('div', { class: 'button-row' },
        notFound ? null : h('button', { type: 'button', class: 'btn btn-primary', test: 'retry', onClick: retry }, 'Try again'),
        h('a', { href: '/', class: notFound ? 'btn btn-primary' : 'btn btn-secondary' }, 'Go to the start page')),
    }));
}

/** A page the instance keeps locked until the user's email address is verified. */
function unverifiedPage(err) {
  return h('div', null,
    pageHeader('Confirm your email address first'),
    emptyState({
      title: 'This page opens once your address is verified',
      text: err.message || 'Open the link we sent to your email address, then try again.',
      test: 'email-unverified',
      iconName: 'mail',
      action: h('div', { class: 'button-row' },
        h('a', { href: '/account', class: 'btn btn-primary', test: 'email-unverified-account' }, 'Check your address'),
        h('a', { href: '/', class: 'btn btn-secondary' }, 'Go to the start page')),
    }));
}
