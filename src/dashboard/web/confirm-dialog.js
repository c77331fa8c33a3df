// Confirmation before anything that moves traffic: a modal dialog (focus trapped by the browser,
// Escape cancels) that names the action and asks for the reason the journal will record.

import { h } from './element.js';

/**
 * @param {{ title: string, message: string, confirm: string, danger?: boolean, reason?: boolean }} options
 * @returns {Promise<{ reason: string } | null>} null when cancelled
 */
export function confirmAction(options) {
  return new Promise((resolve) => {
    const reason = /** @type {HTMLInputElement} */ (
      h('input', {
        type: 'text',
        name: 'reason',
        required: options.reason ? true : undefined,
        autocomplete: 'off',
        placeholder: 'why (recorded in the journal)',
      })
    );
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { text: options.title }),
      h('p', { text: options.message }),
      options.reason ? h('label', {}, 'Reason ', reason) : null,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'secondary', value: 'cancel', onclick: () => dialog.close('cancel') }, 'Cancel'),
        h('button', { type: 'submit', class: options.danger ? 'danger' : 'primary', value: 'confirm' }, options.confirm),
      ),
    );
    const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'confirm', 'aria-label': options.title }, form));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (options.reason && reason.value.trim() === '') {
        reason.focus();
        return;
      }
      dialog.close('confirm');
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm' ? { reason: reason.value.trim() } : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    (options.reason ? reason : /** @type {HTMLElement} */ (form.querySelector('button.secondary')))?.focus();
  });
}
