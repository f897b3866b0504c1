// Account security: two-step verification (TOTP: set up with a QR code, recovery codes shown once,
// turn off), personal API tokens for scripts (created, shown once, listed, revoked), and the
// account's recent activity (sign-ins, failed sign-ins, security changes).
import { get, post, del } from '../api.js';
import { state, update, PERMISSIONS, hasPerm } from '../state.js';
import {
  h, field, formError, onSubmit, values, toast, confirmDialog, pageHeader, badge, actionError, withButton,
  showErrors, showFieldProblems, setFieldError,
} from '../dom.js';
import { dateTime, relativeTime, date, plural, describeAgent } from '../format.js';
import { setTitle } from '../router.js';
import { reloadMe } from '../session.js';
import { accountNav, passwordField, copyButton, downloadText } from '../widgets.js';
import { eventTime, eventAction, eventDetails } from '../audit.js';

const ACTIVITY_PER_PAGE = 10;

export async function securityPage(ctx) {
  setTitle('Security');
  // The user as the server sees them now (2FA may have changed in another tab), their tokens, and
  // the first page of their activity (which, should it fail, fails in its own card only).
  const [user, tokens, activity] = await Promise.all([
    reloadMe(),
    get('/users/me/tokens'),
    get('/users/me/activity', { page: 1, perPage: ACTIVITY_PER_PAGE }).catch((err) => err),
  ]);
  if (!ctx.isCurrent()) return;

  const twoFactor = twoFactorCard(user);
  const apiTokens = tokensCard(user, tokens);
  ctx.root.replaceChildren(
    pageHeader('Security', { subtitle: 'Two-step verification, API tokens and recent activity for your account.' }),
    accountNav('security'),
    h('div', { class: 'security-layout' }, twoFactor, apiTokens, activityCard(activity)));
}

function card(title, body, { test, id, description, status } = {}) {
  return h('section', { class: 'card', 'aria-labelledby': id, test },
    h('div', { class: 'card-head card-head-row' },
      h('div', null,
        h('h2', { class: 'card-title', id }, title),
        description ? h('p', { class: 'card-description' }, description) : null),
      status || null),
    body);
}

/** Server problems on a password checked in passing (403 wrong_password) go under that field. */
function wrongPasswordUnder(form, name) {
  return (err) => {
    if (err.code !== 'wrong_password') return false;
    showErrors(form, err);
    setFieldError(form, name, err.message);
    const input = form.elements.namedItem(name);
    input.focus();
    input.select();
    return true;
  };
}

/** Spaces typed or pasted inside a code ("123 456") are not part of it. */
const cleanCode = (text) => text.replace(/\s+/g, '');

/* ------------------------------------------------------------------ two-step verification */

/**
 * The two-step verification card. Its body is one of four views:
 *   off    a password form that starts the setup (2fa-setup-password, 2fa-setup-submit)
 *   setup  the QR code (2fa-qr), the secret (2fa-secret) and the first code (2fa-enable-code,
 *          2fa-enable-submit); 2fa-setup-cancel goes back
 *   codes  the recovery codes, once (2fa-recovery-codes, each 2fa-recovery-code), to copy
 *          (2fa-recovery-copy) or download (2fa-recovery-download); 2fa-recovery-done
 *   on     the form that turns it off (2fa-disable-password, 2fa-disable-code, 2fa-disable-submit)
 * Hooks: [data-test=twofa-card] data-view; [data-test=2fa-status] data-enabled 1 | 0.
 */
