// Entry point: pick the language, then show the login screen or the shell, and swap them
// whenever the session starts or ends (in this tab or another).

import { detectLang, setLang } from './i18n.js';
import { getSession, onSessionChange } from './session.js';
import { loginScreen } from './login.js';
import { createShell } from './shell.js';

const root = /** @type {HTMLElement} */ (document.getElementById('app'));

/** @type {{destroy: () => void}|null} */
let current = null;

/**
 * Show the screen that fits the session.
 * @param {string|null} reason why the session changed (`ended`, `logout`) for the login screen
 */
function render(reason) {
  if (current) current.destroy();
  current = null;
  if (getSession()) {
    const shell = createShell();
    root.replaceChildren(shell.element);
    current = shell;
    shell.start();
  } else {
    root.replaceChildren(loginScreen({ notice: reason }));
  }
  root.setAttribute('aria-busy', 'false');
}

setLang(detectLang(), { persist: false });
onSessionChange(render);
render(null);
