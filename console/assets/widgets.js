// Small controls shared by several screens.

import { h, uid, setText, setPlainText } from './dom.js';
import { LANGS, getLang, setLang } from './i18n.js';
import { copyText } from './links.js';

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

/**
 * A copy button with its feedback line (`copy-feedback`: "Copied to the clipboard." or why not,
 * for five seconds).
 * @param {() => string} getText what to copy, asked at the click
 * @param {{testid: string, label?: string, aria?: string}} opts label: i18n key of the button's
 *   text; aria: i18n key of its aria-label
 * @returns {HTMLElement} the button and its feedback
 */
export function copyButton(getText, { testid, label = 'account.copy', aria }) {
  const feedback = h('span', { class: 'copy-feedback', role: 'status', 'aria-live': 'polite', testid: 'copy-feedback' });
  let timer = 0;
  const btn = h('button', {
    type: 'button',
    class: 'btn btn-small',
    testid,
    t: label,
    ta: aria ? { 'aria-label': aria } : undefined,
    on: {
      click: async () => {
        const ok = await copyText(getText());
        clearTimeout(timer);
        setText(feedback, ok ? 'account.copied' : 'links.copyFailed');
        feedback.dataset.ok = ok ? 'true' : 'false';
        timer = setTimeout(() => {
          setPlainText(feedback, '');
        }, 5000);
      },
    },
  });
  return h('span', { class: 'copy-wrap' }, btn, feedback);
}
