// DOM helpers. Everything is built with createElement/textContent: no HTML strings, no inline styles.
import { sentence } from './format.js';

const BOOLEAN_PROPS = new Set(['disabled', 'checked', 'hidden', 'required', 'selected', 'multiple', 'readOnly', 'open', 'autofocus', 'indeterminate']);

function applyAttrs(el, attrs, isSvg) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      if (key === 'value' && !isSvg) el.value = '';
      continue;
    }
    if (key === 'style') throw new Error('inline styles are not allowed (CSP); use a class');
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'test') {
      el.setAttribute('data-test', value);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = v;
    } else if (!isSvg && (key === 'value' || BOOLEAN_PROPS.has(key))) {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h('button', {class: 'btn', onClick: fn, test: 'save'}, 'Save') */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs && (attrs instanceof Node || typeof attrs !== 'object' || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  applyAttrs(el, attrs, false);
  appendChildren(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** SVG elements; presentation attributes (fill, stroke...) are attributes, not styles, so CSP allows them. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs, true);
  appendChildren(el, children);
  return el;
}

let idCounter = 0;
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/* ------------------------------------------------------------------ icons */

const ICONS = {
  cart: 'M3 4h2l2.4 10.2a1 1 0 0 0 1 .8h8.7a1 1 0 0 0 1-.8L20 7H6.2M9 20a1 1 0 1 0 0-.01M17 20a1 1 0 1 0 0-.01',
  star: 'M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L12 16.9l-5.2 2.7 1-5.8-4.3-4.1 5.9-.9z',
  trash: 'M4 7h16M10 11v6M14 11v6M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12M9 7V4h6v3',
  edit: 'M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4',
  search: 'M11 18a7 7 0 1 1 0-14 7 7 0 0 1 0 14zM20 20l-4-4',
  plus: 'M12 5v14M5 12h14',
  minus: 'M5 12h14',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0',
  box: 'M3 7l9-4 9 4-9 4-9-4zM3 7v10l9 4 9-4V7M12 11v10',
  chart: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
  alert: 'M12 8v5M12 16.5v.01M10.3 3.9L2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  check: 'M5 12l5 5L20 7',
  close: 'M6 6l12 12M18 6L6 18',
  eye: 'M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12zM12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
  list: 'M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01',
  mail: 'M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zM3.5 6.5l8.5 6.5 8.5-6.5',
};

export function icon(name, extraClass = '') {
  return svg('svg', { class: `icon ${extraClass}`.trim(), viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    svg('path', { d: ICONS[name] || ICONS.box }));
}

/* ------------------------------------------------------------------ toasts */

let toastRegion = null;
let currentToast = null;

function region() {
  if (!toastRegion) toastRegion = document.getElementById('toasts');
  return toastRegion;
}

/**
 * A short message in the aria-live region. kind: info | success | error. One shows at a time: a
 * new toast replaces the one showing ("Your session has ended" does not pile onto "Welcome back").
 * Returns a function that dismisses it.
 */
export function toast(message, kind = 'info', timeout = 5000) {
  currentToast?.remove();
  const el = h('div', { class: `toast toast-${kind}`, test: 'toast', dataset: { kind } },
    icon(kind === 'error' ? 'alert' : 'check'), h('span', null, message));
  region()?.replaceChildren(el);
  let leaving = null;
  const t = setTimeout(() => dismiss(), kind === 'error' ? timeout + 3000 : timeout);
  const entry = {
    remove() { clearTimeout(t); clearTimeout(leaving); el.remove(); if (currentToast === entry) currentToast = null; },
  };
  currentToast = entry;
  function dismiss() {
    clearTimeout(t);
    el.classList.add('toast-leaving');
    leaving = setTimeout(() => entry.remove(), 200);
  }
  return dismiss;
}

/* ------------------------------------------------------------------ dialogs */

/**
 * A modal confirmation built on <dialog>. Resolves true when confirmed.
 * Hooks: [data-test=confirm-dialog], [data-test=confirm-ok], [data-test=confirm-cancel].
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const ok = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, test: 'confirm-ok' }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', test: 'confirm-cancel' }, 'Cancel');
    const dlg = h('dialog', { class: 'dialog', test: 'confirm-dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId, class: 'dialog-title' }, title),
      message ? h('p', { class: 'dialog-message' }, message) : null,
      h('div', { class: 'dialog-actions' }, cancel, ok));
    let result = false;
    ok.addEventListener('click', () => { result = true; dlg.close(); });
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

/**
 * A modal containing a form. `build(close)` returns the content (usually a <form>).
 * Returns { dialog, close }.
 */
export function formDialog({ title, test, build }) {
  const titleId = uid('dlg');
  const dlg = h('dialog', { class: 'dialog dialog-wide', test, 'aria-labelledby': titleId });
  const close = () => dlg.close();
  dlg.append(
    h('div', { class: 'dialog-head' },
      h('h2', { id: titleId, class: 'dialog-title' }, title),
      h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': 'Close', onClick: close }, icon('close'))),
    build(close));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  const first = dlg.querySelector('input:not([type=hidden]), select, textarea');
  first?.focus();
  return { dialog: dlg, close };
}

/* ------------------------------------------------------------------ forms */

/**
 * A labelled form control with a slot for its error message.
 * opts: label, name, type (text|email|password|number|textarea|select|checkbox), value, options
 * ([{value, label}], where {label, options} is a group), hint, required, autocomplete, test,
 * inputmode, placeholder, min, max, step, prefix, accept (a file input's types).
 */
export function field(opts) {
  const id = opts.id || uid(`f-${opts.name}`);
  const errorId = `${id}-error`;
  const hintId = opts.hint ? `${id}-hint` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  const common = {
    id,
    name: opts.name,
    test: opts.test,
    required: opts.required,
    'aria-describedby': describedBy,
    autocomplete: opts.autocomplete,
    placeholder: opts.placeholder,
    disabled: opts.disabled,
  };
  let control;
  if (opts.type === 'textarea') {
    control = h('textarea', { ...common, rows: opts.rows || 4, class: 'input' });
    control.value = opts.value ?? '';
  } else if (opts.type === 'select') {
    const option = (o) => h('option', { value: String(o.value) }, o.label);
    control = h('select', { ...common, class: 'input' },
      (opts.options || []).map((o) => (o.options ? h('optgroup', { label: o.label }, o.options.map(option)) : option(o))));
    control.value = opts.value === null || opts.value === undefined ? '' : String(opts.value);
  } else if (opts.type === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', class: 'checkbox', checked: Boolean(opts.checked) });
    return h('div', { class: ['field field-check', opts.class] },
      h('label', { class: 'check-label', for: id }, control, h('span', null, opts.label)),
      hintId ? h('p', { class: 'hint', id: hintId }, opts.hint) : null,
      h('p', { class: 'field-error', id: errorId, test: `field-error-${opts.name}`, hidden: true }));
  } else {
    control = h('input', {
      ...common,
      type: opts.type || 'text',
      class: 'input',
      inputmode: opts.inputmode,
      min: opts.min,
      max: opts.max,
      step: opts.step,
      maxlength: opts.maxlength,
      spellcheck: opts.spellcheck,
      autocapitalize: opts.autocapitalize,
      list: opts.list,
      accept: opts.accept,
    });
    control.value = opts.value ?? '';
  }
  const inner = opts.prefix
    ? h('div', { class: 'input-group' }, h('span', { class: 'input-prefix', 'aria-hidden': 'true' }, opts.prefix), control)
    : control;
  return h('div', { class: ['field', opts.class] },
    h('label', { class: 'label', for: id }, opts.label,
      opts.optional ? h('span', { class: 'optional' }, ' (optional)') : null),
    inner,
    hintId ? h('p', { class: 'hint', id: hintId }, opts.hint) : null,
    h('p', { class: 'field-error', id: errorId, test: `field-error-${opts.name}`, hidden: true }));
}

/** The form-level error box; put it at the top of a form. */
export function formError() {
  return h('div', { class: 'alert alert-error form-error', role: 'alert', test: 'form-error', hidden: true });
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) { el.textContent = ''; el.hidden = true; }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const box = form.querySelector('.form-error');
  if (box) { box.replaceChildren(); box.hidden = true; delete box.dataset.code; }
}

/** Shows one message under a named control of the form. Returns false when no such control. */
export function setFieldError(form, name, message) {
  const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!control) return false;
  const slot = control.closest('.field')?.querySelector('.field-error');
  if (!slot) return false;
  slot.textContent = sentence(message);
  slot.hidden = false;
  control.setAttribute('aria-invalid', 'true');
  return true;
}

/**
 * Shows an error next to the form: error.message at the top, error.fields under the matching inputs
 * (`aliases` maps API field names to input names), leftovers listed in the top box.
 */
export function showErrors(form, err, { aliases = {}, focus = true } = {}) {
  clearErrors(form);
  const box = form.querySelector('.form-error');
  const leftovers = [];
  let firstInvalid = null;
  for (const [apiName, problem] of Object.entries(err.fields || {})) {
    const name = aliases[apiName] || apiName;
    if (setFieldError(form, name, problem)) {
      firstInvalid ||= form.querySelector(`[name="${CSS.escape(name)}"]`);
    } else {
      leftovers.push(`${apiName}: ${sentence(problem)}`);
    }
  }
  if (box) {
    box.dataset.code = err.code || '';
    const fieldCount = Object.keys(err.fields || {}).length;
    const message = sentence(err.message || 'Something went wrong.');
    box.append(h('p', { class: 'alert-title' }, fieldCount && !leftovers.length && err.code === 'validation_failed'
      ? `${message} Check the highlighted field${fieldCount === 1 ? '' : 's'}.`
      : message));
    if (leftovers.length) box.append(h('ul', { class: 'alert-list' }, leftovers.map((l) => h('li', null, l))));
    box.hidden = false;
  }
  if (focus) (firstInvalid || box)?.focus?.({ preventScroll: false });
  if (box && !firstInvalid) box.scrollIntoView?.({ block: 'nearest' });
}

/** Client-side problems (before sending): { field: message }. */
export function showFieldProblems(form, problems, message = 'Please fix the highlighted fields.') {
  showErrors(form, { code: 'validation_failed', message, fields: problems });
}

/**
 * Wires a form's submit: prevents default, disables the submit button with a busy label, clears
 * errors, runs `handler(form)`; an ApiError is shown next to the form unless `onError` handles it.
 */
export function onSubmit(form, handler, { busyLabel = 'Saving…', aliases, onError } = {}) {
  let running = false;
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (running) return;
    running = true;
    const button = form.querySelector('button[type=submit]');
    const label = button?.textContent;
    if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); button.textContent = busyLabel; }
    clearErrors(form);
    try {
      await handler(form);
    } catch (err) {
      if (err && err.status === 401 && err.code !== 'invalid_credentials' && form.isConnected === false) return;
      if (!onError || onError(err) === false) {
        if (err && err.name === 'ApiError') showErrors(form, err, { aliases });
        else { console.error(err); showErrors(form, { message: 'Something went wrong. Please try again.' }); }
      }
    } finally {
      running = false;
      // Restored even when the handler took the form off the page: it may be shown again.
      if (button) {
        button.disabled = false;
        button.removeAttribute('aria-busy');
        // The handler may have relabelled the button (an editor back in "create" mode): keep that.
        if (button.textContent === busyLabel) button.textContent = label;
      }
    }
  });
}

