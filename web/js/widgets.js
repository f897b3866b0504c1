// Widgets that more than one page shows: product cards, the orders table, the password field,
// the account tabs, copy and download buttons, the CSV import form. Pages import from here (and from dom.js), never
// from each other.
import { post, postText } from './api.js';
import { state } from './state.js';
import {
  h, field, toast, statusBadge, badge, productImage, withButton, formError, onSubmit, showFieldProblems,
} from './dom.js';
import { money, dateTime, number, plural, sentence } from './format.js';
import { loginRedirect } from './router.js';
import { cartChanged } from './session.js';

/* ------------------------------------------------------------------ products */

/** Adds `quantity` of a product to the cart from a button (signed-out visitors go to log in). */
export async function addToCart(product, quantity, button) {
  if (!state.user) { loginRedirect(); return; }
  await withButton(button, 'Adding…', async () => {
    try {
      const cart = await post('/cart', { productId: product.id, quantity });
      cartChanged(cart);
      toast(quantity > 1 ? `Added ${quantity} × ${product.name} to your cart.` : `Added ${product.name} to your cart.`, 'success');
    } catch (err) {
      if (err.status !== 401) toast(err.message, 'error');
    }
  });
}

export function stockLabel(product) {
  if (product.quantity <= 0) return badge('Out of stock', 'danger', 'product-stock');
  if (product.quantity <= 5) return badge(`Only ${product.quantity} left`, 'warning', 'product-stock');
  return badge('In stock', 'success', 'product-stock');
}

/** A product in a grid (catalog, start page), with an "Add to cart" button. */
export function productCard(product) {
  const href = `/products/${product.id}`;
  const add = h('button', {
    type: 'button', class: 'btn btn-primary btn-sm', test: 'add-to-cart',
    disabled: product.quantity <= 0, 'aria-label': `Add ${product.name} to cart`,
  }, product.quantity <= 0 ? 'Sold out' : 'Add to cart');
  add.addEventListener('click', () => addToCart(product, 1, add));
  return h('article', { class: 'product-card', test: 'product-card', dataset: { productId: product.id } },
    h('a', { href, class: 'product-card-media', tabindex: '-1', 'aria-hidden': 'true' }, productImage(product)),
    h('div', { class: 'product-card-body' },
      product.category ? h('p', { class: 'eyebrow' }, product.category.name) : h('p', { class: 'eyebrow muted' }, 'Uncategorised'),
      h('h2', { class: 'product-card-title' }, h('a', { href, test: 'product-link' }, product.name)),
      h('div', { class: 'product-card-meta' },
        h('span', { class: 'price', test: 'product-price' }, money(product.price)),
        stockLabel(product))),
    h('div', { class: 'product-card-actions' }, add));
}

/* ------------------------------------------------------------------ orders */

/** The customer's name, for an order placed by someone else (null once the account is deleted). */
function customerName(order) {
  const c = order.customer;
  return c ? c.name || c.username || c.email : 'Deleted account';
}

/** Who placed an order: name and email, or "Deleted account". */
export function customerCell(order) {
  if (!order.customer) return h('span', { class: 'muted', test: 'order-customer' }, 'Deleted account');
  return h('div', { class: 'user-cell', test: 'order-customer' },
    h('span', { class: 'strong', test: 'order-customer-name' }, customerName(order)),
    h('span', { class: 'muted', test: 'order-customer-email' }, order.customer.email));
}

/** A table of orders; `showUser` adds the customer, `extraColumn` {title, cell(order)} one more column. */
export function ordersTable(orders, { test, rowTest = 'order-row', showUser = false, extraColumn } = {}) {
  return h('table', { class: 'table', test },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Order'),
      h('th', { scope: 'col' }, 'Placed'),
      showUser ? h('th', { scope: 'col' }, 'Customer') : null,
      h('th', { scope: 'col', class: 'num' }, 'Items'),
      h('th', { scope: 'col', class: 'num' }, 'Total'),
      h('th', { scope: 'col' }, 'Status'),
      extraColumn ? h('th', { scope: 'col' }, extraColumn.title) : null)),
    h('tbody', null, orders.map((o) => h('tr', { test: rowTest, dataset: { orderId: o.id, status: o.status } },
      h('th', { scope: 'row', 'data-label': 'Order' }, h('a', { href: `/orders/${o.id}`, test: 'order-link' }, `#${o.id}`)),
      h('td', { 'data-label': 'Placed' }, dateTime(o.createdAt)),
      showUser ? h('td', { 'data-label': 'Customer' }, customerCell(o)) : null,
      h('td', { class: 'num', 'data-label': 'Items' }, number(o.items.reduce((n, i) => n + i.quantity, 0))),
      h('td', { class: 'num strong', 'data-label': 'Total', test: 'order-total' }, money(o.totalPrice)),
      h('td', { 'data-label': 'Status' }, statusBadge(o.status)),
      extraColumn ? h('td', { 'data-label': extraColumn.title }, extraColumn.cell(o)) : null))));
}

