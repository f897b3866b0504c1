// Log in and sign up.
import { post } from '../api.js';
import { h, field, formError, onSubmit, values, toast } from '../dom.js';
import { navigate, safeNext, setTitle } from '../router.js';
import { signedIn } from '../session.js';
import { passwordField } from '../widgets.js';

function authShell(title, subtitle, form, footer) {
  return h('div', { class: 'auth-shell' },
    h('div', { class: 'card auth-card' },
      h('h1', { class: 'auth-title', tabindex: '-1', test: 'page-title' }, title),
      h('p', { class: 'auth-subtitle' }, subtitle),
      form,
      h('p', { class: 'auth-footer' }, footer)));
}

export async function loginPage(ctx) {
  setTitle('Log in');
  const next = safeNext(ctx.query.get('next'), '/catalog');
  const form = h('form', { class: 'form', test: 'login-form', 'aria-label': 'Log in' },
    formError(),
    field({ name: 'login', label: 'Username or email', autocomplete: 'username', required: true, test: 'login-identifier', autocapitalize: 'none', spellcheck: 'false' }),
    passwordField({ name: 'password', label: 'Password', autocomplete: 'current-password', required: true, test: 'login-password' }),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', test: 'login-submit' }, 'Log in'));

  onSubmit(form, async () => {
    const v = values(form);
    const res = await post('/auth/login', { login: v.login.trim(), password: v.password }, { auth: false });
    signedIn(res.user);
    toast(`Welcome back, ${res.user.name || res.user.username || res.user.email}.`, 'success');
    navigate(next, { replace: true });
  }, { busyLabel: 'Logging in…', aliases: { email: 'login', username: 'login' } });

  const signupHref = ctx.query.get('next') ? `/signup?next=${encodeURIComponent(next)}` : '/signup';
  ctx.root.replaceChildren(authShell('Log in', 'Welcome back. Use your username or your email.', form,
    ['New to Stockroom? ', h('a', { href: signupHref, test: 'login-signup-link' }, 'Create an account')]));
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
