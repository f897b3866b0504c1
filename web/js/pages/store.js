// The store: catalog, product page, cart and checkout, the user's orders.
import { get, post, put, del, uuid } from '../api.js';
import { state } from '../state.js';
import {
  h, field, formError, onSubmit, values, toast, confirmDialog, pageHeader, emptyState, pager, statusBadge,
  productImage, tableWrap, withButton, actionError, showFieldProblems, showErrors, icon, clearErrors, uid,
} from '../dom.js';
import { money, parseMoney, centsToInput, dateTime, plural, number } from '../format.js';
import { navigate, setQuery, setTitle, loginRedirect } from '../router.js';
import { cartChanged } from '../session.js';
import { productCard, stockLabel, ordersTable, customerCell } from '../widgets.js';

const PER_PAGE = 12;

const SORTS = [
  { value: '', label: 'Featured' },
  { value: 'name', label: 'Name: A to Z' },
  { value: '-name', label: 'Name: Z to A' },
  { value: 'price', label: 'Price: low to high' },
  { value: '-price', label: 'Price: high to low' },
  { value: 'newest', label: 'Newest first' },
];

/* ------------------------------------------------------------------ catalog */

export async function catalogPage(ctx) {
  setTitle('Catalog');
  const q = ctx.query;
  const initial = {
    q: q.get('q') || '',
    category: q.get('category') || '',
    sort: q.get('sort') || '',
    minPrice: q.get('minPrice') || '',
    maxPrice: q.get('maxPrice') || '',
    inStock: q.get('inStock') === 'true',
    page: Math.max(1, Number(q.get('page')) || 1),
  };
  const categories = await get('/categories');

  const formId = uid('catalog-filters');
  const form = h('form', { id: formId, class: 'filters', test: 'catalog-filters', role: 'search', 'aria-label': 'Filter products' },
    formError(),
    field({ name: 'q', label: 'Search', type: 'search', value: initial.q, test: 'catalog-search', placeholder: 'Name or description' }),
    field({
      name: 'category', label: 'Category', type: 'select', value: initial.category, test: 'catalog-category',
      options: [{ value: '', label: 'All categories' }, ...categories.map((c) => ({ value: c.id, label: `${c.name} (${c.productCount})` }))],
    }),
    field({ name: 'sort', label: 'Sort by', type: 'select', value: initial.sort, test: 'catalog-sort', options: SORTS }),
    h('div', { class: 'field-row' },
      field({ name: 'minPrice', label: 'Min price', value: centsToInput(initial.minPrice === '' ? null : initial.minPrice), inputmode: 'decimal', test: 'catalog-min-price', placeholder: '0.00' }),
      field({ name: 'maxPrice', label: 'Max price', value: centsToInput(initial.maxPrice === '' ? null : initial.maxPrice), inputmode: 'decimal', test: 'catalog-max-price', placeholder: 'Any' })),
    field({ name: 'inStock', label: 'In stock only', type: 'checkbox', checked: initial.inStock, test: 'catalog-in-stock' }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: 'catalog-apply' }, 'Apply filters'),
      h('button', { type: 'button', class: 'btn btn-ghost', test: 'catalog-reset', onClick: reset }, 'Reset')));

  // On a narrow screen the filters fold behind this button, so products show in the first screen.
  const toggle = h('button', {
    type: 'button', class: 'btn btn-secondary filters-toggle', test: 'catalog-filters-toggle', 'aria-expanded': 'false', 'aria-controls': formId,
  }, 'Filters');
  const sidebar = h('aside', { class: 'sidebar card' }, toggle, form);
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    sidebar.classList.toggle('filters-open', open);
    if (open) form.elements.namedItem('q').focus();
  });
  const paintToggle = () => {
    const active = ['q', 'category', 'minPrice', 'maxPrice', 'inStock'].filter((k) => current[k] !== '' && current[k] !== false).length;
    toggle.textContent = active ? `Filters (${active})` : 'Filters';
  };

  const count = h('p', { class: 'results-count', test: 'catalog-count', 'aria-live': 'polite' });
  const results = h('div', { class: 'results' });
  ctx.root.replaceChildren(
    pageHeader('Catalog', { subtitle: 'Everything in the stockroom, ready to ship.' }),
    h('div', { class: 'with-sidebar' },
      sidebar,
      h('section', { class: 'results-area', 'aria-label': 'Products' }, count, results)));

  let current = { ...initial };
  let seq = 0;

  function readForm() {
    const v = values(form);
    const problems = {};
    const out = { q: v.q.trim(), category: v.category, sort: v.sort, inStock: v.inStock, minPrice: '', maxPrice: '', page: 1 };
    for (const key of ['minPrice', 'maxPrice']) {
      if (v[key].trim() === '') continue;
      const parsed = parseMoney(v[key]);
      if (parsed.error) problems[key] = parsed.error; else out[key] = parsed.cents;
    }
    if (Object.keys(problems).length) { showFieldProblems(form, problems); return null; }
    return out;
  }

  async function load({ push = true, replace = false } = {}) {
    const mine = ++seq;
    paintToggle();
    if (push) setQuery({ ...current, inStock: current.inStock ? 'true' : '', page: current.page > 1 ? current.page : '' }, { replace });
    if (results.childElementCount) results.classList.add('is-stale');
    let data;
    try {
      data = await get('/products', {
        q: current.q, category: current.category, sort: current.sort, minPrice: current.minPrice, maxPrice: current.maxPrice,
        inStock: current.inStock ? 'true' : '', page: current.page, perPage: PER_PAGE,
      });
    } catch (err) {
      if (mine !== seq) return;
      results.classList.remove('is-stale');
      if (err.status === 400 || (push && err.status !== 401)) { showErrors(form, err); return; }
      throw err;
    }
    if (mine !== seq || !ctx.isCurrent()) return;
    results.classList.remove('is-stale');
    count.textContent = data.totalItems === 0 ? '' : `${plural(data.totalItems, 'product')}`;
    if (!data.items.length) {
      results.replaceChildren(emptyState({
        title: data.totalItems ? 'No more products on this page' : 'No products match',
        text: 'Try a different search or fewer filters.',
        action: h('button', { type: 'button', class: 'btn btn-secondary', onClick: reset }, 'Clear filters'),
        test: 'catalog-empty',
        iconName: 'search',
      }));
      return;
    }
    results.replaceChildren(
      h('div', { class: 'product-grid', test: 'product-grid' }, data.items.map(productCard)),
      pager(data, (page) => { current.page = page; load().then(() => count.scrollIntoView({ block: 'start', behavior: 'smooth' })); }));
  }

  function apply({ replace = false } = {}) {
    const next = readForm();
    if (!next) return;
    current = next;
    return load({ replace });
  }

  function reset() {
    form.reset();
    for (const el of form.elements) {
      if (el.type === 'checkbox') el.checked = false;
      else if (el.name) el.value = '';
    }
    clearErrors(form);
    apply();
  }

  form.noValidate = true;
  form.addEventListener('submit', (e) => { e.preventDefault(); clearErrors(form); apply(); });
  for (const name of ['category', 'sort', 'inStock']) {
    form.elements.namedItem(name).addEventListener('change', () => { clearErrors(form); apply(); });
  }
  let timer = null;
  let release = null;
  form.elements.namedItem('q').addEventListener('input', () => {
    clearTimeout(timer);
    release ||= ctx.hold();
    timer = setTimeout(async () => {
      try { await apply({ replace: true }); } finally { release?.(); release = null; }
    }, 350);
  });

  results.append(h('div', { class: 'product-grid' }, Array.from({ length: 6 }, () => h('div', { class: 'skeleton skeleton-card' }))));
  await load({ push: false });
}

