// The dashboard's entry: sign-in, the navigation and the hash routes of the pages.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeError, storedToken, storeToken, whoAmI } from './api.ts';
import { useRoute } from './hooks.ts';
import { ConfigMapsPage } from './pages/configmaps.tsx';
import { DeploymentPage } from './pages/deployment.tsx';
import { Overview } from './pages/overview.tsx';
import { PodPage } from './pages/pod.tsx';
import { Workloads } from './pages/workloads.tsx';
import { YamlPage } from './pages/yaml.tsx';

// A login link (`make up` prints one) carries the token in the fragment, which the browser
// never sends: it is kept for this tab only and removed from the address bar at once.
const fromLink = /^#token=([^&]+)/.exec(location.hash);
if (fromLink) {
  storeToken(decodeURIComponent(fromLink[1]!));
  history.replaceState(null, '', `${location.pathname}#/overview`);
}

function SignIn({ onSignedIn }: { onSignedIn: (user: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    storeToken(token.trim());
    try {
      onSignedIn(await whoAmI());
    } catch (err) {
      storeToken(undefined);
      setError(describeError(err));
    }
  };
  return (
    <main class="signin">
      <h1>Skiff</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="token">Bearer token</label>
        <p class="hint">
          <code>kubectl create token NAME</code>, or the login link <code>make up</code> prints.
        </p>
        <textarea id="token" name="token" rows={4} value={token} onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)} autocomplete="off" />
        <button type="submit">Sign in</button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

const NAV: [string, string][] = [
  ['overview', 'Overview'],
  ['workloads', 'Workloads'],
  ['configmaps', 'ConfigMaps'],
];

function Page({ route }: { route: string[] }) {
  const [kind, ns, name] = route;
  if (kind === 'workloads') return <Workloads />;
  if (kind === 'deployments' && ns && name) return <DeploymentPage namespace={ns} name={name} />;
  if (kind === 'pods' && ns && name) return <PodPage namespace={ns} name={name} />;
  if (kind === 'configmaps' && ns && name) return <YamlPage apiVersion="v1" resource="configmaps" namespace={ns} name={name} />;
  if (kind === 'configmaps') return <ConfigMapsPage />;
  return <Overview />;
}

function App() {
  const [user, setUser] = useState<string>();
  const [checking, setChecking] = useState(!!storedToken());
  const route = useRoute();
  useEffect(() => {
    if (!storedToken()) return;
    whoAmI()
      .then(setUser)
      .catch(() => storeToken(undefined))
      .finally(() => setChecking(false));
  }, []);
  if (checking) return <p class="loading">Signing in…</p>;
  if (!user) return <SignIn onSignedIn={setUser} />;
  const signOut = () => {
    storeToken(undefined);
    setUser(undefined);
  };
  return (
    <>
      <header>
        <strong class="brand">Skiff</strong>
        <nav aria-label="main">
          {NAV.map(([path, label]) => (
            <a key={path} href={`#/${path}`} aria-current={(route[0] ?? 'overview') === path ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="user" title="signed in as">
          {user}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
