// Log in and sign up; and the pages that mails link to: forgot password, reset password, verify
// email. The mail links carry their token in the fragment (`#token=…`), which never reaches the
// server's logs nor a Referer; the pages read it, then take it out of the address bar.
import { get, post } from '../api.js';
import { state, update } from '../state.js';
import {
  h, icon, field, formError, onSubmit, values, toast, showErrors, showFieldProblems, setFieldError, alertBox,
} from '../dom.js';
import { navigate, safeNext, setTitle } from '../router.js';
import { signedIn } from '../session.js';
import { passwordField } from '../widgets.js';

function authShell(title, subtitle, form, footer) {
  return h('div', { class: 'auth-shell' },
    h('div', { class: 'card auth-card' },
      h('h1', { class: 'auth-title', tabindex: '-1', test: 'page-title' }, title),
      subtitle ? h('p', { class: 'auth-subtitle' }, subtitle) : null,
      form,
      footer ? h('p', { class: 'auth-footer' }, footer) : null));
}

// The address typed at the login form, carried to "Forgot password?" in memory (not in the URL,
// which would put it in the server's access log).
let rememberedEmail = '';

export async function loginPage(ctx) {
  setTitle('Log in');
  const next = safeNext(ctx.query.get('next'), '/catalog');
  const form = h('form', { class: 'form', test: 'login-form', 'aria-label': 'Log in' },
    formError(),
    field({ name: 'login', label: 'Username or email', autocomplete: 'username', required: true, test: 'login-identifier', autocapitalize: 'none', spellcheck: 'false' }),
    passwordField({ name: 'password', label: 'Password', autocomplete: 'current-password', required: true, test: 'login-password' }),
    h('p', { class: 'form-aside' }, h('a', { href: '/forgot-password', class: 'link-subtle', test: 'login-forgot-link' }, 'Forgot password?')),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', test: 'login-submit' }, 'Log in'));
  form.querySelector('[data-test=login-forgot-link]').addEventListener('click', () => {
    const typed = form.elements.namedItem('login').value.trim();
    rememberedEmail = typed.includes('@') ? typed : '';
  });

  const welcome = (user) => {
    signedIn(user);
    toast(`Welcome back, ${user.name || user.username || user.email}.`, 'success');
    navigate(next, { replace: true });
  };

  const title = 'Log in';
  const subtitle = 'Welcome back. Use your username or your email.';
  const shell = authShell(title, subtitle, form,
    ['New to Stockroom? ', h('a', { href: signupHref(ctx, next), test: 'login-signup-link' }, 'Create an account')]);
  const heading = shell.querySelector('.auth-title');
  const lead = shell.querySelector('.auth-subtitle');

  /** Back to the password step, the identifier kept, the password to type again. */
  function startOver() {
    heading.textContent = title;
    lead.textContent = subtitle;
    setTitle('Log in');
    form.elements.namedItem('password').value = '';
    shell.querySelector('[data-test=login-2fa-form]')?.replaceWith(form);
    form.elements.namedItem('password').focus();
  }

  onSubmit(form, async () => {
    const v = values(form);
    const res = await post('/auth/login', { login: v.login.trim(), password: v.password }, { auth: false });
    if (res && res.mfaRequired) {
      // Right password, and the account asks for a second factor: no session yet.
      heading.textContent = 'Two-step verification';
      lead.textContent = 'Open your authenticator app and enter the code it shows for Stockroom.';
      setTitle('Two-step verification');
      const step = codeStep(res.mfaToken, { welcome, startOver, lead });
      form.replaceWith(step);
      step.elements.namedItem('code').focus();
      return;
    }
    welcome(res.user);
  }, { busyLabel: 'Logging in…', aliases: { email: 'login', username: 'login' } });

  ctx.root.replaceChildren(shell);
}

function signupHref(ctx, next) {
  return ctx.query.get('next') ? `/signup?next=${encodeURIComponent(next)}` : '/signup';
}

// How long the server keeps a half-finished sign-in (`mfa_token_ttl`), and how many wrong codes it
// takes. Only used to word the hint: the server decides, and says only "wrong".
const MFA_TOKEN_TTL_MS = 5 * 60 * 1000;
const MFA_MAX_WRONG = 5;

/**
 * The login form's second step: a code from the authenticator app or a recovery code, sent with
 * the `mfaToken` the password step gave (kept here, in memory). Hooks: [data-test=login-2fa-form],
 * login-2fa-code, login-2fa-submit, login-2fa-use-recovery (the toggle, aria-pressed),
 * login-2fa-restart; login-2fa-hint explains a refused code.
 */
function codeStep(mfaToken, { welcome, startOver, lead }) {
  const started = Date.now();
  let wrong = 0;
  let recovery = false;
  const codeField = field({
    name: 'code', label: 'Authentication code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
    test: 'login-2fa-code', autocapitalize: 'none', spellcheck: 'false', maxlength: 32, class: 'field-otp',
    hint: 'The 6-digit code your authenticator app shows for Stockroom.',
  });
  const input = codeField.querySelector('input');
  const label = codeField.querySelector('label');
  const hint = codeField.querySelector('.hint');
  const toggle = h('button', { type: 'button', class: 'btn-link link-subtle', test: 'login-2fa-use-recovery', 'aria-pressed': 'false' },
    'Lost your device? Use a recovery code');
  const restart = h('button', { type: 'button', class: 'btn btn-ghost btn-block', test: 'login-2fa-restart' }, 'Start over');
  restart.addEventListener('click', startOver);
  // Under the field after a refused code: what may have happened, and the way back.
  const refusedHint = h('p', { class: 'hint refused-hint', test: 'login-2fa-hint', role: 'status', hidden: true });
  codeField.insertBefore(refusedHint, codeField.querySelector('.field-error').nextSibling);
  const step = h('form', { class: 'form', test: 'login-2fa-form', 'aria-label': 'Two-step verification' },
    formError(),
    codeField,
    h('p', { class: 'form-aside' }, toggle),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', test: 'login-2fa-submit' }, 'Verify and log in'),
    restart);

  toggle.addEventListener('click', () => {
    recovery = !recovery;
    toggle.setAttribute('aria-pressed', String(recovery));
    toggle.textContent = recovery ? 'Use a code from your app instead' : 'Lost your device? Use a recovery code';
    label.textContent = recovery ? 'Recovery code' : 'Authentication code';
    lead.textContent = recovery
      ? 'Enter one of the recovery codes you stored when you turned on two-step verification.'
      : 'Open your authenticator app and enter the code it shows for Stockroom.';
    hint.replaceChildren(...(recovery
      ? ['Recovery codes look like ', h('code', { class: 'nowrap' }, 'k7fq-2m9x-wp'), '. Each works once.']
      : ['The 6-digit code your authenticator app shows for Stockroom.']));
    input.setAttribute('inputmode', recovery ? 'text' : 'numeric');
    input.setAttribute('autocomplete', recovery ? 'off' : 'one-time-code');
    input.value = '';
    input.focus();
  });

  onSubmit(step, async () => {
    refusedHint.hidden = true;
    // Apps show "123 456"; recovery codes keep their dashes (the server reads them either way).
    const code = values(step).code.replace(/\s+/g, '');
    if (!code) {
      showFieldProblems(step, { code: recovery ? 'Enter one of your recovery codes.' : 'Enter the code from your authenticator app.' },
        'Enter your code.');
      return;
    }
    const res = await post('/auth/login/2fa', { mfaToken, code }, { auth: false });
    welcome(res.user);
  }, {
    busyLabel: 'Verifying…',
    aliases: { mfaToken: 'code' },
    onError: (err) => {
      if (err.status !== 401) return false;
      // A wrong, used or stale code, or this sign-in is over (5 wrong codes, or 5 minutes): the
      // server does not say which. Its word goes under the field, with the way back.
      wrong += 1;
      setFieldError(step, 'code', err.message);
      const likelyOver = wrong >= MFA_MAX_WRONG || Date.now() - started > MFA_TOKEN_TTL_MS;
      refusedHint.textContent = likelyOver
        ? 'This sign-in has probably expired. Use “Start over” below to enter your password again.'
        : 'Codes change every 30 seconds and each works once. After several wrong codes, or a few minutes, this sign-in expires: then use “Start over” to enter your password again.';
      refusedHint.hidden = false;
      if (likelyOver) restart.focus();
      else input.select();
      return true;
    },
  });
  return step;
}

export async function signupPage(ctx) {
  setTitle('Sign up');
  const next = safeNext(ctx.query.get('next'), '/catalog');
  const form = h('form', { class: 'form', test: 'signup-form', 'aria-label': 'Sign up' },
    formError(),
    field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true, test: 'signup-email', autocapitalize: 'none', spellcheck: 'false' }),
    passwordField({
      name: 'password', label: 'Password', autocomplete: 'new-password', required: true, test: 'signup-password',
      hint: 'At least 8 characters. A few unrelated words make a strong password.',
    }),
    field({
      name: 'username', label: 'Username', optional: true, autocomplete: 'username', test: 'signup-username', autocapitalize: 'none', spellcheck: 'false',
      hint: '3–32 letters, digits, “_”, “.” or “-”. Lets you log in without typing your email.',
    }),
    field({ name: 'name', label: 'Display name', optional: true, autocomplete: 'name', test: 'signup-name' }),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', test: 'signup-submit' }, 'Create account'));

  onSubmit(form, async () => {
    const v = values(form);
    const body = { email: v.email.trim(), password: v.password };
    if (v.username.trim()) body.username = v.username.trim();
    if (v.name.trim()) body.name = v.name.trim();
    const res = await post('/auth/signup', body, { auth: false });
    signedIn(res.user);
    toast('Your account is ready. Welcome to Stockroom!', 'success');
    navigate(next, { replace: true });
  }, { busyLabel: 'Creating account…' });

  const loginHref = ctx.query.get('next') ? `/login?next=${encodeURIComponent(next)}` : '/login';
  ctx.root.replaceChildren(authShell('Create your account', 'One account for the store and the markets desk.', form,
    ['Already have an account? ', h('a', { href: loginHref, test: 'signup-login-link' }, 'Log in')]));
}

