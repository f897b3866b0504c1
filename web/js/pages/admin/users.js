// Admin: users, their role, permissions, deactivation, whether their email is verified and
// whether they sign in with two-step verification (which an admin may turn off for someone who
// lost their phone) (users:manage).
import { get, patch, del } from '../../api.js';
import { state, update, hasPerm, PERMISSIONS } from '../../state.js';
import { h, field, formError, onSubmit, values, toast, confirmDialog, formDialog, emptyState, badge, withButton, actionError } from '../../dom.js';
import { dateTime, relativeTime } from '../../format.js';
import { navigate } from '../../router.js';
import { reloadMe } from '../../session.js';
import { verifiedBadge } from '../../widgets.js';
import { shell, pagedList, listSearch, dataTable, rowActions, editButton, deleteButton } from './common.js';

export async function adminUsersPage(ctx) {
  let q = '';
  const errors = actionError('list-error');
  const area = h('div');

  async function afterSelfChange(user) {
    if (user.id !== state.user?.id) return;
    const me = await reloadMe();
    if (!hasPerm('users:manage', me)) navigate('/');
  }

  function editUser(user) {
    const hasVerified = typeof user.emailVerified === 'boolean';
    formDialog({
      title: `Edit ${user.name || user.email}`,
      test: 'admin-user-dialog',
      build: (close) => {
        const permBoxes = PERMISSIONS.map((p) => h('label', { class: 'check-label' },
          h('input', { type: 'checkbox', class: 'checkbox', name: 'permissions', value: p.id, checked: user.permissions.includes(p.id), test: `admin-user-perm-${p.id.replace(':', '-')}` }),
          h('span', null, h('strong', null, p.label), ' ', h('span', { class: 'muted' }, `— ${p.hint}`))));
        const adminNote = h('p', { class: 'hint' }, 'Administrators have every permission.');
        const permSet = h('fieldset', { class: 'field fieldset' },
          h('legend', { class: 'label' }, 'Permissions'),
          adminNote,
          h('div', { class: 'check-list' }, permBoxes),
          h('p', { class: 'field-error', test: 'field-error-permissions', hidden: true }));
        const f = h('form', { class: 'form', test: 'admin-user-form' },
          formError(),
          field({ name: 'name', label: 'Display name', value: user.name || '', test: 'admin-user-name' }),
          h('div', { class: 'field-row' },
            field({ name: 'username', label: 'Username', value: user.username || '', test: 'admin-user-username', autocapitalize: 'none', spellcheck: 'false' }),
            field({ name: 'email', label: 'Email', type: 'email', value: user.email, test: 'admin-user-email', autocapitalize: 'none', spellcheck: 'false' })),
          hasVerified ? field({
            name: 'emailVerified', label: 'Email address verified', type: 'checkbox', checked: user.emailVerified, test: 'admin-user-email-verified',
            hint: 'Tick it when you know the address is theirs. A new address starts unverified, and its owner gets a link to confirm it.',
          }) : null,
          field({ name: 'role', label: 'Role', type: 'select', value: user.role, test: 'admin-user-role', options: [{ value: 'user', label: 'Member' }, { value: 'admin', label: 'Administrator' }] }),
          permSet,
          field({ name: 'isActive', label: 'Active (can sign in)', type: 'checkbox', checked: user.isActive, test: 'admin-user-active', hint: 'Deactivating ends the user’s sessions at once.' }),
          h('div', { class: 'dialog-actions' },
            h('button', { type: 'button', class: 'btn btn-secondary', test: 'admin-user-cancel', onClick: close }, 'Cancel'),
            h('button', { type: 'submit', class: 'btn btn-primary', test: 'admin-user-submit' }, 'Save')));
        const role = f.elements.namedItem('role');
        const inputs = permBoxes.map((l) => l.querySelector('input'));
        const paintRole = () => {
          const isAdmin = role.value === 'admin';
          adminNote.hidden = !isAdmin;
          for (const input of inputs) input.disabled = isAdmin;
        };
        role.addEventListener('change', paintRole);
        paintRole();

        onSubmit(f, async () => {
          const v = values(f);
          const body = {};
          if (v.name.trim() !== (user.name || '')) body.name = v.name.trim() || null;
          if (v.username.trim() !== (user.username || '')) body.username = v.username.trim() || null;
          if (v.email.trim().toLowerCase() !== user.email.toLowerCase()) body.email = v.email.trim();
          if (v.role !== user.role) body.role = v.role;
          if (v.role === 'user') {
            const perms = inputs.filter((i) => i.checked).map((i) => i.value);
            const before = [...user.permissions].sort().join(',');
            if (perms.slice().sort().join(',') !== before || body.role) body.permissions = perms;
          }
          if (v.isActive !== user.isActive) body.isActive = v.isActive;
          if (hasVerified && v.emailVerified !== user.emailVerified) body.emailVerified = v.emailVerified;
          if (!Object.keys(body).length) { close(); return; }
          const saved = await patch(`/users/${user.id}`, body);
          close();
          toast(`${saved.name || saved.email} saved.`, 'success');
          await afterSelfChange(saved);
          if (ctx.isCurrent()) await list.reload();
        });
        return f;
      },
    });
  }

  async function toggleActive(user, button) {
    if (user.isActive) {
      const ok = await confirmDialog({
        title: `Deactivate ${user.name || user.email}?`,
        message: 'They are signed out everywhere at once and cannot sign in until reactivated.',
        confirmLabel: 'Deactivate', danger: true,
      });
      if (!ok) return;
    }
    await withButton(button, null, async () => {
      errors.clear();
      try {
        const saved = await patch(`/users/${user.id}`, { isActive: !user.isActive });
        toast(saved.isActive ? `${saved.email} can sign in again.` : `${saved.email} is deactivated.`, 'success');
        await afterSelfChange(saved);
        if (ctx.isCurrent()) await list.reload();
      } catch (err) {
        if (err.status !== 401) errors.show(err);
      }
    });
  }

  async function markVerified(user, button) {
    await withButton(button, null, async () => {
      errors.clear();
      try {
        const saved = await patch(`/users/${user.id}`, { emailVerified: true });
        toast(`${saved.email} is marked verified.`, 'success');
        await afterSelfChange(saved);
        if (ctx.isCurrent()) await list.reload();
      } catch (err) {
        if (err.status !== 401) errors.show(err);
      }
    });
  }

  async function resetTwoFactor(user, button) {
    const who = user.name || user.email;
    const ok = await confirmDialog({
      title: `Turn off two-step verification for ${who}?`,
      message: `${user.email} will sign in with the password alone until they set it up again. Do this only when you are sure the request comes from them, for instance when they lost their phone and their recovery codes.`,
      confirmLabel: 'Turn off 2FA', danger: true,
    });
    if (!ok) return;
    await withButton(button, 'Turning off…', async () => {
      errors.clear();
      try {
        await del(`/users/${user.id}/2fa`);
        toast(`Two-step verification is off for ${user.email}.`, 'success');
        if (user.id === state.user?.id) await reloadMe();
        if (ctx.isCurrent()) await list.reload();
      } catch (err) {
        if (err.status !== 401) errors.show(err);
      }
    });
  }

  /** "On" with a "Turn off 2FA" button, or "Off". */
  const twoFactorCell = (u) => {
    if (typeof u.twoFactorEnabled !== 'boolean') return h('span', { class: 'muted' }, '—');
    if (!u.twoFactorEnabled) return badge('Off', 'neutral', 'admin-user-2fa');
    const reset = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-ghost-danger', test: 'admin-user-reset-2fa', 'aria-label': `Turn off two-step verification for ${u.email}` }, 'Turn off 2FA');
    reset.addEventListener('click', () => resetTwoFactor(u, reset));
    return h('div', { class: 'verified-cell' }, badge('On', 'success', 'admin-user-2fa'), reset);
  };

  /** The verified badge; an unverified address also gets a "Mark verified" button. */
  const verifiedCell = (u) => {
    const verified = Boolean(u.emailVerified);
    if (verified || typeof u.emailVerified !== 'boolean') return verifiedBadge(verified, 'admin-user-verified');
    const mark = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'admin-user-mark-verified', 'aria-label': `Mark ${u.email} verified` }, 'Mark verified');
    mark.addEventListener('click', () => markVerified(u, mark));
    return h('div', { class: 'verified-cell' }, verifiedBadge(false, 'admin-user-verified'), mark);
  };

  const row = (u) => {
    const verb = u.isActive ? 'Deactivate' : 'Activate';
    // Named like its Edit and Delete neighbours, so a screen reader's list of buttons says whose it is.
    const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', test: 'admin-user-toggle-active', 'aria-label': `${verb} ${u.email}` }, verb);
    toggle.addEventListener('click', () => toggleActive(u, toggle));
    const perms = u.role === 'admin' ? [h('li', { class: 'chip' }, 'All')] : u.permissions.map((p) => h('li', { class: 'chip' }, PERMISSIONS.find((x) => x.id === p)?.label || p));
    return h('tr', {
      test: 'admin-user-row',
      dataset: { userId: u.id, email: u.email, active: u.isActive ? '1' : '0', role: u.role, verified: u.emailVerified ? '1' : '0', twoFactor: u.twoFactorEnabled ? '1' : '0' },
    },
      h('th', { scope: 'row', 'data-label': 'User' }, h('div', { class: 'user-cell' },
        h('span', { class: 'strong' }, u.name || u.email, u.id === state.user?.id ? h('span', { class: 'muted' }, ' (you)') : null),
        h('span', { class: 'muted' }, u.email, u.username ? ` · @${u.username}` : ''))),
      h('td', { 'data-label': 'Role', test: 'admin-user-role-cell' }, u.role === 'admin' ? badge('Administrator', 'accent') : 'Member'),
      h('td', { 'data-label': 'Permissions' }, perms.length ? h('ul', { class: 'chip-list' }, perms) : h('span', { class: 'muted' }, 'None')),
      h('td', { 'data-label': 'Email' }, verifiedCell(u)),
      h('td', { 'data-label': '2FA', test: 'admin-user-2fa-cell' }, twoFactorCell(u)),
      h('td', { 'data-label': 'Status' }, u.isActive ? badge('Active', 'success', 'admin-user-status') : badge('Deactivated', 'danger', 'admin-user-status')),
      h('td', { 'data-label': 'Last login', title: u.lastLogin ? dateTime(u.lastLogin) : '' }, u.lastLogin ? relativeTime(u.lastLogin) : h('span', { class: 'muted' }, 'Never')),
      rowActions(
        editButton(u.email, 'admin-user-edit', () => editUser(u)),
        toggle,
        deleteButton(u.email, 'admin-user-delete', {
          path: `/users/${u.id}`, errors,
          done: async () => {
            if (u.id === state.user?.id) { update({ user: null, cartCount: null }); navigate('/'); return; }
            await list.reload();
          },
          title: `Delete ${u.email}?`, message: 'Their sessions, cart, watchlist and holdings are removed. Their orders stay, without their name.',
          successMessage: `${u.email} deleted.`,
        })));
  };

  const list = pagedList({
    area,
    fetchPage: (page) => get('/users', { q, page, perPage: 20 }),
    empty: () => emptyState({ title: 'No users match', text: 'Try another search.', test: 'admin-users-empty', iconName: 'user' }),
    renderItems: (items) => dataTable({
      test: 'admin-users-table', label: 'Users',
      columns: ['User', 'Role', 'Permissions', 'Email', { label: h('abbr', { title: 'Two-step verification' }, '2FA') }, 'Status', 'Last login'],
      rows: items.map(row),
    }),
  });

  const search = listSearch({
    ctx, list, errors, test: 'admin-users-search', label: 'Search users', placeholder: 'Email, username or name',
    setQ: (value) => { q = value; },
  });

  shell(ctx, 'users', 'Users', 'Who can sign in, and what they may do.', search, errors.el, area);
  await list.load(1);
}
