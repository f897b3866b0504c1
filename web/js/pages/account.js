// Account: profile, password, sessions, delete account; a summary of security (two-step
// verification, API tokens), which has its own page.
import { get, post, patch, put, del } from '../api.js';
import { state, update, PERMISSIONS, hasPerm } from '../state.js';
import {
  h, field, formError, onSubmit, values, toast, confirmDialog, pageHeader, badge, loading, actionError, withButton,
  showFieldProblems,
} from '../dom.js';
import { dateTime, relativeTime, date, describeAgent } from '../format.js';
import { navigate, setTitle } from '../router.js';
import { accountNav, passwordField, resendVerification, verifiedBadge } from '../widgets.js';

export async function accountPage(ctx) {
  setTitle('Account');
  const user = state.user;
  const sessionsBody = h('div', { class: 'card-body' }, loading('Loading sessions…'));

  ctx.root.replaceChildren(
    pageHeader('Your account', { subtitle: `Signed in as ${user.email}` }),
    accountNav('profile'),
    h('div', { class: 'account-grid' },
      h('div', { class: 'stack' },
        profileCard(user),
        passwordCard(() => loadSessions(sessionsBody)),
        sessionsCard(sessionsBody)),
      h('div', { class: 'stack' },
        summaryCard(user),
        securityCard(user),
        deleteCard())));

  await loadSessions(sessionsBody);
}

