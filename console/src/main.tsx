/**
 * The quotagate console: a sign-in form, then seven pages over the admin API. Pages are chosen
 * by the URL's fragment (`#/users`), so a reload or a bookmark keeps the page and nothing but
 * the page name is ever in a URL.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onSignedOut, signIn, signOut, token } from './api.ts';
import { AccountsPage } from './pages/accounts.tsx';
import { ErrorsPage } from './pages/errors.tsx';
import { GroupsPage } from './pages/groups.tsx';
import { KeysPage } from './pages/keys.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { UsagePage } from './pages/usage.tsx';
import { UsersPage } from './pages/users.tsx';

const PAGES = [
  { path: 'overview', label: 'Overview', page: OverviewPage },
  { path: 'users', label: 'Users', page: UsersPage },
  { path: 'keys', label: 'Keys', page: KeysPage },
  { path: 'accounts', label: 'Accounts', page: AccountsPage },
  { path: 'groups', label: 'Groups', page: GroupsPage },
  { path: 'usage', label: 'Usage', page: UsagePage },
  { path: 'errors', label: 'Errors', page: ErrorsPage },
] as const;

function currentPath(): string {
  const path = location.hash.replace(/^#\/?/, '');
  return PAGES.some((page) => page.path === path) ? path : 'overview';
}

function SignIn({ onDone, refused }: { onDone: () => void; refused: boolean }) {
  const [value, setValue] = useState('');
  return (
    <main class="sign-in">
      <h1>quotagate console</h1>
      {refused && (
        <p class="error" role="alert">
          The admin API refused that token.
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim() === '') return;
          signIn(value.trim());
          onDone();
        }}
      >
        <label class="field">
          <span>Admin token</span>
          <input
            type="password"
            name="admin-token"
            autoComplete="current-password"
            required
            value={value}
            onInput={(event) => setValue((event.target as HTMLInputElement).value)}
          />
        </label>
        <p class="hint">
          <code>npm start</code> prints it (or set <code>QG_ADMIN_TOKEN</code>);{' '}
          <code>quotagate console</code> prints its own. It stays in this tab only.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(token() !== null);
  const [refused, setRefused] = useState(false);
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    onSignedOut((wasRefused) => {
      setRefused(wasRefused);
      setSignedIn(false);
    });
    const follow = () => setPath(currentPath());
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  useEffect(() => {
    const label = PAGES.find((page) => page.path === path)?.label ?? '';
    document.title = `${label} · quotagate`;
  }, [path]);
  if (!signedIn) return <SignIn refused={refused} onDone={() => setSignedIn(true)} />;
  const Page = PAGES.find((page) => page.path === path)?.page ?? OverviewPage;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('content')?.focus()}>
        Skip to content
      </button>
      <header>
        <span class="brand">quotagate</span>
        <nav aria-label="Console pages">
          {PAGES.map((page) => (
            <a href={`#/${page.path}`} key={page.path} aria-current={page.path === path ? 'page' : undefined}>
              {page.label}
            </a>
          ))}
        </nav>
        <button type="button" class="quiet" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        <Page />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
