/** Sign-in by pasting a JWT; `/#token=` links do the same without the form. */
import { Show, createSignal } from 'solid-js';
import { useSession } from '../stores/context.tsx';

/** `again`: the token expired under an open dashboard; the form is a dialog over it, which stays as it was. */
export function SignIn(props: { again?: boolean }) {
  const [session, actions] = useSession();
  const [value, setValue] = createSignal('');
  const form = () => (
    <form
      class="card signin-card"
      onSubmit={(e) => {
        e.preventDefault();
        actions.signIn(value());
      }}
    >
      <h1 id="signin-title">{props.again ? 'Sign in again' : 'Quaycast'}</h1>
      <p>
        {props.again
          ? 'Your sign-in has ended. The dashboard keeps its place and carries on once you are signed in.'
          : 'Live port-operations events. Sign in with a Quaycast token.'}
      </p>
      <label for="token-input">Token (JWT)</label>
      <textarea
        id="token-input"
        rows="4"
        value={value()}
        onInput={(e) => setValue(e.currentTarget.value)}
        aria-invalid={!!session.error}
        aria-describedby="token-help token-error"
        spellcheck={false}
        autocomplete="off"
      />
      <Show when={session.error}>
        <p class="field-error" id="token-error" role="alert">
          {session.error}
        </p>
      </Show>
      <button type="submit" class="primary" disabled={!value().trim()}>
        Sign in
      </button>
      <p class="hint" id="token-help">
        Local development: <code>npm start</code> prints a sign-in link; <code>npm run token -- operator</code> prints a
        token to paste here. The token stays in this tab (sessionStorage) and is removed from the address bar.
      </p>
    </form>
  );
  return props.again ? (
    <div class="modal-backdrop signin-again" role="dialog" aria-modal="true" aria-labelledby="signin-title">
      {form()}
    </div>
  ) : (
    <main class="signin" id="main">
      {form()}
    </main>
  );
}
