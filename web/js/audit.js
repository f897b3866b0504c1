// Audit events as the admin's audit log and the security page's recent activity both show them:
// what each action is called, when it happened, what it was about, and its details.
import { h } from './dom.js';
import { dateTime, money, wholeMoney, number } from './format.js';

/** Every action the server records, by group (`prefix` is also an `action=` filter). */
export const ACTION_GROUPS = [
  {
    prefix: 'auth.', label: 'Sign-in and security', all: 'Every sign-in and security event',
    actions: [
      ['auth.login', 'Signed in'],
      ['auth.login_failed', 'Failed sign-in'],
      ['auth.logout', 'Signed out'],
      ['auth.password_changed', 'Password changed'],
      ['auth.password_reset', 'Password reset'],
      ['auth.email_changed', 'Email address changed'],
      ['auth.2fa_enabled', 'Two-step verification turned on'],
      ['auth.2fa_disabled', 'Two-step verification turned off'],
      ['auth.token_created', 'API token created'],
      ['auth.token_revoked', 'API token revoked'],
    ],
  },
  {
    prefix: 'user.', label: 'Users', all: 'Every change to a user',
    actions: [['user.created', 'User created'], ['user.updated', 'User updated'], ['user.deleted', 'User deleted']],
  },
  {
    prefix: 'catalog.', label: 'Catalog', all: 'Every change to the catalog',
    actions: [
      ['catalog.product_created', 'Product created'],
      ['catalog.product_updated', 'Product updated'],
      ['catalog.product_deleted', 'Product deleted'],
      ['catalog.category_created', 'Category created'],
      ['catalog.category_updated', 'Category updated'],
      ['catalog.category_deleted', 'Category deleted'],
    ],
  },
  {
    prefix: 'order.', label: 'Orders', all: 'Every order event',
    actions: [['order.placed', 'Order placed'], ['order.status_changed', 'Order status changed'], ['order.cancelled', 'Order cancelled']],
  },
  {
    prefix: 'asset.', label: 'Assets', all: 'Every change to an asset',
    actions: [
      ['asset.created', 'Asset created'],
      ['asset.updated', 'Asset updated'],
      ['asset.deleted', 'Asset deleted'],
      ['asset.prices_updated', 'Prices updated'],
    ],
  },
];

const ACTION_LABELS = new Map(ACTION_GROUPS.flatMap((g) => g.actions));

/** "Signed in" for `auth.login`; an action this app does not know yet is shown as it is. */
export function actionLabel(action) {
  return ACTION_LABELS.get(action) || action;
}

/** What an event can be about, as the `targetType=` filter names it. */
export const TARGET_TYPES = [
  { value: 'user', label: 'User' },
  { value: 'product', label: 'Product' },
  { value: 'category', label: 'Category' },
  { value: 'order', label: 'Order' },
  { value: 'asset', label: 'Asset' },
  { value: 'session', label: 'Session' },
  { value: 'token', label: 'API token' },
];

/** "User #7". */
export function targetLabel(target) {
  const type = TARGET_TYPES.find((t) => t.value === target.type);
  return `${type ? type.label : target.type} #${target.id}`;
}

/** A muted dash for an empty cell that screen readers announce as `spoken`. */
export function nothing(spoken) {
  return h('span', { class: 'muted' }, h('span', { 'aria-hidden': 'true' }, '—'), h('span', { class: 'sr-only' }, spoken));
}

/** When it happened, with the exact instant in the datetime and title attributes. */
export function eventTime(at) {
  return h('time', { datetime: at, title: at, test: 'event-time' }, dateTime(at));
}

/** The action's label; `showName` adds its name (`auth.login`), which is what the filter takes. */
export function eventAction(action, { showName = true } = {}) {
  return h('span', { class: 'audit-action' },
    h('span', { class: ['audit-action-label', action === 'auth.login_failed' && 'audit-action-failed'], test: 'event-label' }, actionLabel(action)),
    showName ? h('code', { class: 'audit-action-name', test: 'event-action' }, action) : null);
}

/* ------------------------------------------------------------------ details */

const KEY_LABELS = {
  isActive: 'Active',
  emailVerified: 'Email verified',
  marketCap: 'Market cap',
  categoryId: 'Category',
  imageUrl: 'Image',
  userAgent: 'Browser',
};

const VALUE_LABELS = {
  role: { user: 'Member', admin: 'Administrator' },
  method: { password: 'password', totp: 'authenticator code', recovery_code: 'recovery code', reset: 'reset by an administrator' },
  reason: { unknown_login: 'unknown account', wrong_password: 'wrong password', wrong_code: 'wrong code', account_disabled: 'account deactivated' },
};

const CENT_KEYS = new Set(['price', 'total', 'totalPrice']);
const WHOLE_MONEY_KEYS = new Set(['marketCap']);

/** `isActive` -> "Active", `costBasis` -> "Cost basis". */
function keyLabel(key) {
  if (KEY_LABELS[key]) return KEY_LABELS[key];
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function isChange(value) {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value) && 'before' in value && 'after' in value;
}

/** One value as text: lists joined with ", ", yes/no, money in the currency, "none" for nothing. */
function valueText(key, value) {
  if (value === null || value === undefined || value === '') return 'none';
  if (Array.isArray(value)) return value.length ? value.map((v) => valueText(key, v)).join(', ') : 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (CENT_KEYS.has(key)) return money(value);
    if (WHOLE_MONEY_KEYS.has(key)) return wholeMoney(value);
    return number(value);
  }
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${keyLabel(k)}: ${valueText(k, v)}`).join(', ');
  return VALUE_LABELS[key]?.[value] ?? String(value);
}

/**
 * An event's details, one line a key: a change as "Role: Member → Administrator", anything else
 * as "Count: 3". `inline` runs the lines together (the activity list).
 */
export function eventDetails(details, { inline = false } = {}) {
  const entries = Object.entries(details && typeof details === 'object' ? details : {});
  if (!entries.length) return inline ? null : nothing('No details');
  return h('ul', { class: ['audit-details', inline && 'audit-details-inline'], test: 'event-details' },
    entries.map(([key, value]) => h('li', { dataset: { key } },
      h('span', { class: 'audit-detail-key' }, `${keyLabel(key)}: `),
      isChange(value)
        ? [
          h('span', { class: 'audit-before' }, valueText(key, value.before)),
          h('span', { class: 'audit-arrow', 'aria-hidden': 'true' }, ' → '),
          h('span', { class: 'sr-only' }, ' changed to '),
          h('span', { class: 'audit-after' }, valueText(key, value.after)),
        ]
        : valueText(key, value))));
}
