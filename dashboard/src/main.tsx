// The dashboard's entry: sign-in, the navigation and the hash routes of the pages.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeError, request, storedToken, storeToken, whoAmI } from './api.ts';
import { useRoute } from './hooks.ts';
import { ConfigMapsPage } from './pages/configmaps.tsx';
import { CreatePage } from './pages/create.tsx';
import { DeploymentPage } from './pages/deployment.tsx';
import { HpaList, HpaPage } from './pages/hpa.tsx';
import { Overview } from './pages/overview.tsx';
import { PodPage } from './pages/pod.tsx';
import { ResourcePage } from './pages/resource.tsx';
import { ResourcesPage } from './pages/resources.tsx';
import { Workloads } from './pages/workloads.tsx';
import { YamlPage } from './pages/yaml.tsx';
import { forgetRules } from './rules.ts';

// The one-time login link `make up` prints carries a token in the fragment, which the browser
// never sends; it is taken out of the address bar at once, and redeemed by redeemLoginLink.
const link = /^#login=([^&]+)&secret=([^&]+)/.exec(location.hash);
if (link) history.replaceState(null, '', `${location.pathname}#/overview`);

/**
 * The link's token is bound to a Secret (scripts/dashboard-login.sh): with it, ask a session
 * token of the same ServiceAccount, then delete the Secret, which revokes the link's token.
 */
async function redeemLoginLink(token: string, secret: string): Promise<void> {
  storeToken(token);
  try {
    const user = await whoAmI();
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
    if (!sa) throw new Error(`the login link is not a ServiceAccount's (${user})`);
    const ns = encodeURIComponent(sa[1]!);
    const tr = await request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${encodeURIComponent(sa[2]!)}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 8 * 3600 },
    });
    await request('DELETE', `/api/v1/namespaces/${ns}/secrets/${encodeURIComponent(secret)}`);
    storeToken(tr.status.token);
  } catch (e) {
    storeToken(undefined);
    throw new Error(`this login link no longer works (each works once, for 10 minutes; make dashboard-link prints a new one): ${describeError(e)}`);
  }
}

function SignIn({ onSignedIn, problem }: { onSignedIn: (user: string) => void; problem?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(problem);
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
  ['hpas', 'Autoscalers'],
  ['resources', 'Resources'],
  ['create', 'Create'],
];

function Page({ route }: { route: string[] }) {
  const [kind, ns, name] = route;
  if (kind === 'workloads') return <Workloads />;
  if (kind === 'deployments' && ns && name) return <DeploymentPage namespace={ns} name={name} />;
  if (kind === 'pods' && ns && name) return <PodPage namespace={ns} name={name} />;
  if (kind === 'configmaps' && ns && name) return <YamlPage apiVersion="v1" resource="configmaps" namespace={ns} name={name} />;
  if (kind === 'configmaps') return <ConfigMapsPage />;
  if (kind === 'hpas' && ns && name) return <HpaPage namespace={ns} name={name} />;
  if (kind === 'hpas') return <HpaList />;
  if (kind === 'resources') {
    const [, apiVersion, resource, namespace, object] = route;
    if (apiVersion && resource && namespace && object) return <ResourcePage apiVersion={apiVersion} resource={resource} namespace={namespace} name={object} />;
    return <ResourcesPage apiVersion={apiVersion} resource={resource} />;
  }
  if (kind === 'create') return <CreatePage apiVersion={route[1]} resource={route[2]} />;
  return <Overview />;
}

function App() {
  const [user, setUser] = useState<string>();
  const [checking, setChecking] = useState(!!storedToken() || !!link);
  const [problem, setProblem] = useState<string>();
  const route = useRoute();
  useEffect(() => {
    const redeemed = link ? redeemLoginLink(decodeURIComponent(link[1]!), decodeURIComponent(link[2]!)) : Promise.resolve();
    redeemed
      .then(() => (storedToken() ? whoAmI().then(setUser) : undefined))
      .catch((e: unknown) => {
        storeToken(undefined);
        setProblem(describeError(e));
      })
      .finally(() => setChecking(false));
  }, []);
  if (checking) return <p class="loading">Signing in…</p>;
  if (!user) return <SignIn onSignedIn={setUser} problem={problem} />;
  const signOut = () => {
    storeToken(undefined);
    forgetRules();
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
