// The admin screen (`#/admin/<section>`, administrators only): tabs (links) to its four
// sections — users, invitations, buckets, usage — each built when opened and dropped when left.

import { h } from './dom.js';
import { navigate } from './router.js';
import { createUsers } from './admin-users.js';
import { createInvitations } from './admin-invitations.js';
import { createBuckets } from './admin-buckets.js';
import { createUsage } from './admin-usage.js';

/** The sections in tab order: [route name, i18n label, builder]. */
const SECTIONS = [
  ['users', 'admin.tab.users', createUsers],
  ['invitations', 'admin.tab.invitations', createInvitations],
  ['buckets', 'admin.tab.buckets', createBuckets],
  ['usage', 'admin.tab.usage', createUsage],
];

/**
 * What every section gets from the shell.
 * @typedef {object} AdminContext
 * @property {() => {id?: string, role?: string}} getUser the acting administrator
 * @property {() => void} onBucketsChanged a bucket's policy changed (the shell reloads its list)
 * @property {() => void} onDenied the server said this user administers no more
 */

/**
 * Build the admin screen. `route()` opens the section a route names (`#/admin` → users).
 * @param {AdminContext} ctx
 * @returns {{element: HTMLElement, route: (r: {path?: string[]}) => void, destroy: () => void}}
 */
export function createAdmin(ctx) {
  const links = new Map();
  const tabs = h(
    'nav',
    { class: 'admin-tabs', ta: { 'aria-label': 'admin.tabs' } },
    h(
      'ul',
      { class: 'admin-tab-list' },
      SECTIONS.map(([name, label]) => {
        const a = h('a', { href: `#/admin/${name}`, class: 'admin-tab', testid: `admin-tab-${name}`, t: label });
        links.set(name, a);
        return h('li', {}, a);
      }),
    ),
  );
  const body = h('div', { class: 'admin-body' });
  const element = h(
    'div',
    { class: 'admin-page', testid: 'admin-screen' },
    h('h2', { class: 'visually-hidden', t: 'admin.title' }),
    tabs,
    body,
  );

  /** @type {{name: string, destroy: () => void}|null} */
  let current = null;

  function route(r) {
    const name = r?.path?.[0] || '';
    const section = SECTIONS.find(([n]) => n === name);
    if (!section) {
      navigate('#/admin/users', { replace: true });
      return;
    }
    if (current?.name === name) return;
    current?.destroy();
    for (const [n, a] of links) {
      if (n === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const view = section[2](ctx);
    current = { name, destroy: view.destroy };
    element.dataset.section = name;
    body.replaceChildren(view.element);
  }

  return {
    element,
    route,
    destroy() {
      current?.destroy();
      current = null;
    },
  };
}
