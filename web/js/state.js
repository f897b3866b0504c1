// Shared application state: who is signed in, the instance currency, the cart badge, and whether
// the instance has refused a request for want of a verified email address.

export const PERMISSIONS = [
  { id: 'catalog:write', label: 'Catalog', hint: 'Products and categories' },
  { id: 'orders:manage', label: 'Orders', hint: 'All orders and their status' },
  { id: 'assets:write', label: 'Assets', hint: 'Assets and prices' },
  { id: 'users:manage', label: 'Users', hint: 'Users, roles, permissions, deactivation' },
];

export const state = {
  user: null,
  currency: 'USD',
  version: null,
  cartCount: null,
  // Set once the API answers 403 `email_unverified`: the instance requires a verified address.
  verifyRequired: false,
};

const subscribers = new Set();

/** Re-render hooks (the header) run after any change made through `update`. */
export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

export function update(patch) {
  Object.assign(state, patch);
  for (const fn of subscribers) fn(state);
}

export function hasPerm(permission, user = state.user) {
  if (!user) return false;
  if (user.role === 'admin') return true;
  return Array.isArray(user.permissions) && user.permissions.includes(permission);
}

/** True when the user can open at least one admin page. */
export function hasAnyAdminPerm(user = state.user) {
  return PERMISSIONS.some((p) => hasPerm(p.id, user));
}
