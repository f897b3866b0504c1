// Admin: the start page, one tile per section the user may open.
import { hasPerm } from '../../state.js';
import { h } from '../../dom.js';
import { SECTIONS, shell } from './common.js';

export async function adminHomePage(ctx) {
  const sections = SECTIONS.filter((s) => hasPerm(s.perm));
  shell(ctx, null, 'Administration', 'Run the shop and the markets desk.',
    h('div', { class: 'tile-grid' }, sections.map((s) => h('a', { href: s.href, class: 'tile card', test: `admin-tile-${s.id}` },
      h('h2', { class: 'tile-title' }, s.label),
      h('p', { class: 'muted' }, s.text)))));
}
