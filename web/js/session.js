// Session helpers shared by pages: who is signed in, and the cart badge.
import { get } from './api.js';
import { state, update } from './state.js';

/** Refreshes the cart badge in the header. */
export async function refreshCartCount() {
  if (!state.user) return;
  try {
    const cart = await get('/cart');
    update({ cartCount: cart.totalQuantity });
  } catch { /* the badge is a nicety */ }
}

/** Records a freshly signed-in user (from login or signup). */
export function signedIn(user) {
  update({ user, cartCount: null });
  refreshCartCount();
}

/** Re-reads the signed-in user (after they change their own profile, role or permissions). */
export async function reloadMe() {
  const user = await get('/users/me');
  update({ user });
  return user;
}

export function cartChanged(cart) {
  if (cart && typeof cart.totalQuantity === 'number') update({ cartCount: cart.totalQuantity });
}
