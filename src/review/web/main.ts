/**
 * The reviewer page: sign in with a reviewer token, find a note, see its findings highlighted in the text, open a
 * finding's Provenance chain, and accept, reject or correct it. Plain DOM; every piece of note text goes in as text.
 */
import { api, ApiError, session, type Finding, type NoteDetail } from './api.js';
import { classesOf, highlightPieces, renderHighlights } from './highlight.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

interface State {
  note: NoteDetail | undefined;
  selected: string | undefined;
}
const state: State = { note: undefined, selected: undefined };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

async function signIn(token: string): Promise<void> {
  const { reviewer } = await api.whoami(token);
  session.token = token;
  $('who').textContent = `Signed in as ${reviewer}`;
  $('logout').hidden = false;
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  await search();
}

function signOut(message = ''): void {
  session.token = null;
  state.note = undefined;
  $('who').textContent = '';
  $('logout').hidden = true;
  $('app-view').hidden = true;
  $('note-view').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $<HTMLInputElement>('token').focus();
}

/** A 401 means the token went stale: back to the sign-in form. */
async function guarded(action: () => Promise<void>, status: HTMLElement): Promise<void> {
  try {
    await action();
  } catch (err: unknown) {
    if (err instanceof ApiError && err.status === 401) signOut('Your token was not accepted; sign in again.');
    else status.textContent = err instanceof Error ? err.message : 'Something went wrong';
  }
}

async function search(): Promise<void> {
  const form = $<HTMLFormElement>('search-form');
  const query: Record<string, string> = {};
  for (const [k, v] of new FormData(form)) if (typeof v === 'string' && v.trim()) query[k] = v.trim();
  const status = $('list-status');
  status.textContent = 'Searching…';
  const { notes } = await api.notes(query);
  status.textContent = `${notes.length} note${notes.length === 1 ? '' : 's'}`;
  $('note-list').replaceChildren(
    ...notes.map((n) =>
      el(
        'li',
        {},
        el('button', {
          type: 'button',
          className: 'link',
          textContent: `${n.date ?? 'undated'} · ${n.type ?? 'note'} · ${n.subject ?? 'no subject'} · ${n.status ?? ''} (DocumentReference/${n.id})`,
          onclick: () => void guarded(() => openNote(n.id), status),
        })
      )
    )
  );
}

async function openNote(id: string): Promise<void> {
  state.note = await api.note(id);
  state.selected = undefined;
  $('finding-detail').hidden = true;
  $('note-view').hidden = false;
  const { note } = state.note;
  $('note-title').textContent = `${note.type ?? 'Note'} · ${note.subject ?? ''} · ${note.date ?? ''} (DocumentReference/${note.id}, version ${note.versionId ?? '?'})`;
  renderNote();
  $('note-title').scrollIntoView();
}

function renderNote(): void {
  const detail = state.note;
  if (!detail) return;
  const pieces = highlightPieces(detail.findings, detail.document, detail.text.length);
  renderHighlights($('note-text'), detail.text, pieces, (f) => void select(f.ref));
  $('finding-list').replaceChildren(
    ...detail.findings.map((f) => {
      const code = f.codings[0];
      const otherVersion = f.spans.length > 0 && f.spans.every((s) => s.document !== detail.document);
      return el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            className: classesOf(f).join(' '),
            title: f.ref,
            onclick: () => void select(f.ref),
            ariaPressed: String(f.ref === state.selected),
          },
          el('strong', { textContent: f.label }),
          el('span', {
            className: 'meta',
            textContent: [f.resourceType, f.assertion, f.status, code ? `${code.code ?? ''}` : 'uncoded', f.review ? `reviewed: ${f.review}` : '', otherVersion ? 'span in an earlier version' : '']
              .filter(Boolean)
              .join(' · '),
          })
        )
      );
    })
  );
  for (const mark of $('note-text').querySelectorAll('mark')) mark.classList.toggle('selected', mark.dataset.ref === state.selected);
}

async function select(ref: string): Promise<void> {
  const finding = state.note?.findings.find((f) => f.ref === ref);
  if (!finding) return;
  state.selected = ref;
  renderNote();
  const detail = $('finding-detail');
  detail.hidden = false;
  $('detail-title').textContent = `${finding.label} (${finding.ref})`;
  const code = finding.codings[0];
  const fields: [string, string][] = [
    ['Code', finding.codings.map((c) => `${c.code ?? ''} ${c.display ?? ''}`.trim()).join('; ') || 'uncoded'],
    ['System', code?.system ?? '—'],
    ['Assertion', finding.assertion ?? '—'],
    ['Status', finding.status],
    ['Confidence', finding.confidence === undefined ? '—' : String(finding.confidence)],
    ['Model version', finding.pipelineVersion ?? '—'],
    ['Review', finding.review ?? 'not reviewed'],
    ['Version', finding.versionId ?? '—'],
  ];
  $('detail-fields').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]));
  $('decision-status').textContent = '';
  $('detail-title').focus();
  await guarded(() => loadProvenance(finding), $('decision-status'));
}

