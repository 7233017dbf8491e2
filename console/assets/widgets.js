// Small controls shared by several screens.

import { h, uid } from './dom.js';
import { LANGS, getLang, setLang } from './i18n.js';

/**
 * The language switch (`lang-switch`): a labelled <select> of `en` and `zh-CN`; a change
 * re-translates the page in place and is remembered (`picgate.lang`).
 * @returns {HTMLElement} the label and select
 */
export function langSwitch() {
  const id = uid('lang');
  const select = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id, class: 'input input-small', testid: 'lang-switch' },
      LANGS.map((l) => h('option', { value: l.code, lang: l.code, text: l.name })),
    )
  );
  select.value = getLang();
  select.addEventListener('change', () => setLang(select.value));
  return h('div', { class: 'field-inline lang-field' }, h('label', { for: id, t: 'lang.label' }), select);
}