/* ------------------------------------------------------------------ forms */

/** A password field with a Show/Hide toggle. */
export function passwordField(opts) {
  const wrapper = field({ ...opts, type: 'password' });
  const input = wrapper.querySelector('input');
  const button = h('button', {
    type: 'button', class: 'reveal', 'aria-pressed': 'false', 'aria-controls': input.id,
    test: opts.test ? `${opts.test}-reveal` : undefined,
  }, 'Show');
  button.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    button.textContent = show ? 'Hide' : 'Show';
    button.setAttribute('aria-pressed', String(show));
    button.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
  });
  button.setAttribute('aria-label', 'Show password');
  const group = h('div', { class: 'input-group input-group-reveal' });
  input.replaceWith(group);
  group.append(input, button);
  return wrapper;
}

/* ------------------------------------------------------------------ email verification */

/** "12 seconds", "1 second", "2 minutes": how long to wait before asking again. */
function waitText(seconds) {
  if (seconds < 90) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * A "Send again" button for the verification mail, and the outcome beside it (one request per
 * click; the server allows one mail a minute). Hooks: `test` on the button, `${test}-status` on
 * the outcome, whose data-outcome is sent | wait | error.
 * Returns { button, status }.
 */
export function resendVerification({ test, label = 'Send again', buttonClass = 'btn btn-secondary btn-sm' }) {
  const status = h('span', { class: 'resend-status', role: 'status', test: `${test}-status` });
  const button = h('button', { type: 'button', class: buttonClass, test }, label);
  const say = (outcome, text) => {
    status.dataset.outcome = outcome;
    status.textContent = text;
  };
  button.addEventListener('click', () => withButton(button, 'Sending…', async () => {
    say('', '');
    try {
      await post('/auth/verify-email/resend');
      const to = state.user?.email;
      say('sent', to ? `Sent. Check ${to} for the new link.` : 'Sent. Check your inbox for the new link.');
    } catch (err) {
      if (err.status === 401) return; // the session ended; the app sends the user to log in
      if (err.status === 429) {
        say('wait', err.retryAfter
          ? `Please wait ${waitText(err.retryAfter)} before asking for another link.`
          : err.message);
      } else {
        say('error', err.message);
      }
    }
  }));
  return { button, status };
}

/** "Verified" / "Not verified" for an email address (hook data-verified="1" | "0"). */
export function verifiedBadge(verified, test) {
  const el = badge(verified ? 'Verified' : 'Not verified', verified ? 'success' : 'warning', test);
  el.dataset.verified = verified ? '1' : '0';
  return el;
}

/* ------------------------------------------------------------------ account */

/**
 * The tabs over the account pages: the profile page and the security page.
 * Hooks: [data-test=account-nav], [data-test=account-nav-profile], [data-test=account-nav-security].
 */
export function accountNav(active) {
  const tab = (id, href, label) => h('li', null,
    h('a', { href, class: 'tab', test: `account-nav-${id}`, 'aria-current': id === active ? 'page' : null }, label));
  return h('nav', { class: 'tabs', 'aria-label': 'Account sections', test: 'account-nav' },
    h('ul', null, tab('profile', '/account', 'Profile and sessions'), tab('security', '/account/security', 'Security')));
}

/* ------------------------------------------------------------------ copy and download */

/** Puts `text` on the clipboard; resolves true when it got there. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* denied: try the old way */ }
  // Plain http on a LAN address has no Clipboard API: copy from a selected, off-screen textarea.
  const area = h('textarea', { class: 'sr-only', readonly: true, 'aria-hidden': 'true', tabindex: '-1' });
  area.value = text;
  const focused = document.activeElement;
  (focused?.closest?.('dialog') || document.body).append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  area.remove();
  focused?.focus?.({ preventScroll: true });
  return ok;
}

/**
 * A button that copies `getText()`; it says "Copied" for a moment, or toasts how to copy by hand.
 * `what` names the thing for screen readers ("Copy the token").
 */
export function copyButton({ getText, test, label = 'Copy', what, buttonClass = 'btn btn-secondary btn-sm' }) {
  const button = h('button', { type: 'button', class: buttonClass, test, 'aria-label': what || null }, label);
  let timer = null;
  button.addEventListener('click', async () => {
    const ok = await copyText(getText());
    clearTimeout(timer);
    if (!ok) { toast('Could not copy. Select the text and copy it yourself.', 'error'); return; }
    button.textContent = 'Copied';
    button.dataset.copied = '1';
    timer = setTimeout(() => { button.textContent = label; delete button.dataset.copied; }, 2000);
  });
  return button;
}