/** Runs an async action from a button, disabling it meanwhile. */
export async function withButton(button, busyLabel, action) {
  const label = button.textContent;
  const html = [...button.childNodes];
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (busyLabel) button.textContent = busyLabel;
  try {
    return await action();
  } finally {
    if (button.isConnected) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (busyLabel) { button.textContent = ''; button.append(...html); if (!html.length) button.textContent = label; }
    }
  }
}

/** Reads a form's named controls as strings (checkboxes as booleans). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled && el.type !== 'checkbox') continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else out[el.name] = el.value;
  }
  return out;
}

/* ------------------------------------------------------------------ page furniture */

export function loading(text = 'Loading…') {
  return h('div', { class: 'loading', role: 'status', test: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function skeletonRows(n = 4) {
  return h('div', { class: 'skeleton-list', 'aria-hidden': 'true' },
    Array.from({ length: n }, () => h('div', { class: 'skeleton skeleton-row' })));
}

export function emptyState({ title, text, action, test = 'empty-state', iconName = 'box' }) {
  return h('div', { class: 'empty', test },
    h('div', { class: 'empty-icon' }, icon(iconName)),
    h('h2', { class: 'empty-title' }, title),
    text ? h('p', { class: 'empty-text' }, text) : null,
    action || null);
}

export function pageHeader(title, { subtitle, actions, test } = {}) {
  return h('header', { class: 'page-header' },
    h('div', { class: 'page-heading' },
      h('h1', { class: 'page-title', tabindex: '-1', test: test || 'page-title' }, title),
      subtitle ? h('p', { class: 'page-subtitle' }, subtitle) : null),
    actions ? h('div', { class: 'page-actions' }, actions) : null);
}

export function alertBox(kind, message, test) {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status', test }, message);
}

/** An inline error area for actions that have no form of their own (row buttons). */
export function actionError(test = 'list-error') {
  const box = h('div', { class: 'alert alert-error', role: 'alert', test, hidden: true });
  return {
    el: box,
    show(err) {
      box.replaceChildren(h('p', { class: 'alert-title' }, err?.message || 'Something went wrong.'));
      box.dataset.code = err?.code || '';
      const fields = Object.entries(err?.fields || {});
      if (fields.length) box.append(h('ul', { class: 'alert-list' }, fields.map(([k, v]) => h('li', null, `${k}: ${sentence(v)}`))));
      box.hidden = false;
      box.scrollIntoView?.({ block: 'nearest' });
    },
    clear() { box.hidden = true; box.replaceChildren(); delete box.dataset.code; },
  };
}

/** Previous / next paging for a {page, totalPages, totalItems} result. */
export function pager(result, onPage, { test = 'pager' } = {}) {
  const { page, totalPages, totalItems } = result;
  if (!totalPages || totalPages <= 1) {
    return h('nav', { class: 'pager pager-single', 'aria-label': 'Pages', test },
      h('span', { class: 'pager-status', test: 'pager-status' }, totalItems === 1 ? '1 result' : `${totalItems ?? 0} results`));
  }
  const prev = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', test: 'pager-prev', disabled: page <= 1, onClick: () => onPage(page - 1) }, '← Previous');
  const next = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', test: 'pager-next', disabled: page >= totalPages, onClick: () => onPage(page + 1) }, 'Next →');
  return h('nav', { class: 'pager', 'aria-label': 'Pages', test },
    prev,
    h('span', { class: 'pager-status', test: 'pager-status', 'aria-live': 'polite' }, `Page ${page} of ${totalPages}`, h('span', { class: 'muted' }, ` · ${totalItems} results`)),
    next);
}

const STATUS_LABELS = { pending: 'Pending', confirmed: 'Confirmed', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' };

export function statusBadge(status, test = 'order-status') {
  return h('span', { class: `badge badge-status badge-${status}`, test, dataset: { status } }, STATUS_LABELS[status] || status);
}

export function badge(text, kind = 'neutral', test) {
  return h('span', { class: `badge badge-${kind}`, test }, text);
}

/** A product image, or a lettered placeholder when there is none or it fails to load (e.g. CSP). */
export function productImage(product, size = 'card') {
  const placeholder = () => h('div', { class: `product-img product-img-${size} placeholder ph-${(product.id || 0) % 6}`, 'aria-hidden': 'true' },
    h('span', null, (product.name || '?').trim().charAt(0).toUpperCase()));
  if (!product.imageUrl) return placeholder();
  const img = h('img', { class: `product-img product-img-${size}`, src: product.imageUrl, alt: '', loading: 'lazy', decoding: 'async' });
  img.addEventListener('error', () => img.replaceWith(placeholder()), { once: true });
  return img;
}

/** Wraps a table so it scrolls sideways on a phone instead of breaking the layout. */
export function tableWrap(table, label) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}