/* ------------------------------------------------------------------ product */

export async function productPage(ctx) {
  const product = await get(`/products/${ctx.params.id}`);
  setTitle(product.name);

  const max = Math.max(1, product.quantity);
  const form = h('form', { class: 'form buy-form', test: 'product-add-form', 'aria-label': 'Add to cart' },
    formError(),
    h('div', { class: 'buy-row' },
      field({ name: 'quantity', label: 'Quantity', type: 'number', value: '1', min: 1, max, step: 1, inputmode: 'numeric', test: 'product-quantity', class: 'field-qty' }),
      h('button', { type: 'submit', class: 'btn btn-primary btn-lg', test: 'product-add-to-cart', disabled: product.quantity <= 0 },
        icon('cart'), product.quantity <= 0 ? 'Sold out' : 'Add to cart')));

  onSubmit(form, async () => {
    if (!state.user) { loginRedirect(); return; }
    const quantity = Number(values(form).quantity);
    if (!Number.isInteger(quantity) || quantity < 1) { showFieldProblems(form, { quantity: 'Enter a whole number of at least 1.' }); return; }
    const cart = await post('/cart', { productId: product.id, quantity });
    cartChanged(cart);
    toast(`Added ${quantity} × ${product.name} to your cart.`, 'success');
    form.after(viewCart);
  }, { busyLabel: 'Adding…' });
  const viewCart = h('p', { class: 'added-note' }, icon('check'), 'In your cart. ', h('a', { href: '/cart', test: 'product-view-cart' }, 'View cart'));

  ctx.root.replaceChildren(
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('ol', null,
        h('li', null, h('a', { href: '/catalog' }, 'Catalog')),
        product.category ? h('li', null, h('a', { href: `/catalog?category=${product.category.id}` }, product.category.name)) : null,
        h('li', { 'aria-current': 'page' }, product.name))),
    h('article', { class: 'product-detail', test: 'product-detail', dataset: { productId: product.id } },
      h('div', { class: 'product-detail-media' }, productImage(product, 'large')),
      h('div', { class: 'product-detail-info' },
        product.category ? h('p', { class: 'eyebrow' }, product.category.name) : null,
        h('h1', { class: 'page-title', tabindex: '-1', test: 'product-name' }, product.name),
        h('p', { class: 'price price-lg', test: 'product-price' }, money(product.price)),
        h('p', null, stockLabel(product), product.quantity > 5 ? h('span', { class: 'muted' }, ` ${number(product.quantity)} available`) : null),
        product.description ? h('p', { class: 'prose', test: 'product-description' }, product.description) : h('p', { class: 'muted' }, 'No description yet.'),
        form)));
}