function twoFactorCard(user) {
  const status = h('span', { class: 'twofa-status' });
  const body = h('div', { class: 'card-body' });
  const el = card('Two-step verification', body, {
    test: 'twofa-card', id: 'card-two-step',
    description: 'A code from an app on your phone, asked for at every sign-in after your password.',
    status,
  });

  function paintStatus(enabled) {
    status.replaceChildren(enabled ? badge('On', 'success', '2fa-status') : badge('Off', 'neutral', '2fa-status'));
    status.firstChild.dataset.enabled = enabled ? '1' : '0';
  }

  function show(view, content, focus) {
    el.dataset.view = view;
    body.replaceChildren(content);
    if (focus) focus.focus({ preventScroll: false });
  }

  /** Records the new state locally: the header and the account page read it from `state.user`. */
  function setEnabled(enabled) {
    if (state.user) update({ user: { ...state.user, twoFactorEnabled: enabled } });
    paintStatus(enabled);
  }

  function offView(focus = false) {
    const form = h('form', { class: 'form', test: '2fa-setup-form', 'aria-label': 'Turn on two-step verification' },
      h('p', null, 'With two-step verification on, a stolen password is not enough to sign in to your account. You need an authenticator app, such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis.'),
      formError(),
      h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username || user.email, hidden: true, tabindex: '-1', 'aria-hidden': 'true', disabled: true }),
      passwordField({ name: 'password', label: 'Confirm with your password', autocomplete: 'current-password', required: true, test: '2fa-setup-password' }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', test: '2fa-setup-submit' }, 'Turn on')));
    onSubmit(form, async () => {
      const { password } = values(form);
      if (!password) { showFieldProblems(form, { password: 'Enter your password to continue.' }, 'Confirm with your password.'); return; }
      try {
        const setup = await post('/users/me/2fa/setup', { password });
        setupView(setup);
      } catch (err) {
        if (err.code !== 'already_exists') throw err;
        // Turned on meanwhile (another tab or device): show it as it is.
        const me = await reloadMe();
        toast(err.message, 'info');
        setEnabled(Boolean(me.twoFactorEnabled));
        if (me.twoFactorEnabled) onView(true);
      }
    }, { busyLabel: 'Checking…', onError: wrongPasswordUnder(form, 'password') });
    show('off', form, focus ? form.elements.namedItem('password') : null);
  }

  function setupView({ secret, otpauthUrl, qrSvg }) {
    // The server draws the QR code as an SVG document: shown as an image, never parsed into the page.
    const qr = h('img', {
      class: 'twofa-qr', test: '2fa-qr', width: 200, height: 200,
      alt: 'QR code that adds your Stockroom account to an authenticator app',
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg)}`,
    });
    const form = h('form', { class: 'form', test: '2fa-enable-form', 'aria-label': 'Confirm two-step verification' },
      formError(),
      field({
        name: 'code', label: 'Code from the app', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
        test: '2fa-enable-code', autocapitalize: 'none', spellcheck: 'false', maxlength: 12, class: 'field-otp field-code',
        hint: 'The 6 digits it shows for Stockroom. They change every 30 seconds.',
      }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary', test: '2fa-enable-submit' }, 'Verify and turn on'),
        h('button', { type: 'button', class: 'btn btn-ghost', test: '2fa-setup-cancel', onClick: () => offView(true) }, 'Cancel')));
    onSubmit(form, async () => {
      const code = cleanCode(values(form).code);
      if (!code) { showFieldProblems(form, { code: 'Enter the 6-digit code from your app.' }, 'Enter the code from your app.'); return; }
      const res = await post('/users/me/2fa/enable', { code });
      setEnabled(true);
      toast('Two-step verification is on. Your other sessions were signed out.', 'success');
      codesView(res.recoveryCodes || []);
    }, { busyLabel: 'Verifying…' });

    const content = h('ol', { class: 'twofa-steps', test: '2fa-setup' },
      h('li', { class: 'twofa-step' },
        h('h3', { class: 'twofa-step-title' }, 'Scan this code with your authenticator app'),
        h('div', { class: 'twofa-scan' },
          h('div', { class: 'twofa-qr-frame' }, qr),
          h('div', { class: 'twofa-manual' },
            h('p', { class: 'muted' }, 'Can’t scan it? Choose “enter a setup key” in the app and type this key:'),
            h('p', { class: 'twofa-secret-row' },
              h('code', { class: 'secret', test: '2fa-secret', dataset: { secret } }, secret),
              copyButton({ getText: () => secret, test: '2fa-secret-copy', what: 'Copy the setup key' })),
            h('p', { class: 'hint' }, 'Time-based, 6 digits, every 30 seconds.'),
            otpauthUrl ? h('p', null, h('a', { href: otpauthUrl, class: 'link-subtle', test: '2fa-otpauth-link', dataset: { external: '' } },
              'On this phone? Open it in your authenticator app')) : null))),
      h('li', { class: 'twofa-step' },
        h('h3', { class: 'twofa-step-title' }, 'Enter the code the app shows'),
        form));
    show('setup', content, form.elements.namedItem('code'));
  }

  function codesView(codes) {
    const text = [
      'Stockroom recovery codes',
      `Account: ${user.email}`,
      `Created: ${dateTime(new Date().toISOString())}`,
      '',
      'Each code signs you in once, in place of a code from your authenticator app.',
      'Keep them somewhere safe, apart from your phone.',
      '',
      ...codes,
      '',
    ].join('\n');
    const done = h('button', { type: 'button', class: 'btn btn-primary', test: '2fa-recovery-done' }, 'Done, I have stored them');
    done.addEventListener('click', () => { onView(); el.scrollIntoView?.({ block: 'nearest' }); });
    const warning = h('div', { class: 'alert alert-warning', role: 'alert', tabindex: '-1' },
      h('p', { class: 'alert-title' }, 'Store these recovery codes now. They will not be shown again.'),
      h('p', null, 'If you lose your phone, each code signs you in once instead of a code from the app.'));
    const content = h('div', { class: 'twofa-codes', test: '2fa-recovery' },
      warning,
      h('ol', { class: 'recovery-codes', test: '2fa-recovery-codes', 'aria-label': 'Recovery codes' },
        codes.map((c) => h('li', { class: 'recovery-code', test: '2fa-recovery-code' }, h('code', null, c)))),
      h('div', { class: 'form-actions' },
        copyButton({ getText: () => codes.join('\n'), test: '2fa-recovery-copy', label: 'Copy codes', buttonClass: 'btn btn-secondary' }),
        h('button', {
          type: 'button', class: 'btn btn-secondary', test: '2fa-recovery-download',
          onClick: () => downloadText('stockroom-recovery-codes.txt', text),
        }, 'Download .txt'),
        done));
    show('codes', content, warning);
  }

  function onView(focus = false) {
    const form = h('form', { class: 'form', test: '2fa-disable-form', 'aria-label': 'Turn off two-step verification' },
      h('p', { test: '2fa-on-text' }, 'Two-step verification is on. Signing in asks for a code from your authenticator app after your password.'),
      h('h3', { class: 'twofa-step-title' }, 'Turn it off'),
      h('p', { class: 'muted' }, 'Your password alone will sign in again, and your other sessions are signed out. Lost your phone? Use one of your recovery codes as the code.'),
      formError(),
      h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username || user.email, hidden: true, tabindex: '-1', 'aria-hidden': 'true', disabled: true }),
      h('div', { class: 'field-row field-row-wide' },
        passwordField({ name: 'password', label: 'Password', autocomplete: 'current-password', required: true, test: '2fa-disable-password' }),
        field({
          name: 'code', label: 'Code from the app, or a recovery code', autocomplete: 'one-time-code', inputmode: 'text', required: true,
          test: '2fa-disable-code', autocapitalize: 'none', spellcheck: 'false', maxlength: 32,
        })),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-danger', test: '2fa-disable-submit' }, 'Turn off')));
    onSubmit(form, async () => {
      const v = values(form);
      const code = cleanCode(v.code);
      const problems = {};
      if (!v.password) problems.password = 'Enter your password.';
      if (!code) problems.code = 'Enter a code from your app, or a recovery code.';
      if (Object.keys(problems).length) { showFieldProblems(form, problems); return; }
      await del('/users/me/2fa', { password: v.password, code });
      setEnabled(false);
      toast('Two-step verification is off. Your other sessions were signed out.', 'success');
      offView();
    }, { busyLabel: 'Turning off…', onError: wrongPasswordUnder(form, 'password') });
    show('on', form, focus ? form.elements.namedItem('password') : null);
  }

  paintStatus(Boolean(user.twoFactorEnabled));
  if (user.twoFactorEnabled) onView();
  else offView();
  return el;
}

/* ------------------------------------------------------------------ API tokens */

const BASE_SCOPES = [
  { id: 'read', label: 'Read', hint: 'Every GET request your account may make' },
  { id: 'store', label: 'Store', hint: 'Your cart and orders' },
  { id: 'markets', label: 'Markets', hint: 'Your watchlist and portfolio' },
];

const PERMISSION_HINTS = {
  'catalog:write': 'Create and change products and categories',
  'orders:manage': 'All orders and their status',
  'assets:write': 'Create and change assets and prices',
  'users:manage': 'Users, roles, permissions, deactivation',
};

/** The scopes this user may give a token: the three base ones and the permissions they hold. */
function scopesFor(user) {
  return [
    ...BASE_SCOPES,
    ...PERMISSIONS.filter((p) => hasPerm(p.id, user)).map((p) => ({ id: p.id, label: `${p.label} (${p.id})`, hint: PERMISSION_HINTS[p.id] || p.hint })),
  ];
}

function scopeLabel(id) {
  const base = BASE_SCOPES.find((s) => s.id === id);
  if (base) return `${base.label}: ${base.hint}`;
  return PERMISSION_HINTS[id] || id;
}

const EXPIRY = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: '', label: 'Never' },
];
const DEFAULT_EXPIRY = '90';

/**
 * Personal API tokens: the create form (token-form: token-name, token-scope-<scope>,
 * token-expiry, token-create), the new token once (token-created: token-value, token-copy,
 * token-created-dismiss), and the list (token-list, each token-row data-token-id with
 * token-revoke; token-revoke-all; tokens-empty when there are none).
 */
function tokensCard(user, initial) {
  let tokens = [...initial].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  const errors = actionError('tokens-error');
  const revealed = h('div', { class: 'token-created-slot' });
  const list = h('div', { class: 'token-list-wrap' });
  const revokeAll = h('button', { type: 'button', class: 'btn btn-secondary btn-sm btn-ghost-danger', test: 'token-revoke-all' }, 'Revoke all');
  const count = h('p', { class: 'muted token-count', test: 'token-count' });

  const scopes = scopesFor(user);
  const scopeBoxes = scopes.map((s) => h('label', { class: 'check-label scope-option' },
    h('input', { type: 'checkbox', class: 'checkbox', name: 'scopes', value: s.id, checked: s.id === 'read', test: `token-scope-${s.id}` }),
    h('span', null, h('strong', null, s.label), h('span', { class: 'muted scope-hint' }, s.hint))));
  const form = h('form', { class: 'form', test: 'token-form', 'aria-label': 'Create an API token' },
    formError(),
    h('div', { class: 'field-row token-form-row' },
      field({
        name: 'name', label: 'Name', required: true, test: 'token-name', maxlength: 100, autocomplete: 'off',
        placeholder: 'Nightly stock export', hint: 'What the token is for, so you know which one to revoke.',
      }),
      field({ name: 'expiresInDays', label: 'Expires after', type: 'select', value: DEFAULT_EXPIRY, options: EXPIRY, test: 'token-expiry' })),
    h('fieldset', { class: 'field fieldset' },
      h('legend', { class: 'label' }, 'Scopes'),
      h('p', { class: 'hint' }, 'What the token may do. It never does more than your account may do at that moment.'),
      h('div', { class: 'scope-list' }, scopeBoxes),
      h('p', { class: 'field-error', test: 'field-error-scopes', hidden: true })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', test: 'token-create' }, 'Create token')));

  onSubmit(form, async () => {
    const v = values(form);
    const name = v.name.trim();
    const chosen = scopeBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    const problems = {};
    if (!name) problems.name = 'Give the token a name.';
    if (!chosen.length) problems.scopes = 'Choose at least one scope.';
    if (Object.keys(problems).length) { showFieldProblems(form, problems); return; }
    const body = { name, scopes: chosen };
    if (v.expiresInDays) body.expiresInDays = Number(v.expiresInDays);
    const created = await post('/users/me/tokens', body);
    const { token, ...listed } = created;
    tokens = [listed, ...tokens.filter((t) => t.id !== listed.id)];
    // Back to the defaults, so a powerful scope ticked for this token is not carried to the next.
    form.elements.namedItem('name').value = '';
    form.elements.namedItem('expiresInDays').value = DEFAULT_EXPIRY;
    for (const l of scopeBoxes) { const i = l.querySelector('input'); i.checked = i.value === 'read'; }
    paintList();
    reveal(created.name, token);
  }, { busyLabel: 'Creating…' });

  function reveal(name, token) {
    const dismiss = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'token-created-dismiss' }, 'I have copied it');
    const box = h('div', { class: 'alert alert-warning token-created', test: 'token-created', role: 'status', tabindex: '-1' },
      h('p', { class: 'alert-title' }, `Your new token “${name}”. Copy it now: it will not be shown again.`),
      h('div', { class: 'token-value-row' },
        h('code', { class: 'secret token-value', test: 'token-value' }, token),
        copyButton({ getText: () => token, test: 'token-copy', what: 'Copy the token' })),
      h('p', { class: 'hint' }, 'Send it as ', h('code', null, 'Authorization: Bearer stk_…'), '. Anyone who has it can act as you within its scopes, so keep it like a password.'),
      h('div', { class: 'form-actions' }, dismiss));
    dismiss.addEventListener('click', () => { box.remove(); form.elements.namedItem('name').focus(); });
    revealed.replaceChildren(box);
    box.focus({ preventScroll: true });
    box.scrollIntoView?.({ block: 'nearest' });
  }

  function paintList() {
    revokeAll.hidden = tokens.length === 0;
    count.textContent = tokens.length ? plural(tokens.length, 'token') : '';
    if (!tokens.length) {
      list.replaceChildren(h('div', { class: 'tokens-empty', test: 'tokens-empty' },
        h('p', { class: 'strong' }, 'No API tokens'),
        h('p', { class: 'muted' }, 'Scripts and tools can use a token instead of your password. Create one above when you need it.')));
      return;
    }
    list.replaceChildren(h('ul', { class: 'token-list', test: 'token-list' }, tokens.map(tokenRow)));
  }

  function tokenRow(t) {
    const expired = t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now();
    const revoke = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', test: 'token-revoke', 'aria-label': `Revoke the token ${t.name}` }, 'Revoke');
    const row = h('li', { class: 'token', test: 'token-row', dataset: { tokenId: t.id, expired: expired ? '1' : '0' } },
      h('div', { class: 'token-main' },
        h('p', { class: 'token-title' },
          h('span', { class: 'strong token-name', test: 'token-row-name' }, t.name),
          h('code', { class: 'token-prefix', test: 'token-row-prefix', title: 'The start of the token' }, `${t.prefix}…`),
          expired ? badge('Expired', 'danger', 'token-row-expired') : null),
        h('ul', { class: 'chip-list', test: 'token-row-scopes', 'aria-label': 'Scopes' },
          (t.scopes || []).map((s) => h('li', { class: 'chip chip-mono', title: scopeLabel(s), dataset: { scope: s } }, s))),
        h('p', { class: 'token-meta muted' },
          h('time', { datetime: t.createdAt, title: dateTime(t.createdAt), test: 'token-row-created' }, `Created ${date(t.createdAt)}`),
          ' · ',
          t.expiresAt
            ? h('time', { datetime: t.expiresAt, title: dateTime(t.expiresAt), test: 'token-row-expires' }, `${expired ? 'Expired' : 'Expires'} ${date(t.expiresAt)}`)
            : h('span', { test: 'token-row-expires' }, 'Never expires'),
          ' · ',
          t.lastUsedAt
            ? h('time', { datetime: t.lastUsedAt, title: dateTime(t.lastUsedAt), test: 'token-row-last-used' }, `Last used ${relativeTime(t.lastUsedAt)}`)
            : h('span', { test: 'token-row-last-used' }, 'Never used'))),
      revoke);
    revoke.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: `Revoke “${t.name}”?`,
        message: 'Scripts using this token stop working at once. This cannot be undone.',
        confirmLabel: 'Revoke token',
        danger: true,
      });
      if (!ok) return;
      await withButton(revoke, 'Revoking…', async () => {
        errors.clear();
        try {
          await del(`/users/me/tokens/${t.id}`);
          tokens = tokens.filter((x) => x.id !== t.id);
          paintList();
          toast(`The token “${t.name}” was revoked.`, 'success');
        } catch (err) {
          if (err.status === 404) { tokens = tokens.filter((x) => x.id !== t.id); paintList(); return; }
          if (err.status !== 401) errors.show(err);
        }
      });
    });
    return row;
  }

  revokeAll.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Revoke every API token?',
      message: `All ${plural(tokens.length, 'token')} stop working at once. Scripts that use them will need a new one.`,
      confirmLabel: 'Revoke all',
      danger: true,
    });
    if (!ok) return;
    await withButton(revokeAll, 'Revoking…', async () => {
      errors.clear();
      try {
        await del('/users/me/tokens');
        tokens = [];
        paintList();
        toast('Every API token was revoked.', 'success');
      } catch (err) {
        if (err.status !== 401) errors.show(err);
      }
    });
  });

  paintList();
  const head = h('div', { class: 'token-list-head' },
    h('h3', { class: 'twofa-step-title' }, 'Your tokens'), count, revokeAll);
  return card('API tokens', h('div', { class: 'card-body token-body' },
    form, revealed, h('div', { class: 'token-section' }, head, errors.el, list)), {
    test: 'tokens-card', id: 'card-api-tokens',
    description: 'Personal tokens let scripts use the API as you, within the scopes you choose.',
  });
}

/* ------------------------------------------------------------------ recent activity */

/**
 * The account's own events, newest first: sign-ins, failed sign-ins, password, email, two-step
 * and token changes. Hooks: activity-list with each activity-row (data-event-id, data-action),
 * activity-count, activity-more (the next page, added below); activity-empty when there are none;
 * activity-error with activity-retry when they could not be loaded.
 */
function activityCard(first) {
  const body = h('div', { class: 'card-body' });
  const list = h('ol', { class: 'activity-list', test: 'activity-list', 'aria-label': 'Events, newest first' });
  const count = h('p', { class: 'muted activity-count', test: 'activity-count' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', test: 'activity-more' }, 'Show more');
  const errors = actionError('activity-more-error');
  const shown = new Set();
  let page = 0;
  let totalPages = 0;
  let totalItems = 0;

  const fetchPage = (n) => get('/users/me/activity', { page: n, perPage: ACTIVITY_PER_PAGE });

  /** Adds a page of events (skipping any already shown: newer events shift the pages); returns the first new row. */
  function add(data) {
    ({ page, totalPages, totalItems } = data);
    let firstNew = null;
    for (const event of data.items) {
      if (shown.has(event.id)) continue;
      shown.add(event.id);
      const row = activityRow(event);
      list.append(row);
      firstNew ||= row;
    }
    paint();
    return firstNew;
  }

  function paint() {
    if (!shown.size) {
      body.replaceChildren(h('div', { class: 'activity-empty', test: 'activity-empty' },
        h('p', { class: 'strong' }, 'No activity yet'),
        h('p', { class: 'muted' }, 'Sign-ins and changes to your password, email address, two-step verification and tokens appear here.')));
      return;
    }
    const all = page >= totalPages;
    more.hidden = all;
    count.textContent = all ? plural(totalItems, 'event') : `Showing ${shown.size} of ${plural(totalItems, 'event')}`;
    if (list.parentNode !== body) body.replaceChildren(list, errors.el, h('div', { class: 'activity-foot' }, count, more));
  }

  function failed(err) {
    const retry = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', test: 'activity-retry' }, 'Try again');
    retry.addEventListener('click', () => withButton(retry, 'Loading…', async () => {
      try {
        add(await fetchPage(1));
      } catch (again) {
        if (again.status !== 401) failed(again);
      }
    }));
    body.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert', test: 'activity-error' },
      h('p', { class: 'alert-title' }, err?.message || 'Your activity could not be loaded.'),
      h('div', { class: 'form-actions' }, retry)));
  }

  more.addEventListener('click', () => withButton(more, 'Loading…', async () => {
    errors.clear();
    try {
      // The first new row takes the focus, so keyboard and screen-reader users continue from there.
      add(await fetchPage(page + 1))?.focus({ preventScroll: true });
    } catch (err) {
      if (err.status !== 401) errors.show(err);
    }
  }));

  if (first instanceof Error) {
    if (first.status !== 401) failed(first);
  } else {
    add(first);
  }
  return card('Recent activity', body, {
    test: 'activity-card', id: 'card-activity',
    description: ['Sign-ins and security changes on your account. Something you do not recognise? Change your password and sign out everywhere on ',
      h('a', { href: '/account', test: 'activity-profile-link' }, 'your profile'), '.'],
  });
}

function activityRow(event) {
  return h('li', { class: 'activity', test: 'activity-row', tabindex: '-1', dataset: { eventId: event.id, action: event.action } },
    h('p', { class: 'activity-title' }, eventAction(event.action, { showName: false })),
    h('p', { class: 'activity-meta muted' },
      eventTime(event.at),
      ' · ',
      h('span', { test: 'event-ip' }, event.ip || 'Unknown address'),
      ' · ',
      h('span', { test: 'event-agent', title: event.userAgent || '' }, describeAgent(event.userAgent))),
    eventDetails(event.details, { inline: true }));
}