/* ------------------------------------------------------------------ mail links */

// A link's token, once taken out of the address bar, is kept here (in memory only) so that going
// back and forward to the page still finds it; it is dropped once used or refused.
const held = { reset: '', verify: '' };

/** The `token` of the fragment (`#token=…`), or the one held for `kind`; the fragment is removed. */
function takeToken(kind) {
  if (location.hash) {
    const token = (new URLSearchParams(location.hash.slice(1)).get('token') || '').trim();
    history.replaceState(history.state, '', location.pathname + location.search);
    if (token) held[kind] = token;
  }
  return held[kind];
}

/** Re-reads who is signed in without treating "nobody" as an error (GET /api/session). */
async function refreshSession() {
  try {
    const session = await get('/session', undefined, { auth: false });
    const user = session?.user ?? null;
    if (user) update({ user });
    else if (state.user) update({ user: null, cartCount: null });
  } catch { /* the header catches up on the next page */ }
}

/** The end state of a flow: an icon, the server's sentence, a line of help and the way on. */
function doneState({ test, iconName, kind = 'success', title, text, actions }) {
  return h('div', { class: 'auth-done', test, tabindex: '-1', role: 'status' },
    h('div', { class: `auth-done-icon auth-done-${kind}`, 'aria-hidden': 'true' }, icon(iconName)),
    h('p', { class: 'auth-done-title', test: `${test}-message` }, title),
    text ? h('p', { class: 'auth-done-text' }, text) : null,
    actions ? h('div', { class: 'auth-done-actions' }, actions) : null);
}

