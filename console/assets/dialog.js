// The confirmation dialog: a native modal <dialog> (focus kept inside, the page behind inert,
// Escape cancels), focus on "No" first, and focus back where it was when it closes.

import { h } from './dom.js';

/**
 * Ask a yes/no question.
 * @param {{title: string, titleParams?: object, body?: string, bodyParams?: object,
 *          yes?: string, no?: string, danger?: boolean}} opts i18n keys and params
 * @returns {Promise<boolean>} true when confirmed
 */
export function confirmDialog({ title, titleParams, body, bodyParams, yes = 'confirm.yes', no = 'confirm.no', danger = true }) {
  const opener = /** @type {HTMLElement|null} */ (document.activeElement);
  return new Promise((resolve) => {
    const titleEl = h('h2', { class: 'dialog-title', id: 'confirm-title', t: title, tp: titleParams });
    const bodyEl = body ? h('p', { id: 'confirm-body', t: body, tp: bodyParams }) : null;
    const yesBtn = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', testid: 'confirm-yes', t: yes });
    const noBtn = h('button', { type: 'button', class: 'btn', testid: 'confirm-no', t: no });
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        {
          class: 'dialog',
          testid: 'confirm-dialog',
          'aria-labelledby': 'confirm-title',
          'aria-describedby': bodyEl ? 'confirm-body' : null,
        },
        titleEl,
        bodyEl,
        h('div', { class: 'dialog-actions' }, noBtn, yesBtn),
      )
    );
    let answer = false;
    const finish = (value) => {
      answer = value;
      dialog.close();
    };
    yesBtn.addEventListener('click', () => finish(true));
    noBtn.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', () => {
      answer = false; // Escape
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    noBtn.focus();
  });
}
