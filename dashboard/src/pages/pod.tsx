// A pod: containers, conditions and events, its logs as they are written, and a terminal
// (exec over a WebSocket, the channel.k8s.io protocol kubectl speaks, drawn by xterm.js).
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import { collectionPath, objectPath, request, storedToken, streamLines } from '../api.ts';
import { useCan, useWatch } from '../hooks.ts';
import { age, ErrorBox, Section, Table } from '../ui.tsx';

const MAX_LOG_LINES = 2000;

function Logs({ path, containers }: { path: string; containers: string[] }) {
  const [container, setContainer] = useState(containers[0] ?? '');
  const [follow, setFollow] = useState(true);
  const [previous, setPrevious] = useState(false);
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError(undefined);
    const q = new URLSearchParams({
      container,
      tailLines: '500',
      ...(follow && !previous ? { follow: 'true' } : {}),
      ...(previous ? { previous: 'true' } : {}),
    });
    streamLines(`${path}/log?${q}`, abort.signal, (line) => setLines((ls) => [...ls, line].slice(-MAX_LOG_LINES))).catch((e: unknown) => {
      if (!abort.signal.aborted) setError(e);
    });
    return () => abort.abort();
  }, [path, container, follow, previous]);
  return (
    <Section title="Logs">
      <div class="inline">
        <label>
          Container{' '}
          <select value={container} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>
            {containers.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow
        </label>
        <label>
          <input type="checkbox" checked={previous} onChange={(e) => setPrevious((e.target as HTMLInputElement).checked)} /> previous
        </label>
      </div>
      <ErrorBox error={error} />
      <pre class="logs" data-testid="logs" aria-live="polite">
        {lines.join('\n')}
      </pre>
    </Section>
  );
}

// Channels of v4.channel.k8s.io: the first byte of every binary message.
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

function Exec({ path, containers }: { path: string; containers: string[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [container, setContainer] = useState(containers[0] ?? '');
  const [open, setOpen] = useState(false);
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (!open || !box.current) return;
    const term = new Terminal({ convertEol: false, fontSize: 14, cursorBlink: true });
    term.open(box.current);
    const q = new URLSearchParams({ container, stdin: 'true', stdout: 'true', tty: 'true' });
    for (const c of ['sh', '-c', 'command -v bash >/dev/null && exec bash || exec sh']) q.append('command', c);
    // browsers cannot set an Authorization header on a WebSocket: the token goes as a subprotocol
    const bearer = `base64url.bearer.authorization.k8s.io.${btoa(storedToken() ?? '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')}`;
    const ws = new WebSocket(`wss://${location.host}${path}/exec?${q}`, ['v4.channel.k8s.io', bearer]);
    ws.binaryType = 'arraybuffer';
    const enc = new TextEncoder();
    const send = (channel: number, data: string) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const bytes = enc.encode(data);
      const msg = new Uint8Array(bytes.length + 1);
      msg[0] = channel;
      msg.set(bytes, 1);
      ws.send(msg);
    };
    const resize = () => send(RESIZE, JSON.stringify({ Width: term.cols, Height: term.rows }));
    ws.onopen = () => {
      setStatus('connected');
      resize();
      term.focus();
    };
    ws.onmessage = (ev) => {
      const data = new Uint8Array(ev.data as ArrayBuffer);
      if (data.length === 0) return;
      const body = data.subarray(1);
      if (data[0] === STDOUT || data[0] === STDERR) term.write(body);
      else if (data[0] === ERROR) {
        const text = new TextDecoder().decode(body);
        if (text) setStatus(text.includes('"Success"') ? 'exited' : text);
      }
    };
    ws.onclose = (ev) => setStatus((s) => (s === 'connected' || !s ? `closed${ev.reason ? `: ${ev.reason}` : ''}` : s));
    ws.onerror = () => setStatus('the terminal could not connect (is exec allowed, and the pod running?)');
    const input = term.onData((d) => send(STDIN, d));
    const resized = term.onResize(resize);
    return () => {
      input.dispose();
      resized.dispose();
      ws.close();
      term.dispose();
    };
  }, [open, path, container]);
  return (
    <Section title="Terminal">
      <div class="inline">
        <label>
          Container{' '}
          <select value={container} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>
            {containers.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setOpen(!open)}>
          {open ? 'Close terminal' : 'Open terminal'}
        </button>
        <span role="status">{status}</span>
      </div>
      <div class="terminal" ref={box} data-testid="terminal" />
    </Section>
  );
}

export function PodPage({ namespace, name }: { namespace: string; name: string }) {
  const pods = useWatch(collectionPath('v1', 'pods', namespace), { fieldSelector: `metadata.name=${name}` });
  const events = useWatch(collectionPath('v1', 'events', namespace));
  const canExec = useCan({ verb: 'create', resource: 'pods', subresource: 'exec', namespace, name });
  const canDelete = useCan({ verb: 'delete', resource: 'pods', namespace, name });
  const p = pods.items[0];
  if (pods.error) return <ErrorBox error={pods.error} />;
  if (!p) return <p class="loading">{pods.loaded ? `Pod ${namespace}/${name} not found` : 'Loading…'}</p>;
  const path = objectPath('v1', 'pods', namespace, name);
  const containers: string[] = (p.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const statuses = new Map<string, any>((p.status?.containerStatuses ?? []).map((s: { name: string }) => [s.name, s]));
  const mine = events.items.filter((e) => e.involvedObject?.uid === p.metadata.uid);
  return (
    <>
      <h1>
        Pod {namespace}/{name}
      </h1>
      <p>
        Phase <strong data-testid="phase">{p.metadata.deletionTimestamp ? 'Terminating' : p.status?.phase}</strong> · node {p.spec?.nodeName ?? '—'} · IP{' '}
        {p.status?.podIP ?? '—'}
      </p>
      {canDelete && (
        <button type="button" class="danger" onClick={() => confirm(`Delete pod ${namespace}/${name}?`) && void request('DELETE', path)}>
          Delete
        </button>
      )}
      <Section title="Containers">
        <Table
          label="containers"
          head={['Container', 'Image', 'State', 'Ready', 'Restarts']}
          rows={(p.spec?.containers ?? []).map((c: { name: string; image: string }) => {
            const s = statuses.get(c.name);
            return [c.name, c.image, Object.keys(s?.state ?? {})[0] ?? 'waiting', s?.ready ? 'yes' : 'no', s?.restartCount ?? 0];
          })}
        />
      </Section>
      <Section title="Conditions">
        <Table
          label="conditions"
          head={['Type', 'Status', 'Reason']}
          rows={(p.status?.conditions ?? []).map((c: { type: string; status: string; reason?: string }) => [c.type, c.status, c.reason ?? ''])}
        />
      </Section>
      <Section title="Events">
        <ErrorBox error={events.error} />
        <Table
          label="events"
          head={['Age', 'Type', 'Reason', 'Message']}
          rows={mine.map((e) => [age(e.lastTimestamp ?? e.eventTime), e.type, e.reason, e.message])}
        />
      </Section>
      <Logs path={path} containers={containers} />
      {canExec && <Exec path={path} containers={containers} />}
    </>
  );
}