/* ------------------------------------------------------------------ cart */

export async function cartPage(ctx) {
  setTitle('Cart');
  const content = h('div');
  ctx.root.replaceChildren(pageHeader('Your cart'), content);
  let idempotencyKey = uuid();

  function render(cart, checkoutErr) {
    cartChanged(cart);
    if (!cart.items.length) {
      // Native replaceChildren would print a null as "null": only pass real nodes.
      content.replaceChildren(...[
        checkoutErr ? h('div', { class: 'alert alert-error', role: 'alert', test: 'checkout-error' }, checkoutErr.message) : null,
        emptyState({
          title: 'Your cart is empty',
          text: 'Find something you like in the catalog.',
          action: h('a', { href: '/catalog', class: 'btn btn-primary', test: 'cart-empty-link' }, 'Browse the catalog'),
          test: 'cart-empty',
          iconName: 'cart',
        }),
      ].filter(Boolean));
      return;
    }

    const rowErrors = actionError('cart-error');
    const table = h('table', { class: 'table cart-table', test: 'cart-table' },
      h('caption', { class: 'sr-only' }, 'Items in your cart'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Product'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col' }, 'Quantity'),
        h('th', { scope: 'col', class: 'num' }, 'Total'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, cart.items.map((item) => cartRow(item, rowErrors))));

    const errorBox = actionError('checkout-error');
    const checkout = h('button', { type: 'button', class: 'btn btn-primary btn-lg btn-block', test: 'checkout' }, 'Place order');
    checkout.addEventListener('click', () => withButton(checkout, 'Placing order…', async () => {
      errorBox.clear();
      try {
        const order = await post('/order', undefined, { headers: { 'Idempotency-Key': idempotencyKey } });
        cartChanged({ totalQuantity: 0 });
        toast(`Thank you! Order #${order.id} has been placed.`, 'success');
        navigate(`/orders/${order.id}`);
      } catch (err) {
        if (err.status === 401) return;
        if (err.status !== 0) idempotencyKey = uuid(); // a definitive answer: the next click is a new attempt
        if (err.code === 'insufficient_stock' || err.code === 'cart_empty') {
          const fresh = await get('/cart').catch(() => cart);
          render(fresh, err);
        } else {
          errorBox.show(err);
        }
      }
    }));

    const clear = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'cart-clear' }, 'Empty cart');
    clear.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: 'Empty your cart?', message: 'Every item will be removed from your cart.', confirmLabel: 'Empty cart', danger: true });
      if (!ok) return;
      await withButton(clear, 'Emptying…', async () => {
        try { render(await del('/cart') || { items: [], totalQuantity: 0, total: 0 }); } catch (err) { rowErrors.show(err); }
      });
    });

    if (checkoutErr) errorBox.show(checkoutErr.code === 'insufficient_stock'
      ? { message: `${checkoutErr.message.replace(/[.!]?\s*$/, '.')} Lower the quantities marked below, then place the order again.` }
      : checkoutErr);

    content.replaceChildren(h('div', { class: 'cart-layout' },
      h('div', { class: 'cart-lines' }, rowErrors.el, tableWrap(table, 'Cart items'),
        h('div', { class: 'cart-after' }, h('a', { href: '/catalog' }, '← Continue shopping'), clear)),
      h('aside', { class: 'card cart-summary', 'aria-label': 'Order summary', test: 'cart-summary' },
        h('h2', { class: 'card-title' }, 'Summary'),
        h('dl', { class: 'summary-list' },
          h('div', null, h('dt', null, 'Items'), h('dd', { test: 'cart-count' }, number(cart.totalQuantity))),
          h('div', { class: 'summary-total' }, h('dt', null, 'Total'), h('dd', { test: 'cart-total' }, money(cart.total)))),
        errorBox.el,
        checkout,
        h('p', { class: 'hint' }, 'Stock is reserved when you place the order. You can cancel while it is pending.'))));
  }

  function cartRow(item, rowErrors) {
    const product = item.product || {};
    const stock = typeof product.quantity === 'number' ? product.quantity : null;
    const input = h('input', {
      type: 'number', class: 'input input-qty', name: 'quantity', min: 0, max: stock ?? undefined, step: 1, inputmode: 'numeric',
      value: String(item.quantity), test: 'cart-quantity', 'aria-label': `Quantity of ${item.name}`,
    });
    const dec = h('button', { type: 'button', class: 'btn btn-secondary btn-icon btn-sm', test: 'cart-decrement', 'aria-label': `One less ${item.name}` }, icon('minus'));
    const inc = h('button', { type: 'button', class: 'btn btn-secondary btn-icon btn-sm', test: 'cart-increment', 'aria-label': `One more ${item.name}`, disabled: stock !== null && item.quantity >= stock }, icon('plus'));
    const qtyForm = h('form', { class: 'qty-form', test: 'cart-quantity-form' }, dec, input, inc);
    const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm', test: 'cart-remove', 'aria-label': `Remove ${item.name}` }, icon('trash'));

    async function setQuantity(quantity, focusTest) {
      if (!Number.isInteger(quantity) || quantity < 0) { input.value = String(item.quantity); return; }
      if (quantity === item.quantity) return;
      rowErrors.clear();
      for (const el of [dec, inc, input, remove]) el.disabled = true;
      try {
        const cart = quantity === 0 ? await del(`/cart/${item.productId}`) : await put(`/cart/${item.productId}`, { quantity });
        render(cart || await get('/cart'));
        content.querySelector(`[data-product-id="${item.productId}"] [data-test="${focusTest}"]`)?.focus();
      } catch (err) {
        if (err.status === 401) return;
        input.value = String(item.quantity);
        for (const el of [dec, inc, input, remove]) el.disabled = false;
        rowErrors.show(err);
      }
    }
    dec.addEventListener('click', () => setQuantity(item.quantity - 1, 'cart-decrement'));
    inc.addEventListener('click', () => setQuantity(item.quantity + 1, 'cart-increment'));
    qtyForm.addEventListener('submit', (e) => { e.preventDefault(); setQuantity(Number(input.value), 'cart-quantity'); });
    input.addEventListener('change', () => setQuantity(Number(input.value), 'cart-quantity'));
    remove.addEventListener('click', () => setQuantity(0, 'cart-remove'));

    let warning = null;
    if (!item.inStock) {
      warning = h('p', { class: 'stock-warning', test: 'cart-stock-warning' }, icon('alert'),
        stock ? `Only ${stock} left in stock` : 'Out of stock');
    }
    return h('tr', { test: 'cart-row', dataset: { productId: item.productId }, class: item.inStock ? null : 'row-warning' },
      h('td', { 'data-label': 'Product' },
        h('div', { class: 'cart-product' },
          productImage({ id: item.productId, name: item.name, imageUrl: product.imageUrl }, 'thumb'),
          h('div', null, h('a', { href: `/products/${item.productId}`, test: 'cart-product-link' }, item.name), warning))),
      h('td', { class: 'num', 'data-label': 'Price' }, money(item.price)),
      h('td', { 'data-label': 'Quantity' }, qtyForm),
      h('td', { class: 'num strong', 'data-label': 'Total', test: 'cart-line-total' }, money(item.lineTotal)),
      h('td', { class: 'actions' }, remove));
  }

  render(await get('/cart'));
}

