// The bar under the header for a signed-in user whose email address is not verified yet: where
// the link went, and a "Send again" button. It lives outside <main>, so it stays put across pages
// and a page's own text never includes it.
import { state, subscribe } from './state.js';
import { h, icon } from './dom.js';
import { resendVerification } from './widgets.js';

/**
 * Keeps `container` showing the banner while `state.user.emailVerified === false`. The banner is
 * rebuilt only when the user, their address or `state.verifyRequired` changes, so the outcome of
 * "Send again" survives unrelated state updates (the cart badge...).
 * Hooks: [data-test=verify-banner] (data-required="1" once the API refused a request for want
 * of a verified address), [data-test=verify-resend], [data-test=verify-resend-status].
 */
export function mountVerifyBanner(container) {
  let shownFor = null;

  function paint() {
    const user = state.user;
    if (!user || user.emailVerified !== false) {
      if (shownFor !== null) container.replaceChildren();
      shownFor = null;
      return;
    }
    const key = `${user.id}|${user.email}|${state.verifyRequired ? 1 : 0}`;
    if (key === shownFor) return;
    shownFor = key;
    container.replaceChildren(banner(user, state.verifyRequired));
  }

  subscribe(paint);
  paint();
}

function banner(user, required) {
  const { button, status } = resendVerification({ test: 'verify-resend' });
  const lead = required
    ? 'Confirm your email address to keep using Stockroom.'
    : 'Please confirm your email address.';
  const text = required
    ? ['Until then most pages stay locked. We sent a link to ', h('strong', { class: 'verify-banner-email' }, user.email), '.']
    : ['We sent a link to ', h('strong', { class: 'verify-banner-email' }, user.email), '.'];
  return h('section', {
    class: ['verify-banner', required && 'verify-banner-required'],
    'aria-label': 'Email verification',
    test: 'verify-banner',
    dataset: { required: required ? '1' : '0' },
  },
  h('div', { class: 'container verify-banner-inner' },
    h('span', { class: 'verify-banner-icon', 'aria-hidden': 'true' }, icon(required ? 'alert' : 'mail')),
    h('p', { class: 'verify-banner-text' },
      h('span', { class: 'verify-banner-lead' }, lead), ' ',
      h('span', null, text), ' ',
      h('a', { href: '/account', class: 'verify-banner-link', test: 'verify-banner-account' }, 'Wrong address?')),
    h('div', { class: 'verify-banner-actions' }, button, status)));
}
