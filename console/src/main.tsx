/** The console shell: session check, navigation by `#/page`, and the pages. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, signOut, type Session } from './api';
import { AuditPage } from './pages/audit';
import { DeploymentsPage } from './pages/deployments';
import { KeysPage } from './pages/keys';
import { KeyDetailPage } from './pages/keys-detail';
import { MemberKeysPage } from './pages/member';
import { OverviewPage } from './pages/overview';
import { RequestDetailPage } from './pages/request-detail';
import { RequestsPage } from './pages/requests';
import { SignIn } from './pages/signin';
import { SpendPage } from './pages/spend';
import { TeamsPage } from './pages/teams';
import './styles.css';

const PAGES = ['overview', 'keys', 'spend', 'requests', 'teams', 'deployments', 'audit'] as const;
type Page = (typeof PAGES)[number];
const TITLES: Record<Page, string> = { overview: 'Overview', keys: 'Keys', spend: 'Spend', requests: 'Requests', teams: 'Teams and users', deployments: 'Deployments', audit: 'Audit log' };

function pageFromHash(): Page {
  const h = location.hash.replace(/^#\/?/, '').split('/')[0] as Page;
  return PAGES.includes(h) ? h : 'overview';
}

/** `#/keys/<id>` → the key's id. */
function keyIdFromHash(hash: string): string | undefined {
  const m = /^#\/keys\/([^/]+)$/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** `#/requests/<id>/<day>`: one request's detail. */
function detailFromHash(): { id: string; day: string | undefined } | undefined {
  const m = /^#\/requests\/([^/]+)(?:\/(\d{4}-\d\d-\d\d))?$/.exec(location.hash);
  return m ? { id: decodeURIComponent(m[1]!), day: m[2] } : undefined;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [page, setPage] = useState<Page>(pageFromHash());
  const [hash, setHash] = useState(location.hash);
  const [detail, setDetail] = useState(detailFromHash());
  useEffect(() => {
    currentSession().then(setSession);
    const onHash = () => {
      setPage(pageFromHash());
      setHash(location.hash);
      setDetail(detailFromHash());
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `${detail ? 'Request' : keyIdFromHash(hash) ? 'Key' : TITLES[page]} · Skyway console`;
    document.getElementById('main')?.focus();
  }, [page, hash]);
  if (session === undefined) return <p role="status">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  const canWrite = session.role === 'admin';
  const member = session.role === 'member';
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header>
        <strong class="brand">Skyway</strong>
        <nav aria-label="Console">
          <ul>
            {member ? (
              <li>
                <a href="#/keys" aria-current="page">
                  My keys
                </a>
              </li>
            ) : null}
            {(member ? [] : PAGES).map((p) => (
              <li>
                <a href={`#/${p}`} aria-current={p === page ? 'page' : undefined}>
                  {TITLES[p]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {session.actor} ({session.role}){' '}
          <button type="button" onClick={() => signOut().then(() => setSession(null))}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {member && <MemberKeysPage />}
        {!member && page === 'overview' && <OverviewPage />}
        {!member && page === 'keys' && (keyIdFromHash(hash) ? <KeyDetailPage id={keyIdFromHash(hash)!} canWrite={canWrite} /> : <KeysPage canWrite={canWrite} />)}
        {!member && page === 'spend' && <SpendPage />}
        {!member && page === 'requests' && (detail ? <RequestDetailPage id={detail.id} day={detail.day} /> : <RequestsPage />)}
        {!member && page === 'teams' && <TeamsPage canWrite={canWrite} />}
        {!member && page === 'deployments' && <DeploymentsPage canWrite={canWrite} />}
        {!member && page === 'audit' && <AuditPage />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