/* ------------------------------------------------------------------ orders */

export async function ordersPage(ctx) {
  setTitle('Your orders');
  const page = Math.max(1, Number(ctx.query.get('page')) || 1);
  const data = await get('/users/me/orders', { page, perPage: 10 });
  const header = pageHeader('Your orders', { subtitle: 'Everything you have ordered, newest first.' });
  if (!data.items.length) {
    ctx.root.replaceChildren(header, emptyState({
      title: page > 1 ? 'No orders on this page' : 'You have not ordered anything yet',
      text: 'When you place an order it will show up here.',
      action: h('a', { href: page > 1 ? '/orders' : '/catalog', class: 'btn btn-primary', test: 'orders-empty-link' }, page > 1 ? 'First page' : 'Browse the catalog'),
      test: 'orders-empty',
      iconName: 'box',
    }));
    return;
  }
  ctx.root.replaceChildren(header,
    tableWrap(ordersTable(data.items, { test: 'orders-table' }), 'Orders'),
    pager(data, (p) => navigate(p > 1 ? `/orders?page=${p}` : '/orders')));
}

const STEPS = ['pending', 'confirmed', 'shipped', 'delivered'];

export async function orderPage(ctx) {
  let order = await get(`/orders/${ctx.params.id}`);
  setTitle(`Order #${order.id}`);

  function render() {
    const mine = state.user && order.userId === state.user.id;
    const errors = actionError('order-error');
    let cancel = null;
    if (order.status === 'pending' && mine) {
      cancel = h('button', { type: 'button', class: 'btn btn-danger', test: 'order-cancel' }, 'Cancel order');
      cancel.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: `Cancel order #${order.id}?`, message: 'The items go back on the shelf and the order is closed.', confirmLabel: 'Cancel order', danger: true });
        if (!ok) return;
        await withButton(cancel, 'Cancelling…', async () => {
          try {
            const res = await post(`/orders/${order.id}/cancel`);
            order = res && res.status ? res : await get(`/orders/${order.id}`);
            toast(`Order #${order.id} has been cancelled.`, 'success');
            render();
          } catch (err) {
            if (err.status !== 401) errors.show(err);
          }
        });
      });
    }

    const stepIndex = STEPS.indexOf(order.status);
    const timeline = order.status === 'cancelled'
      ? h('p', { class: 'alert alert-neutral', test: 'order-timeline' }, 'This order was cancelled. Nothing will be shipped.')
      : h('ol', { class: 'timeline', test: 'order-timeline', 'aria-label': 'Order progress' },
        STEPS.map((s, i) => h('li', { class: ['timeline-step', i <= stepIndex && 'done', i === stepIndex && 'current'], 'aria-current': i === stepIndex ? 'step' : null },
          h('span', { class: 'timeline-dot', 'aria-hidden': 'true' }), s[0].toUpperCase() + s.slice(1))));

    ctx.root.replaceChildren(
      h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('ol', null,
        h('li', null, h('a', { href: '/orders' }, 'Your orders')),
        h('li', { 'aria-current': 'page' }, `Order #${order.id}`))),
      pageHeader(`Order #${order.id}`, { actions: [statusBadge(order.status), cancel], test: 'order-title' }),
      errors.el,
      h('div', { class: 'card', test: 'order-detail', dataset: { orderId: order.id, status: order.status } },
        h('div', { class: 'card-body' },
          timeline,
          h('dl', { class: 'facts facts-inline' },
            h('dt', null, 'Placed'), h('dd', null, dateTime(order.createdAt)),
            h('dt', null, 'Last update'), h('dd', null, dateTime(order.updatedAt)),
            order.shippedAt ? [h('dt', null, 'Shipped'), h('dd', null, dateTime(order.shippedAt))] : null,
            !mine ? [h('dt', null, 'Customer'), h('dd', null, customerCell(order))] : null)),
        tableWrap(h('table', { class: 'table', test: 'order-items' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'Product'),
            h('th', { scope: 'col', class: 'num' }, 'Unit price'),
            h('th', { scope: 'col', class: 'num' }, 'Quantity'),
            h('th', { scope: 'col', class: 'num' }, 'Total'))),
          h('tbody', null, order.items.map((item) => h('tr', { test: 'order-item-row', dataset: { productId: item.productId } },
            h('th', { scope: 'row', 'data-label': 'Product' }, item.name),
            h('td', { class: 'num', 'data-label': 'Unit price' }, money(item.unitPrice)),
            h('td', { class: 'num', 'data-label': 'Quantity' }, number(item.quantity)),
            h('td', { class: 'num', 'data-label': 'Total' }, money(item.lineTotal))))),
          h('tfoot', null, h('tr', null,
            h('th', { scope: 'row', colspan: '3', class: 'num' }, 'Order total'),
            h('td', { class: 'num strong', test: 'order-total' }, money(order.totalPrice))))), 'Order items')));
  }
  render();
}
