/**
 * Who is signed in: the token (sessionStorage) and its decoded claims (UI decisions only: the
 * Worker verifies the token on every request). Sign-out ends the server session too
 * (DELETE /api/session), so the qc_session cookie stops working even if a copy was kept.
 */
import { createStore } from 'solid-js/store';
import { TOKEN_KEY, decodeClaims, isExpired, type UserClaims } from '../lib/auth.ts';

/** `expired`: a room said the token ended; the dashboard stays as it is behind the sign-in form until a new sign-in. */
export type SessionState = {
  token: string | undefined;
  claims: UserClaims | undefined;
  error: string | undefined;
  expired: boolean;
};
export type SessionActions = { signIn(token: string): boolean; signOut(): void; expire(): void };

/** Why a token cannot be used, or undefined when it can. */
function refusal(claims: UserClaims | undefined): string | undefined {
  if (!claims) return 'That is not a Quaycast token (a JWT with sub and role claims).';
  if (claims.exp === undefined)
    return 'That token never expires; Quaycast only accepts tokens with an expiry (npm run token makes one).';
  if (isExpired(claims)) return 'That token has expired.';
  return undefined;
}

/**
 * `endServerSession` ends the browser session on the server (the API's DELETE /api/session);
 * it is called on sign-out without waiting: the tab forgets the token at once either way.
 */
export function createSessionStore(
  initial: string | undefined,
  storage: Storage | undefined = globalThis.sessionStorage,
  endServerSession: () => Promise<void> = async () => {},
): [SessionState, SessionActions] {
  const initialClaims = initial ? decodeClaims(initial) : undefined;
  const initialRefusal = initial ? refusal(initialClaims) : undefined;
  const usable = initial !== undefined && initialRefusal === undefined;
  if (initial && !usable) storage?.removeItem(TOKEN_KEY);
  const [state, setState] = createStore<SessionState>({
    token: usable ? initial : undefined,
    claims: usable ? initialClaims : undefined,
    error: initialRefusal,
    expired: false,
  });
  return [
    state,
    {
      signIn(token) {
        const t = token.trim();
        const claims = decodeClaims(t);
        const why = refusal(claims);
        if (why) {
          setState('error', why);
          return false;
        }
        storage?.setItem(TOKEN_KEY, t);
        setState({ token: t, claims, error: undefined, expired: false });
        return true;
      },
      signOut() {
        storage?.removeItem(TOKEN_KEY);
        setState({ token: undefined, claims: undefined, error: undefined, expired: false });
        endServerSession().catch((err: unknown) => {
          // Offline or refused: the server session still ends with its token's exp.
          console.warn('sign-out could not reach the server; the session cookie ends with the token', err);
        });
      },
      expire() {
        storage?.removeItem(TOKEN_KEY);
        setState({ expired: true, error: 'Your sign-in has expired. Sign in again to carry on where you were.' });
      },
    },
  ];
}

/**
 * Starts the server session (POST /api/session) once per token, however many rooms ask at once:
 * every start replaces the browser's previous session, so parallel starts would orphan sessions.
 * A failed start is forgotten, so the next caller tries again.
 */
export function sharedSessionStart(token: () => string | undefined, start: () => Promise<void>): () => Promise<void> {
  let current: { token: string | undefined; started: Promise<void> } | undefined;
  return () => {
    const t = token();
    if (current?.token !== t) {
      const started = start();
      current = { token: t, started };
      started.catch(() => {
        if (current?.started === started) current = undefined;
      });
    }
    return current!.started;
  };
}