async function loadProvenance(finding: Finding): Promise<void> {
  const chain = await api.provenance(finding);
  const devices = new Map(chain.devices.map((d) => [d.ref, d]));
  $('provenance-chain').replaceChildren(
    ...chain.steps.map((s) => {
      const source = s.entities.find((e) => e.role === 'source')?.what ?? s.entities[0]?.what ?? '—';
      const agents = s.agents.map((a) => {
        const device = [...devices.values()].find((d) => d.name === a.who || d.ref === a.who);
        return `${a.type ?? 'agent'} ${a.who}${device ? ` [${device.versions.join(', ')}]` : ''}`;
      });
      return el(
        'li',
        { className: s.decision ? 'decision' : 'pipeline' },
        `${s.recorded ?? ''} · ${s.activity.join(', ')}: `,
        el('span', { textContent: source }),
        el('span', { className: 'arrow', textContent: ' → ' }),
        el('span', { textContent: agents.join('; ') }),
        el('span', { className: 'arrow', textContent: ' → ' }),
        el('span', { textContent: s.targets.join(', ') })
      );
    })
  );
}

async function decide(body: Record<string, unknown>): Promise<void> {
  const finding = state.note?.findings.find((f) => f.ref === state.selected);
  const status = $('decision-status');
  if (!finding || !state.note) return;
  try {
    const { finding: updated } = await api.decide(finding, body);
    state.note.findings = state.note.findings.map((f) => (f.ref === updated.ref ? updated : f));
    await select(updated.ref);
    $('decision-status').textContent = `Saved: ${String(body.decision)} (version ${updated.versionId ?? '?'})`;
  } catch (err: unknown) {
    if (err instanceof ApiError && err.status === 412) status.textContent = 'This finding changed since you loaded it. Reload the note and decide again.';
    else if (err instanceof ApiError && err.status === 401) signOut('Your token was not accepted; sign in again.');
    else status.textContent = err instanceof Error ? err.message : 'Saving failed';
  }
}

/** Suggests codes for the phrase typed; choosing one fills the correction fields. */
async function findCodes(): Promise<void> {
  const q = $<HTMLInputElement>('c-search').value.trim();
  if (!q) return;
  const { codes } = await api.codes(q);
  const set = (id: string, value: string): void => {
    $<HTMLInputElement>(id).value = value;
  };
  $('c-results').replaceChildren(
    ...(codes.length === 0
      ? [el('li', { textContent: 'No code found for that phrase' })]
      : codes.map((c) =>
          el(
            'li',
            {},
            el('button', {
              type: 'button',
              className: 'link',
              textContent: `${c.code} ${c.display ?? c.concept} (${c.system.replace(/^https?:\/\//, '')}, ${c.group})`,
              onclick: () => {
                set('c-system', c.system);
                set('c-code', c.code);
                set('c-display', c.display ?? c.concept);
                $('decision-status').textContent = `Chosen: ${c.code} ${c.display ?? c.concept}. Save the correction to write it.`;
              },
            })
          )
        )),
  );
}

function start(): void {
  $<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $<HTMLInputElement>('token').value.trim();
    signIn(token).catch((err: unknown) => {
      $('login-error').textContent = err instanceof ApiError && err.status === 401 ? 'That token is not a reviewer token.' : 'Sign-in failed.';
    });
  });
  $('logout').addEventListener('click', () => signOut());
  $<HTMLFormElement>('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void guarded(search, $('list-status'));
  });
  $('accept').addEventListener('click', () => void decide({ decision: 'accept' }));
  $('reject').addEventListener('click', () => void decide({ decision: 'reject' }));
  $('c-find').addEventListener('click', () => void guarded(findCodes, $('decision-status')));
  $<HTMLFormElement>('correct-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (id: string): string => $<HTMLInputElement>(id).value.trim();
    const code = value('c-code') ? { system: value('c-system'), code: value('c-code'), ...(value('c-display') ? { display: value('c-display') } : {}) } : undefined;
    const assertion = $<HTMLSelectElement>('c-assertion').value || undefined;
    void decide({ decision: 'correct', ...(code ? { code } : {}), ...(assertion ? { assertion } : {}) });
  });
  const token = session.token;
  if (token) signIn(token).catch(() => signOut());
  else signOut();
}

start();