function showDone(container, el) {
  container.replaceChildren(el);
  el.focus({ preventScroll: true });
}

/** Adds a line (text and a link) under the message in a form's error box. */
function errorHint(form, ...content) {
  form.querySelector('.form-error')?.append(h('p', { class: 'form-error-hint' }, content));
}

const RESET_SENT = 'If that address belongs to an account, a link to reset its password is on its way.';

export async function forgotPasswordPage(ctx) {
  setTitle('Forgot password');
  const form = h('form', { class: 'form', test: 'forgot-form', 'aria-label': 'Ask for a password reset link' },
    formError(),
    field({
      name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true, test: 'forgot-email',
      autocapitalize: 'none', spellcheck: 'false', value: rememberedEmail,
    }),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', test: 'forgot-submit' }, 'Send reset link'));
  const body = h('div', { class: 'auth-body' }, form);

  onSubmit(form, async () => {
    const email = values(form).email.trim();
    if (!email) {
      showFieldProblems(form, { email: 'Enter the email address of your account.' }, 'Enter your email address.');
      return;
    }
    const res = await post('/auth/password-reset', { email }, { auth: false });
    rememberedEmail = email;
    // The same answer whether or not the address has an account: say nothing more than the server.
    showDone(body, doneState({
      test: 'forgot-done',
      iconName: 'mail',
      kind: 'info',
      title: res?.message || RESET_SENT,
      text: 'The link in it works once, for a limited time. Nothing arrived after a few minutes? Check your spam folder, or ask again.',
      actions: [
        h('a', { href: '/login', class: 'btn btn-primary btn-block', test: 'forgot-back-to-login' }, 'Back to log in'),
        h('button', {
          type: 'button', class: 'btn btn-ghost btn-block', test: 'forgot-again',
          onClick: () => { body.replaceChildren(form); form.elements.namedItem('email').focus(); },
        }, 'Use another address'),
      ],
    }));
  }, { busyLabel: 'Sending…' });

  ctx.root.replaceChildren(authShell('Forgot your password?',
    'Enter the email address of your account and we will send you a link to choose a new password.', body,
    ['Remembered it? ', h('a', { href: '/login', test: 'forgot-login-link' }, 'Log in')]));
}

export async function resetPasswordPage(ctx) {
  setTitle('Choose a new password');
  const token = takeToken('reset');
  if (!token) {
    ctx.root.replaceChildren(authShell('Reset your password', null,
      h('div', { class: 'auth-body', test: 'reset-missing' },
        alertBox('neutral', 'This page needs the link from your password-reset email. Open that link again, or ask for a new one.'),
        h('a', { href: '/forgot-password', class: 'btn btn-primary btn-block', test: 'reset-request-new' }, 'Ask for a new link')),
      ['Remembered it? ', h('a', { href: '/login' }, 'Log in')]));
    return;
  }

  const form = h('form', { class: 'form', test: 'reset-form', 'aria-label': 'Choose a new password' },
    formError(),
    passwordField({
      name: 'newPassword', label: 'New password', autocomplete: 'new-password', required: true, test: 'reset-password',
      hint: 'At least 8 characters. A few unrelated words make a strong password.',
    }),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', test: 'reset-submit' }, 'Set new password'));
  const body = h('div', { class: 'auth-body' }, form);

  onSubmit(form, async () => {
    const { newPassword } = values(form);
    if (!newPassword) {
      showFieldProblems(form, { newPassword: 'Enter a new password.' }, 'Choose a new password.');
      return;
    }
    const res = await post('/auth/password-reset/confirm', { token, newPassword }, { auth: false });
    held.reset = '';
    // Every session of the account was ended: if it was this browser's, the header says so now.
    if (state.user) await refreshSession();
    showDone(body, doneState({
      test: 'reset-done',
      iconName: 'check',
      title: res?.message || 'Your password was changed. Sign in with the new one.',
      text: 'Every device that was signed in to the account has been signed out.',
      actions: h('a', { href: '/login', class: 'btn btn-primary btn-block', test: 'reset-login' }, 'Log in'),
    }));
  }, {
    busyLabel: 'Saving…',
    onError: (err) => {
      // A weak password (400 naming newPassword) keeps the link usable: the default display puts
      // the problem under the field. A dead link needs a new one.
      if (err.code !== 'invalid_token') return false;
      held.reset = '';
      showErrors(form, err);
      errorHint(form, 'Reset links work once and expire after a while. ',
        h('a', { href: '/forgot-password', test: 'reset-request-new' }, 'Ask for a new link'), '.');
      return true;
    },
  });

  ctx.root.replaceChildren(authShell('Choose a new password',
    'Pick one you do not use anywhere else. You will sign in with it from now on.', body,
    ['Remembered it? ', h('a', { href: '/login', test: 'reset-login-link' }, 'Log in')]));
}

export async function verifyEmailPage(ctx) {
  setTitle('Confirm your email');
  const token = takeToken('verify');
  if (!token) {
    const user = state.user;
    let text;
    let action = null;
    if (user && user.emailVerified) {
      text = `Your email address ${user.email} is verified. There is nothing more to do.`;
      action = h('a', { href: '/account', class: 'btn btn-primary btn-block' }, 'Go to your account');
    } else if (user) {
      text = 'This page needs the link from your verification email. To get a new one, use “Send again” in the bar at the top of the page.';
    } else {
      text = 'This page needs the link from your verification email. Log in, then use “Send again” to get a new one.';
      action = h('a', { href: '/login?next=%2Faccount', class: 'btn btn-primary btn-block', test: 'verify-login' }, 'Log in');
    }
    ctx.root.replaceChildren(authShell('Confirm your email address', null,
      h('div', { class: 'auth-body', test: 'verify-missing' }, alertBox('neutral', text), action)));
    return;
  }

  // Opening the link does nothing by itself (mail scanners open links): the click confirms.
  const form = h('form', { class: 'form', test: 'verify-form', 'aria-label': 'Confirm your email address' },
    formError(),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-lg', test: 'verify-confirm' }, 'Confirm my email'));
  const body = h('div', { class: 'auth-body' }, form);

  onSubmit(form, async () => {
    const res = await post('/auth/verify-email', { token }, { auth: false });
    held.verify = '';
    // The banner goes once the signed-in user is known to be verified.
    if (state.user) await refreshSession();
    const user = state.user;
    showDone(body, doneState({
      test: 'verify-done',
      iconName: 'check',
      title: res?.message || 'Your email address is verified.',
      text: user ? 'Thank you. Everything in Stockroom is open to you.' : 'Thank you. Log in to carry on.',
      actions: user
        ? [
          h('a', { href: '/catalog', class: 'btn btn-primary btn-block', test: 'verify-continue' }, 'Browse the catalog'),
          h('a', { href: '/account', class: 'btn btn-ghost btn-block', test: 'verify-account' }, 'Go to your account'),
        ]
        : h('a', { href: '/login', class: 'btn btn-primary btn-block', test: 'verify-login' }, 'Log in'),
    }));
  }, {
    busyLabel: 'Confirming…',
    onError: (err) => {
      if (err.code !== 'invalid_token') return false;
      held.verify = '';
      showErrors(form, err);
      // The link may have been used from another device: ask who is signed in, and how they stand.
      const hint = () => {
        const user = state.user;
        if (user && user.emailVerified) {
          errorHint(form, `Your address ${user.email} is already verified, so there is nothing more to do.`);
        } else if (user) {
          errorHint(form, 'Links work once and expire after a while. Use “Send again” in the bar at the top of the page for a new one, or check your address on ',
            h('a', { href: '/account', test: 'verify-account-link' }, 'your account page'), '.');
        } else {
          errorHint(form, 'Links work once and expire after a while. ',
            h('a', { href: '/login?next=%2Faccount', test: 'verify-login-link' }, 'Log in'), ' to send yourself a new one.');
        }
      };
      if (state.user) refreshSession().then(hint);
      else hint();
      return true;
    },
  });

  ctx.root.replaceChildren(authShell('Confirm your email address',
    'One click confirms that the address this link was sent to is yours.', body, null));
}