function card(title, body, { test, description, danger } = {}) {
  const id = `card-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return h('section', { class: ['card', danger && 'card-danger'], 'aria-labelledby': id, test },
    h('div', { class: 'card-head' },
      h('h2', { class: 'card-title', id }, title),
      description ? h('p', { class: 'card-description' }, description) : null),
    body);
}

function summaryCard(user) {
  const perms = PERMISSIONS.filter((p) => hasPerm(p.id, user));
  return card('Summary', h('dl', { class: 'facts card-body', test: 'account-summary' },
    h('dt', null, 'Role'), h('dd', null, badge(user.role === 'admin' ? 'Administrator' : 'Member', user.role === 'admin' ? 'accent' : 'neutral', 'account-role')),
    h('dt', null, 'Permissions'), h('dd', null, perms.length
      ? h('ul', { class: 'chip-list' }, perms.map((p) => h('li', { class: 'chip' }, p.label)))
      : h('span', { class: 'muted' }, 'None')),
    h('dt', null, 'Member since'), h('dd', null, date(user.createdAt)),
    h('dt', null, 'Last login'), h('dd', { test: 'account-last-login' }, user.lastLogin ? dateTime(user.lastLogin) : 'This is your first session')));
}

/** Where two-step verification stands, and the way to the security page. */
function securityCard(user) {
  const on = Boolean(user.twoFactorEnabled);
  return card('Security', h('div', { class: 'card-body stack-tight' },
    h('p', { class: 'security-line' },
      h('span', null, 'Two-step verification'),
      badge(on ? 'On' : 'Off', on ? 'success' : 'neutral', 'account-2fa-status')),
    h('p', { class: 'muted' }, on
      ? 'Signing in asks for a code from your authenticator app.'
      : 'Add a code from your phone to every sign-in, so a stolen password is not enough.'),
    h('p', { class: 'muted' }, 'API tokens let your scripts use Stockroom without your password.'),
    h('div', null, h('a', { href: '/account/security', class: 'btn btn-secondary btn-sm', test: 'account-security-link' },
      on ? 'Manage security' : 'Set up two-step verification'))), { test: 'security-card' });
}

function profileCard(user) {
  const original = { name: user.name || '', username: user.username || '', email: user.email };
  const passwordWrap = passwordField({
    name: 'currentPassword', label: 'Current password', autocomplete: 'current-password', test: 'profile-current-password',
    hint: 'Needed to change your email address.',
  });
  passwordWrap.hidden = true;
  const emailStatus = emailStatusLine();
  emailStatus.paint(user);
  const emailField = field({ name: 'email', label: 'Email', type: 'email', value: original.email, autocomplete: 'email', test: 'profile-email', autocapitalize: 'none', spellcheck: 'false' });
  emailField.insertBefore(emailStatus.el, emailField.querySelector('.field-error'));

  const form = h('form', { class: 'form card-body', test: 'profile-form', 'aria-label': 'Profile' },
    formError(),
    field({ name: 'name', label: 'Display name', value: original.name, autocomplete: 'name', test: 'profile-name' }),
    field({ name: 'username', label: 'Username', value: original.username, autocomplete: 'username', test: 'profile-username', autocapitalize: 'none', spellcheck: 'false', hint: '3–32 letters, digits, “_”, “.” or “-”. Leave empty to log in by email only.' }),
    emailField,
    passwordWrap,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', test: 'profile-submit' }, 'Save profile')));

  const emailInput = form.elements.namedItem('email');
  emailInput.addEventListener('input', () => {
    passwordWrap.hidden = emailInput.value.trim().toLowerCase() === original.email.toLowerCase();
  });

  onSubmit(form, async () => {
    const v = values(form);
    const body = {};
    const name = v.name.trim();
    const username = v.username.trim();
    const email = v.email.trim();
    if (name !== original.name) body.name = name || null;
    if (username !== original.username) body.username = username || null;
    if (email.toLowerCase() !== original.email.toLowerCase()) {
      if (!v.currentPassword) {
        showFieldProblems(form, { currentPassword: 'Enter your current password to change your email.' });
        return;
      }
      body.email = email;
      body.currentPassword = v.currentPassword;
    }
    if (!Object.keys(body).length) { toast('Nothing changed.', 'info'); return; }
    const updated = await patch('/users/me', body);
    const emailChanged = updated.email !== original.email;
    Object.assign(original, { name: updated.name || '', username: updated.username || '', email: updated.email });
    form.elements.namedItem('name').value = original.name;
    form.elements.namedItem('username').value = original.username;
    emailInput.value = original.email;
    form.elements.namedItem('currentPassword').value = '';
    passwordWrap.hidden = true;
    // A new address is unverified until its link is opened: the banner and the status line say so.
    update({ user: updated });
    emailStatus.paint(updated);
    toast(emailChanged && updated.emailVerified === false
      ? `Profile saved. We sent a link to ${updated.email} to confirm the new address.`
      : 'Profile saved.', 'success');
  });

  return card('Profile', form, { test: 'profile-card' });
}

/**
 * Under the email field: whether the address is verified and, while it is not, a button that
 * sends the link again. Hooks: [data-test=account-email-status] (data-verified 1 | 0),
 * [data-test=account-verify-resend].
 */
function emailStatusLine() {
  const el = h('div', { class: 'email-status', test: 'account-email-status' });
  return {
    el,
    paint(user) {
      if (typeof user.emailVerified !== 'boolean') { el.hidden = true; return; }
      el.hidden = false;
      el.dataset.verified = user.emailVerified ? '1' : '0';
      if (user.emailVerified) {
        el.replaceChildren(verifiedBadge(true, 'account-email-verified'),
          h('span', { class: 'muted' }, 'This address is confirmed as yours.'));
        return;
      }
      const { button, status } = resendVerification({ test: 'account-verify-resend', label: 'Send the link again' });
      el.replaceChildren(verifiedBadge(false, 'account-email-verified'),
        h('span', { class: 'muted' }, `Open the link we sent to ${user.email} to confirm it.`),
        h('span', { class: 'email-status-actions' }, button, status));
    },
  };
}

function passwordCard(afterChange) {
  const form = h('form', { class: 'form card-body', test: 'password-form', 'aria-label': 'Change password' },
    formError(),
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: state.user.username || state.user.email, hidden: true, tabindex: '-1', 'aria-hidden': 'true', disabled: true }),
    passwordField({ name: 'currentPassword', label: 'Current password', autocomplete: 'current-password', required: true, test: 'password-current' }),
    passwordField({ name: 'newPassword', label: 'New password', autocomplete: 'new-password', required: true, test: 'password-new', hint: 'At least 8 characters. Your other sessions will be signed out.' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', test: 'password-submit' }, 'Change password')));

  onSubmit(form, async () => {
    const v = values(form);
    await put('/users/me/password', { currentPassword: v.currentPassword, newPassword: v.newPassword });
    form.reset();
    toast('Password changed. Your other sessions were signed out.', 'success');
    afterChange();
  });
  return card('Password', form, { test: 'password-card' });
}

function sessionsCard(body) {
  const all = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', test: 'logout-all' }, 'Sign out everywhere');
  all.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Sign out everywhere?',
      message: 'Every session, including this one, ends now. You will need to log in again.',
      confirmLabel: 'Sign out everywhere',
      danger: true,
    });
    if (!ok) return;
    await withButton(all, 'Signing out…', async () => {
      try {
        await post('/auth/logout-all', undefined, { auth: false });
      } catch (err) {
        if (err.status !== 401) { toast(err.message, 'error'); return; }
      }
      update({ user: null, cartCount: null });
      toast('You have been signed out on every device.', 'success');
      navigate('/login');
    });
  });
  const head = h('div', { class: 'card-head card-head-row' },
    h('div', null,
      h('h2', { class: 'card-title', id: 'card-sessions' }, 'Sessions'),
      h('p', { class: 'card-description' }, 'Devices and browsers signed in to your account.')),
    all);
  return h('section', { class: 'card', 'aria-labelledby': 'card-sessions', test: 'sessions-card' }, head, body);
}

async function loadSessions(body) {
  const errors = actionError('sessions-error');
  const sessions = await get('/auth/sessions');
  sessions.sort((a, b) => (b.current - a.current) || String(b.lastSeenAt || b.createdAt).localeCompare(String(a.lastSeenAt || a.createdAt)));
  const list = h('ul', { class: 'session-list', test: 'sessions-list' }, sessions.map((s) => sessionRow(s, errors)));
  body.replaceChildren(errors.el, sessions.length ? list : h('p', { class: 'muted' }, 'No sessions.'));
}

function sessionRow(session, errors) {
  const agent = describeAgent(session.userAgent);
  const started = dateTime(session.createdAt);
  const row = h('li', { class: 'session', test: 'session-row', dataset: { sessionId: session.id, current: session.current ? '1' : '0' } },
    h('div', { class: 'session-main' },
      h('p', { class: 'session-agent' },
        h('span', { test: 'session-agent', title: session.userAgent || '' }, agent),
        session.current ? badge('This session', 'accent', 'session-current') : null),
      h('p', { class: 'session-meta muted' },
        h('time', { datetime: session.createdAt, test: 'session-started' }, `Started ${started}`),
        ' · ',
        `Last active ${relativeTime(session.lastSeenAt || session.createdAt)}`,
        ' · ',
        h('span', { test: 'session-ip' }, session.ip || 'Unknown address'))));
  if (!session.current) {
    const revoke = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', test: 'session-revoke', 'aria-label': `Sign out ${agent}, started ${started}` }, 'Sign out');
    revoke.addEventListener('click', () => withButton(revoke, 'Signing out…', async () => {
      errors.clear();
      try {
        await del(`/auth/sessions/${session.id}`);
        row.remove();
        toast('That session has been signed out.', 'success');
      } catch (err) {
        errors.show(err);
      }
    }));
    row.append(revoke);
  }
  return row;
}

function deleteCard() {
  const form = h('form', { class: 'form card-body', test: 'delete-account-form', 'aria-label': 'Delete account' },
    h('p', null, 'Deleting your account removes your sessions, cart, watchlist and portfolio. Past orders are kept for the shop’s records, without your name on them. This cannot be undone.'),
    formError(),
    passwordField({ name: 'password', label: 'Confirm with your password', autocomplete: 'current-password', required: true, test: 'delete-account-password' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-danger', test: 'delete-account-submit' }, 'Delete my account')));

  onSubmit(form, async () => {
    const v = values(form);
    if (!v.password) { showFieldProblems(form, { password: 'Enter your password to confirm.' }, 'Confirm with your password.'); return; }
    await del('/users/me', { password: v.password });
    update({ user: null, cartCount: null });
    toast('Your account has been deleted.', 'success');
    navigate('/', { replace: true });
  }, { busyLabel: 'Deleting…' });
  return card('Delete account', form, { test: 'delete-account-card', danger: true });
}
