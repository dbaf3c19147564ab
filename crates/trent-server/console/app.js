// The console's entry: sign-in, sign-out and the pages by address (#/keys, #/keys/<key ID>).

import { canSign, signIn, signOut, signedIn } from './api.js';
import { field, h, notify, reportError } from './ui.js';
import { renderKeys } from './keys.js';
import { renderKey } from './key.js';

const main = () => document.getElementById('main');

function renderWho() {
  const who = document.getElementById('who');
  const session = signedIn();
  who.replaceChildren();
  if (!session) return;
  who.append(
    h('span', {}, `${session.accessKeyId} · ${session.region}`),
    h('button', { type: 'button', id: 'sign-out', onclick: () => { signOut(); notify('Signed out.'); route(); } }, 'Sign out'),
  );
}

function renderSignIn() {
  const accessKey = field('access-key-id', 'Access key ID', h('input', { autocomplete: 'off', required: true, spellcheck: 'false' }));
  const secret = field('secret-access-key', 'Secret access key',
    h('input', { type: 'password', autocomplete: 'off', required: true }),
    'Used once to derive today\'s signing key, then forgotten. Nothing is stored in the browser.');
  const region = field('region', 'Region', h('input', { value: 'us-east-1', required: true, spellcheck: 'false' }));
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in to Trent'),
    accessKey.wrapper, secret.wrapper, region.wrapper, submit);
  if (!canSign()) {
    form.prepend(h('p', { class: 'warning' },
      'This browser cannot sign requests on this page: open the console on localhost or behind HTTPS.'));
    submit.disabled = true;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const message = document.getElementById('secret-access-key-error');
    message.textContent = '';
    try {
      await signIn(accessKey.input.value.trim(), secret.input.value, region.input.value.trim());
      secret.input.value = '';
      notify('');
      route();
    } catch (error) {
      message.textContent = `${error.code ?? 'Error'}: ${error.message}`;
      secret.input.setAttribute('aria-invalid', 'true');
    } finally {
      submit.disabled = false;
    }
  });
  main().replaceChildren(form);
  accessKey.input.focus();
}

async function route() {
  renderWho();
  if (!signedIn()) {
    renderSignIn();
    return;
  }
  const path = location.hash.replace(/^#/, '') || '/keys';
  const keyPage = /^\/keys\/(.+)$/.exec(path);
  try {
    if (keyPage) await renderKey(main(), decodeURIComponent(keyPage[1]));
    else await renderKeys(main());
  } catch (error) {
    reportError(error);
  }
}

window.addEventListener('hashchange', () => { notify(''); route(); });
window.addEventListener('trent:signed-out', () => route());
route();