/** Offers `text` as a download named `filename` (a plain-text file made in the browser). */
export function downloadText(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/* ------------------------------------------------------------------ CSV import */

const MAX_CSV_BYTES = 2 * 1024 * 1024;

/** A CSV problem's key, `[3].price`, as {row: 3, column: 'price'}; any other key as {key}. */
export function csvProblem(key) {
  const m = /^\[(\d+)\]\.?(.*)$/.exec(String(key));
  return m ? { key, row: Number(m[1]), column: m[2] || null } : { key, row: null, column: null };
}

/**
 * A form that sends a CSV file, or rows pasted into it, to `path` (POST, text/csv) all at once.
 * A refusal naming rows (`[row].column`, row 1 the first line after the header) is listed by row.
 *   header      the header line the server expects, shown as a hint and a placeholder
 *   example     a line or two after the header for the placeholder
 *   what        what a row is ("transaction"), for the success message
 *   onImported(count)  runs after a success (reload a list)
 * Hooks from `test`: the form, `-file`, `-text`, `-submit`, `-result`, the list `-errors` and
 * each `-error` (data-row, data-column).
 */
export function csvImportForm({ test, path, header, example = '', what = 'row', label = 'Import from CSV', onImported }) {
  const result = h('p', { class: 'csv-result', role: 'status', test: `${test}-result` });
  const form = h('form', { class: 'form csv-import', test, 'aria-label': label },
    formError(),
    field({ name: 'file', label: 'A CSV file', type: 'file', accept: '.csv,text/csv,text/plain', test: `${test}-file`, optional: true }),
    field({
      name: 'text', label: 'Or paste the rows', type: 'textarea', rows: 5, test: `${test}-text`, optional: true,
      placeholder: [header, example].filter(Boolean).join('\n'), spellcheck: 'false', class: 'field-csv',
      hint: `The first line is the header: ${header}. Every row goes in together, or none does.`,
    }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', test: `${test}-submit` }, 'Import'), result));
  const fileInput = form.elements.namedItem('file');
  const textInput = form.elements.namedItem('text');

  function showRows(err) {
    const box = form.querySelector('.form-error');
    const rows = Object.entries(err.fields || {})
      .map(([key, message]) => ({ ...csvProblem(key), message: sentence(message) }))
      .sort((a, b) => (a.row ?? 0) - (b.row ?? 0) || String(a.column).localeCompare(String(b.column)));
    const message = sentence(err.message || 'Some rows could not be imported.');
    box.dataset.code = err.code || '';
    box.replaceChildren(
      h('p', { class: 'alert-title' }, message),
      h('ul', { class: 'alert-list', test: `${test}-errors` }, rows.map((r) => h('li', {
        test: `${test}-error`, dataset: { row: r.row ?? undefined, column: r.column ?? undefined },
      }, r.row
        ? [h('strong', null, `Row ${r.row}`), h('span', { class: 'muted' }, ` (line ${r.row + 1})`), r.column ? `, ${r.column}` : '', `: ${r.message}`]
        : `${r.key}: ${r.message}`))),
      h('p', { class: 'csv-nothing' }, /nothing/i.test(message)
        ? 'Fix these rows and import the file again.'
        : 'Nothing was imported. Fix these rows and import the file again.'));
    box.hidden = false;
    box.scrollIntoView?.({ block: 'nearest' });
  }

  onSubmit(form, async () => {
    result.textContent = '';
    const file = fileInput.files?.[0];
    if (file && file.size > MAX_CSV_BYTES) { showFieldProblems(form, { file: 'That file is larger than 2 MB: split it into smaller ones.' }); return; }
    const text = file ? await file.text() : textInput.value;
    if (!text.trim()) {
      showFieldProblems(form, file ? { file: 'That file is empty.' } : { text: 'Choose a CSV file, or paste its rows here.' });
      return;
    }
    const answer = await postText(path, text);
    const count = Number(answer?.imported) || 0;
    fileInput.value = '';
    textInput.value = '';
    result.textContent = `Imported ${plural(count, what)}.`;
    toast(`Imported ${plural(count, what)}.`, 'success');
    await onImported?.(count);
  }, {
    busyLabel: 'Importing…',
    onError: (err) => {
      if (err?.status === 400 && Object.keys(err.fields || {}).some((k) => csvProblem(k).row)) { showRows(err); return true; }
      return false;
    },
  });
  return form;
}
